// Differential test: the fast decode path (generated from the layouts; decodeStream and the
// streaming reader use it) against the binary-parser decoder (decodeStreamDetailed). Both must give the same model (same keys in the same
// order, same values, bytes compared by content) or the same DecodeError (offset, record index,
// type, field, message), on the real captures, every fixture stream, generated streams and
// mutated copies of all of them.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStream, decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { bodyDecoderSource, decodeRecordFast, decodeStreamFast, decodeStreamFastDetailed, viewOf } from '../src/model/fast-decode.js';
import { StreamReader, readStreamFrom } from '../src/model/stream-reader.js';
import type { RecordLocation, Stream, XsRecord } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { LAYOUTS } from '../src/wire/layout.js';
import { walkSpans } from '../src/wire/spans.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { mutatedCorpus } from './helpers/hostile.js';
import { recordArb, u16, u32 } from './helpers/record-arb.js';
import { streamArbitrary } from '../src/model/arbitraries.js';

// ---------------------------------------------------------------------------------------------
// Comparison helpers

/**
 * A form of a model where key order matters (objects become lists of [key, value]) and byte
 * views compare by content whatever their class (Buffer or Uint8Array).
 */
function canon(x: unknown): unknown {
  if (x instanceof Uint8Array) return { bytes: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') };
  if (typeof x === 'bigint') return { bigint: x.toString() };
  if (Array.isArray(x)) return x.map(canon);
  if (x && typeof x === 'object') return Object.entries(x).map(([k, v]) => [k, canon(v)]);
  return x;
}

type Outcome = { ok: true; value: string } | { ok: false; error: unknown };

function errorForm(e: unknown): unknown {
  if (!(e instanceof DecodeError)) throw e; // anything else is a bug in either path
  return { offset: e.offset, recordIndex: e.recordIndex, recordType: e.recordType, field: e.field, expected: e.expected, found: e.found, message: e.message };
}

function errorOffset(bytes: Uint8Array): number {
  try {
    decodeStreamDetailed(bytes);
  } catch (e) {
    return (e as DecodeError).offset;
  }
  throw new Error('expected a fault');
}

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: JSON.stringify(f()) };
  } catch (e) {
    return { ok: false, error: errorForm(e) };
  }
}

function streamForm(s: Stream): unknown {
  return canon({ header: s.header, records: s.records, trailing: s.trailing ?? null });
}

/** Everything the streaming reader reports, in decodeStreamDetailed's terms. */
function readChunked(bytes: Uint8Array, sizes: number[]): unknown {
  const records: XsRecord[] = [];
  const locations: RecordLocation[] = [];
  let header: unknown;
  let trailing: Uint8Array | null = null;
  const r = new StreamReader({
    onHeader: (h) => (header = h),
    onRecord: (rec, loc, own) => {
      records.push(rec);
      locations.push(loc);
      // The record's own bytes, as they lie in the input.
      if (Buffer.compare(Buffer.from(own), Buffer.from(bytes.subarray(loc.offset, loc.offset + loc.wireLen))) !== 0) throw new Error(`bytes of record ${loc.index} differ`);
    },
    onTrailing: (count, head) => {
      expect(head.length).toBe(Math.min(count, 1 << 20));
      trailing = head;
    },
  });
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes.length ? sizes[i % sizes.length]! : bytes.length);
    // Copy each chunk: a reader must not rely on chunks being views of one buffer.
    r.push(Uint8Array.from(bytes.subarray(at, at + n)));
    at += n;
  }
  r.end();
  return canon({ header, records, trailing, locations });
}

/** Both decoders (and the reader in chunks of `sizes`) agree on `bytes`. */
function agree(bytes: Uint8Array, sizes: number[] = [7, 64, 1, 4096]): Outcome {
  // The reference: binary-parser, record by record (decodeStreamDetailed). decodeStream itself
  // takes the fast path.
  const slow = outcome(() => streamForm(decodeStreamDetailed(bytes).stream));
  const fast = outcome(() => streamForm(decodeStreamFast(bytes)));
  expect(fast).toEqual(slow);
  expect(outcome(() => streamForm(decodeStream(bytes)))).toEqual(slow);
  const detailedForm = (d: { stream: Stream; locations: RecordLocation[] }) =>
    canon({ header: d.stream.header, records: d.stream.records, trailing: d.stream.trailing ?? null, locations: d.locations });
  const detailed = outcome(() => detailedForm(decodeStreamDetailed(bytes)));
  expect(outcome(() => detailedForm(decodeStreamFastDetailed(bytes)))).toEqual(detailed);
  expect(outcome(() => readChunked(bytes, sizes))).toEqual(detailed);
  expect(outcome(() => readChunked(bytes, []))).toEqual(detailed);
  return slow;
}

