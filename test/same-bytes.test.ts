// sameBytesAt (model/same-bytes.ts) against the fast decoder: a stream written in both byte
// orders gives "yes" for every plain record paired with itself, and "yes" only where the two
// records decode to equal models that the diff agrees on, whatever is changed in either (other
// records, single-byte changes of the written side).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LockstepDiff, sameValue } from '../src/convert/diff.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { encodeStream } from '../src/model/encode.js';
import { decodeRecordFast, decodeStreamFastDetailed, viewOf } from '../src/model/fast-decode.js';
import { sameBytesAt } from '../src/model/same-bytes.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { captureSeeds, rngFrom } from './helpers/hostile.js';
import { decodeStream } from '../src/model/decode.js';

/**
 * A record that must give yes against itself in the other byte order: canonical, with no extras,
 * of a known type, and (a connection) with no pending data, which is compared as messages.
 */
const plain = (r: XsRecord): boolean =>
  r.type !== 'UNKNOWN' && r.len === undefined && r.padding === undefined && r.unterminated === undefined &&
  !(r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect) &&
  !(r.type === 'CONNECTION_DATA' && (r.inData.length > 0 || r.outData.length > 0 || r.dataPad !== undefined));

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
  // (A yes must mean more than equal models: that the diff has nothing to say of the pair.)
  const lock = new LockstepDiff(s.header, { ...s.header, byteOrder: other });
  const agree = (x: XsRecord, y: XsRecord): boolean => sameValue(x, y) && lock.agree(x, y);
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
      expect(agree(x, db.stream.records[i]!), `record #${i} ${x.type}`).toBe(true);
    }
    // Against another record of the written stream: yes only when equal.
    const j = (i * 7 + 3) % db.stream.records.length;
    const w2 = sameBytesAt(a, av, pa, a.length, la, b, viewOf(b), db.locations[j]!.offset, b.length, lb);
    if (w2 >= 0) expect(agree(x, db.stream.records[j]!)).toBe(true);
    // The written record with one byte changed: yes only when it still decodes to the same.
    const loc = db.locations[i]!;
    for (let k = 0; k < 3; k++) {
      const bad = Buffer.from(b);
      const pos = loc.offset + Math.floor(r() * loc.wireLen);
      bad[pos] ^= 1 << Math.floor(r() * 8);
      const w3 = sameBytesAt(a, av, pa, a.length, la, bad, viewOf(bad), pb, bad.length, lb);
      if (w3 >= 0) {
        const y = at(bad, pb, lb);
        expect(y !== undefined && agree(x, y), `record #${i} ${x.type}, byte ${pos - loc.offset} changed`).toBe(true);
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

  it('pending data: yes in one byte order, no across two (its messages read differently)', () => {
    const conn: XsRecord = {
      type: 'CONNECTION_DATA', connId: 3, connType: 0, fields: 0, connSpec: { domid: 1, tdomid: 0x7ff2, evtchn: 5 },
      outRespLen: 0, inData: Uint8Array.from([1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), outData: new Uint8Array(0),
    } as XsRecord;
    const header = { version: 2 as const, byteOrder: 'little' as const, reservedFlags: 0 };
    const enc = (byteOrder: 'little' | 'big'): Buffer => Buffer.from(encodeStream({ header: { ...header, byteOrder }, records: [conn, { type: 'END' }] }));
    const a = enc('little');
    const b = enc('big');
    const wire = decodeStreamFastDetailed(a).locations[0]!.wireLen;
    expect(sameBytesAt(a, viewOf(a), 16, a.length, true, a, viewOf(a), 16, a.length, true)).toBe(wire);
    expect(sameBytesAt(a, viewOf(a), 16, a.length, true, b, viewOf(b), 16, b.length, false)).toBe(-1);
    // (Without pending data, the same record is told the same across orders.)
    const none = { ...conn, inData: new Uint8Array(0) } as XsRecord;
    const a2 = Buffer.from(encodeStream({ header, records: [none, { type: 'END' }] }));
    const b2 = Buffer.from(encodeStream({ header: { ...header, byteOrder: 'big' }, records: [none, { type: 'END' }] }));
    expect(sameBytesAt(a2, viewOf(a2), 16, a2.length, true, b2, viewOf(b2), 16, b2.length, false)).toBe(decodeStreamFastDetailed(a2).locations[0]!.wireLen);
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
