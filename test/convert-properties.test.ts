// Properties of the converter over generated version-2 streams (test/helpers/gen-v2.ts) and
// over the real captures.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkStream } from '../src/check/index.js';
import { convert, planConversion, type ConvertPlan } from '../src/convert/convert.js';
import { deltaId, diffStreams } from '../src/convert/diff.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream } from '../src/model/types.js';
import { v2StreamArb } from './helpers/gen-v2.js';
import { CAPTURES } from './helpers/cli.js';

const RUNS = { numRuns: 150 };
const CAPTURE_NAMES = ['head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];

/** Encode then decode: what a reader of the written file sees. */
const reread = (s: Stream): Stream => decodeStream(encodeStream(s));

function diffIds(a: Stream, b: Stream): string[] {
  const d = diffStreams(a, b);
  return [...d.semantic, ...d.bytes].map(deltaId).sort();
}
const changeIds = (p: ConvertPlan): string[] => p.changes.map(deltaId).sort();

/** Whether in-data ends inside a header word: walk whole messages, look at the rest. */
function cutInsideWord(data: Uint8Array, order: 'little' | 'big'): boolean {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos + 16 <= data.length) pos += 16 + Math.min(v.getUint32(pos + 12, order === 'little'), data.length - pos - 16);
  return (data.length - pos) % 4 !== 0;
}