// ---------------------------------------------------------------------------------------------
// Inputs: captures and fixtures

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));
function binFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...binFiles(p));
    else if (name.endsWith('.bin')) out.push(p);
  }
  return out.sort();
}
/** Every stream in fixtures/: binary files, and the hand-assembled golden vectors (annotated hex). */
const fixtures: { name: string; bytes: Buffer; capture: boolean }[] = [
  ...binFiles(root).map((f) => ({ name: f.slice(root.length), bytes: readFileSync(f), capture: f.includes('/captures/') })),
  ...loadGoldenVectors().map((v) => ({ name: `golden/${v.file}`, bytes: v.hex.bytes, capture: false })),
];

describe('fast decode path = binary-parser path on every fixture stream', () => {
  it('finds the captures and the golden vectors', () => {
    expect(fixtures.filter((f) => f.capture).length).toBeGreaterThanOrEqual(4);
    expect(fixtures.filter((f) => f.name.startsWith('golden/')).length).toBeGreaterThanOrEqual(30);
  });
  for (const f of fixtures) {
    it(f.name, () => {
      agree(f.bytes);
    });
  }
  it('decodes the captures at all (not only agreeing faults)', () => {
    for (const f of fixtures.filter((x) => x.capture)) expect(agree(f.bytes).ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated streams

/** Extras a non-canonical producer leaves: unterminated strings, other `len`, non-zero padding. */
const withExtras = fc
  .tuple(recordArb, fc.nat({ max: 9 }), fc.nat({ max: 3 }), fc.uint8Array({ minLength: 8, maxLength: 8 }))
  .map(([r, kind, extra, junk]): XsRecord => {
    if (kind === 0 && (r.type === 'NODE_DATA' || r.type === 'WATCH_DATA')) {
      const key = r.type === 'NODE_DATA' ? 'path' : 'token';
      return { ...r, unterminated: [key] };
    }
    if (kind === 1 && r.type !== 'WATCH_DATA_EXTENDED') {
      // Encode the canonical record to learn its body size, then declare a longer len.
      const one = encodeStream({ header: { version: 2, byteOrder: 'little', reservedFlags: 0 }, records: [r, { type: 'END' }] });
      const len = Buffer.from(one).readUInt32LE(16 + 4);
      return { ...r, len: len + 8 * extra + (extra ? 3 : 0) };
    }
    if (kind === 2 && r.type !== 'WATCH_DATA_EXTENDED') {
      const one = encodeStream({ header: { version: 2, byteOrder: 'little', reservedFlags: 0 }, records: [r, { type: 'END' }] });
      const len = Buffer.from(one).readUInt32LE(16 + 4);
      const body = sizeOfBody(one, r);
      const padLen = len - body;
      if (padLen > 0) {
        const padding = junk.subarray(0, padLen);
        if (padding.some((b) => b !== 0)) return { ...r, padding };
      }
    }
    return r;
  });

/** Body size of the first record of an encoded little-endian stream, walked along its layout. */
function sizeOfBody(stream: Uint8Array, r: XsRecord): number {
  if (r.type === 'UNKNOWN') return r.body.length;
  const len = Buffer.from(stream).readUInt32LE(16 + 4);
  return walkSpans(LAYOUTS[r.type], stream, 24, 24 + len, 'little', { recordIndex: 0 }).end - 24;
}

const streamArb: fc.Arbitrary<Stream> = fc
  .record({
    version: fc.constantFrom(1, 2, 3),
    big: fc.boolean(),
    reservedFlags: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x7fffffff }).map((x) => (x << 1) >>> 0) }),
    records: fc.array(withExtras, { maxLength: 12 }),
    trailing: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined, freq: 5 }),
  })
  .map((s) => {
    const stream: Stream = {
      header: { version: s.version, byteOrder: s.big ? 'big' : 'little', reservedFlags: s.reservedFlags },
      records: [...s.records, { type: 'END' }],
    };
    if (s.trailing) stream.trailing = s.trailing;
    return stream;
  });

