// diffFiles (xsmig diff's way: an index of item hashes and offsets, records read again to
// compare) gives exactly what diffStreams gives on the two streams decoded whole, and holds
// neither stream (issue 16).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { diffStreams } from '../src/convert/diff.js';
import { diffFiles } from '../src/convert/diff-files.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream } from '../src/model/types.js';
import { CAPTURES, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'xsmig-diff-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function same(a: Uint8Array, b: Uint8Array): void {
  writeFileSync(join(dir, 'a.bin'), a);
  writeFileSync(join(dir, 'b.bin'), b);
  const d = diffFiles(join(dir, 'a.bin'), join(dir, 'b.bin'));
  const want = diffStreams(decodeStream(a), decodeStream(b));
  expect({ equal: d.equal, semantic: d.semantic, bytes: d.bytes }).toEqual(want);
  expect(d.fellBack).toBeUndefined();
}

const CAPS = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'].map((n) => readFileSync(`${CAPTURES}${n}.bin`));

/** B from A: some records dropped, some repeated, some of another stream put in, the order shuffled in places. */
const pairArb = fc
  .tuple(
    streamArbitrary({ nonCanonical: true }),
    streamArbitrary({ nonCanonical: true }),
    fc.array(fc.constantFrom('keep', 'drop', 'twice', 'other', 'swap'), { maxLength: 200 }),
    fc.boolean(),
  )
  .map(([a, other, ops, flip]): [Stream, Stream] => {
    const body = a.records.slice(0, -1);
    const extra = other.records.slice(0, -1);
    const out = [];
    for (let i = 0; i < body.length; i++) {
      const op = ops[i % Math.max(1, ops.length)] ?? 'keep';
      if (op === 'drop') continue;
      out.push(body[i]!);
      if (op === 'twice') out.push(body[i]!);
      if (op === 'other' && extra.length) out.push(extra[i % extra.length]!);
      if (op === 'swap' && out.length > 1) out.splice(out.length - 2, 2, out[out.length - 1]!, out[out.length - 2]!);
    }
    // (A repeated item in A too, now and then: `key #2` numbering on both sides.)
    if (flip && body.length) body.push(body[0]!);
    const b: Stream = { header: flip ? { ...a.header, byteOrder: a.header.byteOrder === 'little' ? 'big' : 'little' } : a.header, records: [...out, a.records.at(-1)!] };
    return [{ ...a, records: [...body, a.records.at(-1)!] }, b];
  });

describe('diffFiles', () => {
  it('the captures, every pair: what diffStreams gives', () => {
    for (const a of CAPS) for (const b of CAPS) same(a, b);
  });

  it('generated pairs with dropped, repeated, foreign and swapped records: what diffStreams gives', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        same(encodeStream(a), encodeStream(b));
        same(encodeStream(b), encodeStream(a));
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('hashes cut to 3 bits (collisions everywhere): detected, and the answer is still diffStreams\'', () => {
    let fell = 0;
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const ea = encodeStream(a);
        const eb = encodeStream(b);
        writeFileSync(join(dir, 'a.bin'), ea);
        writeFileSync(join(dir, 'b.bin'), eb);
        const d = diffFiles(join(dir, 'a.bin'), join(dir, 'b.bin'), { hashMask: 0x7 });
        if (d.fellBack) fell++;
        expect({ equal: d.equal, semantic: d.semantic, bytes: d.bytes }).toEqual(diffStreams(decodeStream(ea), decodeStream(eb)));
      }),
      { numRuns: 50 },
    );
    expect(fell).toBeGreaterThan(40);
  }, 120_000);

  it('xsmig diff of a 24 MB stream with its big-endian conversion, within a 64 MB heap (both decoded take ~500 MB)', () => {
    const a = join(dir, 'g.bin');
    const b = join(dir, 'g-be.bin');
    expect(runCli(['gen', '--size', '24M', '--seed', '7', '-o', a]).status).toBe(0);
    expect(runCli(['convert', '--byte-order', 'big', a, '-o', b]).status).toBe(0);
    const env = { NODE_OPTIONS: '--max-old-space-size=64' };
    const r = runCli(['diff', a, b], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^A: .*g\.bin \(version 2, little-endian, \d+ records\)\nB: .*g-be\.bin \(version 2, big-endian, \d+ records\)\n1 difference\(s\) in meaning:\n {2}header: byte-order little -> big\n$/);
    const self = runCli(['diff', '--json', a, a], { env });
    expect(self.status).toBe(0);
    expect(JSON.parse(self.stdout)).toMatchObject({ equal: true, semantic: [], bytes: [] });
    // From standard input too (copied to a temporary file).
    const piped = runCli(['diff', '-', b], { env, input: readFileSync(a) });
    expect(piped.stdout).toContain('A: <stdin> (version 2, little-endian');
    expect(piped.status).toBe(1);
  }, 120_000);
});
