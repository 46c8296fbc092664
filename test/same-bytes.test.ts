// sameBytesAt (model/same-bytes.ts) against the fast decoder: a stream written in both byte
// orders gives "yes" for every plain record paired with itself, and "yes" only where the two
// records decode to equal models, whatever is changed in either (other records, single-byte
// changes of the written side).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameValue } from '../src/convert/diff.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { encodeStream } from '../src/model/encode.js';
import { decodeRecordFast, decodeStreamFastDetailed, viewOf } from '../src/model/fast-decode.js';
import { sameBytesAt } from '../src/model/same-bytes.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { captureSeeds, rngFrom } from './helpers/hostile.js';
import { decodeStream } from '../src/model/decode.js';

const SIMPLE = new Set(['NODE_DATA', 'WATCH_DATA', 'WATCH_DATA_EXTENDED', 'GLOBAL_DATA', 'TRANSACTION_DATA', 'END']);
const plain = (r: XsRecord): boolean =>
  SIMPLE.has(r.type) && r.len === undefined && r.padding === undefined && r.unterminated === undefined && !(r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect);

/** The record at `offset` of `buf`, or undefined where it does not decode. */
function at(buf: Buffer, offset: number, little: boolean): XsRecord | undefined {
  try {
    return decodeRecordFast(buf, viewOf(buf), offset, 0, little ? 'little' : 'big').record;
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

function check(s: Stream, seed: number): { yes: number; plain: number } {
  const a = Buffer.from(encodeStream(s));
  const other = s.header.byteOrder === 'little' ? 'big' : 'little';
  const b = Buffer.from(encodeStream({ ...s, header: { ...s.header, byteOrder: other } }));
  const la = s.header.byteOrder === 'little';
  const lb = !la;
  const da = decodeStreamFastDetailed(a);
  const db = decodeStreamFastDetailed(b);
  const av = viewOf(a);
  const r = rngFrom(seed);
  let yes = 0;
  let plainCount = 0;
  da.stream.records.forEach((x, i) => {
    const pa = da.locations[i]!.offset;
    const pb = db.locations[i]!.offset;
    const w = sameBytesAt(a, av, pa, a.length, la, b, viewOf(b), pb, b.length, lb);
    if (plain(x)) {
      plainCount++;
      expect(w, `record #${i} ${x.type}`).toBe(da.locations[i]!.wireLen);
    }
    if (w >= 0) {
      yes++;
      expect(sameValue(x, db.stream.records[i]!)).toBe(true);
    }
    // Against another record of the written stream: yes only when equal.
    const j = (i * 7 + 3) % db.stream.records.length;
    const w2 = sameBytesAt(a, av, pa, a.length, la, b, viewOf(b), db.locations[j]!.offset, b.length, lb);
    if (w2 >= 0) expect(sameValue(x, db.stream.records[j]!)).toBe(true);
    // The written record with one byte changed: yes only when it still decodes to the same.
    const loc = db.locations[i]!;
    for (let k = 0; k < 3; k++) {
      const bad = Buffer.from(b);
      const pos = loc.offset + Math.floor(r() * loc.wireLen);
      bad[pos] ^= 1 << Math.floor(r() * 8);
      const w3 = sameBytesAt(a, av, pa, a.length, la, bad, viewOf(bad), pb, bad.length, lb);
      if (w3 >= 0) {
        const y = at(bad, pb, lb);
        expect(y !== undefined && sameValue(x, y), `record #${i} ${x.type}, byte ${pos - loc.offset} changed`).toBe(true);
      }
    }
  });
  return { yes, plain: plainCount };
}

describe('sameBytesAt = decode both and compare', () => {
  it('the captures, each against itself in the other byte order', () => {
    for (const seed of captureSeeds()) {
      const r = check(decodeStream(seed.bytes), 1);
      expect(r.plain).toBeGreaterThan(5);
      expect(r.yes).toBeGreaterThanOrEqual(r.plain);
    }
  });

  it('generated streams, canonical and not, both byte orders', () => {
    let seed = 0;
    fc.assert(
      fc.property(fc.oneof(streamArbitrary(), streamArbitrary({ nonCanonical: true })), (s) => {
        check(s, seed++);
      }),
      { numRuns: 150 },
    );
  });

  it('no yes for a record cut by the end of a buffer', () => {
    const s = decodeStream(captureSeeds()[0]!.bytes);
    const a = Buffer.from(encodeStream(s));
    const d = decodeStreamFastDetailed(a);
    const i = d.stream.records.findIndex((x) => x.type === 'NODE_DATA');
    const loc = d.locations[i]!;
    const little = s.header.byteOrder === 'little';
    expect(sameBytesAt(a, viewOf(a), loc.offset, a.length, little, a, viewOf(a), loc.offset, a.length, little)).toBe(loc.wireLen);
    expect(sameBytesAt(a, viewOf(a), loc.offset, loc.offset + loc.wireLen - 1, little, a, viewOf(a), loc.offset, a.length, little)).toBe(-1);
    expect(sameBytesAt(a, viewOf(a), loc.offset, a.length, little, a, viewOf(a), loc.offset, loc.offset + loc.wireLen - 1, little)).toBe(-1);
  });
});