/** Streams that encode (a few generated extras are inconsistent and refused by the encoder). */
const encodedArb = streamArb.map((s) => {
  try {
    return encodeStream(s);
  } catch {
    return encodeStream({ ...s, records: s.records.map(stripExtras) });
  }
});
function stripExtras(r: XsRecord): XsRecord {
  const { len: _l, padding: _p, ...rest } = r;
  return rest as XsRecord;
}

/** Mutations of an encoded stream: flips, overwritten length fields, cuts, insertions. */
type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; data: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.oneof(u16, fc.integer({ min: 0, max: 64 })) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(u32, fc.integer({ min: 0, max: 200 })) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);

function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Buffer.from(src);
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = b[at]! ^ m.xor;
        break;
      case 'u16':
        // Aligned to 2 so that it mostly hits a length field of the body.
        if ((at & ~1) + 2 <= b.length) b.writeUInt16LE(m.value, at & ~1);
        break;
      case 'u32':
        if ((at & ~3) + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, at & ~3);
        break;
      case 'cut':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.data, b.subarray(at)]);
        break;
    }
  }
  return b;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 96 }), { minLength: 1, maxLength: 4 });

describe('fast decode path = binary-parser path on generated streams', () => {
  it('well-formed and non-canonical streams', () => {
    let decoded = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(encodedArb, chunkSizes, (bytes, sizes) => {
        if (!agree(bytes, sizes).ok) return;
        decoded++;
        const s = decodeStreamFast(bytes);
        if (s.trailing) seen.add('trailing');
        if (s.header.byteOrder === 'big') seen.add('big');
        for (const r of s.records) {
          seen.add(r.type);
          for (const k of ['len', 'padding', 'unterminated', 'dataPad', 'pad', 'producerDefect', 'uniqueId'] as const) if (k in r) seen.add(k);
          if (r.type === 'CONNECTION_DATA' && 'pad' in r.connSpec) seen.add('connSpec.pad');
          if (r.type === 'CONNECTION_DATA' && 'raw' in r.connSpec) seen.add('connSpec.raw');
        }
      }),
      { numRuns: 400 },
    );
    // The generator must mostly make decodable streams, with every kind of record and every
    // extra, or this test would compare little.
    expect(decoded).toBeGreaterThan(300);
    expect([...seen].sort()).toEqual(
      ['CONNECTION_DATA', 'DOMAIN_DATA', 'END', 'GLOBAL_DATA', 'GLOBAL_QUOTA_DATA', 'NODE_DATA', 'TRANSACTION_DATA', 'UNKNOWN', 'WATCH_DATA', 'WATCH_DATA_EXTENDED',
        'big', 'connSpec.pad', 'connSpec.raw', 'dataPad', 'len', 'pad', 'padding', 'producerDefect', 'trailing', 'uniqueId', 'unterminated'].sort(),
    );
  });

  it('mutated generated streams (errors included)', () => {
    let failed = 0;
    fc.assert(
      fc.property(encodedArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), chunkSizes, (bytes, muts, sizes) => {
        if (!agree(mutate(bytes, muts), sizes).ok) failed++;
      }),
      { numRuns: 500 },
    );
    expect(failed).toBeGreaterThan(50);
  });

  it('mutated captures and golden vectors (errors included)', () => {
    const caps = fixtures.map((f) => f.bytes);
    let failed = 0;
    let decoded = 0;
    fc.assert(
      fc.property(fc.nat({ max: caps.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 2 }), chunkSizes, (i, muts, sizes) => {
        if (agree(mutate(caps[i]!, muts), sizes).ok) decoded++;
        else failed++;
      }),
      { numRuns: 600 },
    );
    expect(failed).toBeGreaterThan(20);
    expect(decoded).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------
// The project's own generators (src/model/arbitraries.ts) and structured mutations
// (test/helpers/hostile.ts): streams shaped like xenstored's, oddities, and every mutation kind.

describe('fast decode path = binary-parser path on the project generators and hostile mutations', () => {
  it('streamArbitrary streams, canonical and with oddities', () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.oneof(streamArbitrary(), streamArbitrary({ nonCanonical: true })), chunkSizes, (s, sizes) => {
        if (agree(encodeStream(s), sizes).ok) decoded++;
      }),
      { numRuns: 150 },
    );
    expect(decoded).toBe(150);
  });

  it('every hostile mutation kind over the seed corpus', () => {
    let failed = 0;
    for (const { i, bytes } of mutatedCorpus(7, 600)) if (!agree(bytes, [1 + (i % 97), 4096]).ok) failed++;
    expect(failed).toBeGreaterThan(100);
  });
});