function assertValidV1(s: Stream): void {
  expect(s.header.version).toBe(1);
  expect(s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED')).toBe(false);
  for (const r of s.records) if (r.type === 'DOMAIN_DATA') expect(r.features).toBe(0);
  const report = checkStream(s, { target: 'spec-v1' });
  expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  expect(report.losses).toEqual([]);
  expect(report.ok).toBe(true);
}

describe('generated streams', () => {
  it('the generator yields decodable version-2 streams that round-trip', () => {
    fc.assert(
      fc.property(v2StreamArb(), (s) => {
        const bytes = encodeStream(s);
        expect(Buffer.compare(Buffer.from(encodeStream(decodeStream(bytes))), Buffer.from(bytes))).toBe(0);
        expect(checkStream(s).ok).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('the forced downgrade of every version-2 stream is a valid version-1 stream', () => {
    fc.assert(
      fc.property(v2StreamArb(), (s) => {
        const plan = convert(s, { toVersion: 1, force: true });
        assertValidV1(reread(plan.stream));
      }),
      RUNS,
    );
  });

  it('diff(input, output) lists exactly the changes the report lists', () => {
    fc.assert(
      fc.property(v2StreamArb(), fc.constantFrom(1, 2), fc.constantFrom<'little' | 'big' | undefined>('little', 'big', undefined), (s, toVersion, byteOrder) => {
        const plan = convert(s, { toVersion, force: true, ...(byteOrder ? { byteOrder } : {}) });
        expect(diffIds(s, reread(plan.stream))).toEqual(changeIds(plan));
      }),
      RUNS,
    );
  });

  it('lossy changes are exactly the depth limits and feature bits a version-1 stream cannot hold', () => {
    fc.assert(
      fc.property(v2StreamArb(), (s) => {
        const plan = planConversion(s, { toVersion: 1 });
        const limited = s.records.filter((r) => r.type === 'WATCH_DATA_EXTENDED' && r.depth !== 0xffff).length;
        const featured = s.records.filter((r) => r.type === 'DOMAIN_DATA' && r.features !== 0).length;
        expect(plan.changes.filter((c) => c.kind === 'lossy' && c.field === 'depth').length).toBe(limited);
        expect(plan.changes.filter((c) => c.kind === 'lossy' && c.field === 'features').length).toBe(featured);
        expect(plan.refused).toBe(limited + featured > 0);
        if (plan.refused) expect(() => convert(s, { toVersion: 1 })).toThrow(/--force/);
      }),
      RUNS,
    );
  });

  it('a stream with no version-2 content downgrades losslessly without --force', () => {
    fc.assert(
      fc.property(fc.oneof(v2StreamArb('none'), v2StreamArb('unlimited-only')), (s) => {
        const plan = convert(s, { toVersion: 1 }); // throws if refused
        expect(plan.changes.every((c) => c.kind === 'lossless')).toBe(true);
        expect(plan.lossy).toBe(false);
        assertValidV1(reread(plan.stream));
        expect(diffIds(s, reread(plan.stream))).toEqual(changeIds(plan));
      }),
      RUNS,
    );
  });

  it('byte-order conversion twice is the identity, byte for byte', () => {
    fc.assert(
      fc.property(v2StreamArb(), (s) => {
        const other = s.header.byteOrder === 'little' ? 'big' : 'little';
        // The only byte-order loss: a request header cut inside a 4-byte word (in-data).
        const cutWords = s.records.filter((r) => r.type === 'CONNECTION_DATA' && r.inData.length > 0 && cutInsideWord(r.inData, s.header.byteOrder)).length;
        const plan = planConversion(s, { byteOrder: other });
        expect(plan.changes.filter((c) => c.kind === 'lossy').map((c) => c.field)).toEqual(Array(cutWords).fill('in-data'));
        expect(plan.refused).toBe(cutWords > 0);
        const once = convert(s, { byteOrder: other, force: true });
        expect(once.changes.filter((c) => c.kind === 'lossless').map((c) => c.field)).toEqual(['byte-order']);
        const twice = convert(reread(once.stream), { byteOrder: s.header.byteOrder, force: true });
        expect(Buffer.compare(Buffer.from(encodeStream(twice.stream)), Buffer.from(encodeStream(s)))).toBe(0);
      }),
      RUNS,
    );
  });

  it('diff of a stream with itself is empty, and with its byte-swapped copy only the byte order', () => {
    fc.assert(
      fc.property(v2StreamArb(), (s) => {
        expect(diffStreams(s, reread(s)).equal).toBe(true);
        const other = s.header.byteOrder === 'little' ? 'big' : 'little';
        const d = diffStreams(s, reread(convert(s, { byteOrder: other, force: true }).stream));
        const cut = s.records.filter((r) => r.type === 'CONNECTION_DATA' && cutInsideWord(r.inData, s.header.byteOrder)).length;
        expect(d.semantic.map((e) => e.field)).toEqual(['byte-order', ...Array(cut).fill('in-data')]);
        expect(d.bytes).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('real captures', () => {
  for (const name of CAPTURE_NAMES) {
    const input = decodeStream(readFileSync(`${CAPTURES}${name}.bin`));
    it(`${name}: forced downgrade is valid version 1 and diff equals the report`, () => {
      const plan = convert(input, { toVersion: 1, force: true });
      const out = reread(plan.stream);
      assertValidV1(out);
      expect(diffIds(input, out)).toEqual(changeIds(plan));
      // Same records, in the same order, apart from the watch record type.
      expect(out.records.map((r) => (r.type === 'WATCH_DATA' ? 'W' : r.type))).toEqual(
        input.records.map((r) => (r.type === 'WATCH_DATA' || r.type === 'WATCH_DATA_EXTENDED' ? 'W' : r.type)),
      );
    });
    it(`${name}: byte order twice is the identity`, () => {
      const bytes = readFileSync(`${CAPTURES}${name}.bin`);
      const big = encodeStream(convert(input, { byteOrder: 'big' }).stream);
      expect(Buffer.compare(Buffer.from(big), bytes)).not.toBe(0);
      const back = encodeStream(convert(decodeStream(big), { byteOrder: 'little' }).stream);
      expect(Buffer.compare(Buffer.from(back), bytes)).toBe(0);
    });
  }

  it('417-basic (version 1) upgrades to version 2 and back losslessly, header only', () => {
    const bytes = readFileSync(`${CAPTURES}417-basic.bin`);
    const v1 = decodeStream(bytes);
    const up = convert(v1, { toVersion: 2 });
    expect(up.changes.map((c) => [c.field, c.old, c.new, c.kind])).toEqual([['version', 1, 2, 'lossless']]);
    const upBytes = Buffer.from(encodeStream(up.stream));
    expect(upBytes.readUInt32BE(8)).toBe(2);
    expect(Buffer.compare(upBytes.subarray(12), bytes.subarray(12))).toBe(0);
    const down = convert(decodeStream(upBytes), { toVersion: 1 });
    expect(Buffer.compare(Buffer.from(encodeStream(down.stream)), bytes)).toBe(0);
  });
});