// ---------------------------------------------------------------------------------------------
// Targeted cases

const LE = { version: 2, byteOrder: 'little', reservedFlags: 0 } as const;

describe('fast decode path: targeted cases', () => {
  it('the 4.22 short-header watch is recognised and decoded alike', () => {
    const bytes = encodeStream({
      header: LE,
      records: [
        { type: 'WATCH_DATA_EXTENDED', connId: 5, depth: null, wpath: '/local/domain/1/x', token: 'tok', producerDefect: 'xen-4.22-short-header' },
        { type: 'END' },
      ],
    });
    const r = agree(bytes);
    expect(r.ok).toBe(true);
    const rec = decodeStreamFast(bytes).records[0]!;
    expect(rec).toMatchObject({ type: 'WATCH_DATA_EXTENDED', depth: null, producerDefect: 'xen-4.22-short-header', wpath: '/local/domain/1/x' });
  });

  it('a record far larger than a chunk (65535 permissions) comes through the reader whole', () => {
    const perms = Array.from({ length: 0xffff }, (_, i) => ({ perm: 'rwbn'[i % 4]!, flags: i & 1, domid: i }));
    const bytes = encodeStream({ header: LE, records: [{ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms, path: '/big', value: new Uint8Array(3000) }, { type: 'END' }] });
    expect(bytes.length).toBeGreaterThan(4 * 0xffff);
    agree(bytes, [4096, 100, 65536]);
  });

  it('a fault reports the same error through both paths (value runs past len)', () => {
    const bytes = Buffer.from(encodeStream({ header: LE, records: [{ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [], path: '/a', value: new Uint8Array(2) }, { type: 'END' }] }));
    bytes.writeUInt16LE(200, 16 + 8 + 10); // value-len
    const r = agree(bytes);
    expect(r.ok).toBe(false);
    expect(() => decodeStreamFast(bytes)).toThrow(DecodeError);
    expect(() => decodeStreamFast(bytes)).toThrow(/record #0 \(NODE_DATA\), field value/);
  });

  it('readStreamFrom reads a Node Readable (async chunks) like decodeStream', async () => {
    const bytes = fixtures.find((f) => f.capture)!.bytes;
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 333) chunks.push(bytes.subarray(at, at + 333));
    const records: XsRecord[] = [];
    let trailing = -1;
    await readStreamFrom(Readable.from(chunks), { onRecord: (r) => records.push(r), onTrailing: (n) => (trailing = n) });
    expect(JSON.stringify(canon(records))).toBe(JSON.stringify(canon(decodeStreamDetailed(bytes).stream.records)));
    expect(trailing).toBe(-1);
    // A cut stream rejects with the DecodeError decodeStream throws.
    const cut = bytes.subarray(0, bytes.length - 5);
    await expect(readStreamFrom(Readable.from([cut]), {})).rejects.toMatchObject({ name: 'DecodeError', offset: errorOffset(cut) });
    await expect(readStreamFrom(Readable.from(['text']), {})).rejects.toThrow(TypeError);
  });

  it('decodeRecordFast gives the record and its absolute location', () => {
    const bytes = Buffer.from(encodeStream({ header: LE, records: [{ type: 'TRANSACTION_DATA', connId: 1, txId: 2 }, { type: 'END' }] }));
    const window = bytes.subarray(16);
    const { record, location } = decodeRecordFast(window, viewOf(window), 0, 0, 'little', 16);
    expect(record).toEqual({ type: 'TRANSACTION_DATA', connId: 1, txId: 2 });
    expect(location).toEqual({ index: 0, offset: 16, typeCode: 4, len: 8, wireLen: 16 });
  });

  it('the generated decoders read at offsets that follow from the layouts', () => {
    // NODE_DATA: perm-count is the u16 at +14, the permissions start at +16.
    const src = bodyDecoderSource(LAYOUTS.NODE_DATA, true);
    expect(src).toMatch(/permCount_\d+ = view\.getUint16\(p \+ 14, true\)/);
    expect(src).toMatch(/p \+= 16;/);
    expect(bodyDecoderSource(LAYOUTS.NODE_DATA, false)).toMatch(/getUint16\(p \+ 14, false\)/);
  });
});
