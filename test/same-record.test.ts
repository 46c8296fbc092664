// sameRecordAt (model/same-record.ts) against the fast decoder: "yes" only where decoding the
// record gives a record equal to the one asked about, and "yes" for every plain record of a
// simple layout, so that the verify stage of convert rarely needs to decode the input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameValue } from '../src/convert/diff.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { encodeStream } from '../src/model/encode.js';
import { decodeStreamFastDetailed, viewOf } from '../src/model/fast-decode.js';
import { bodyComparerSource, sameRecordAt } from '../src/model/same-record.js';
import type { XsRecord } from '../src/model/types.js';
import { LAYOUTS } from '../src/wire/layout.js';
import { captureSeeds } from './helpers/hostile.js';

const SIMPLE = new Set(['NODE_DATA', 'WATCH_DATA', 'WATCH_DATA_EXTENDED', 'GLOBAL_DATA', 'TRANSACTION_DATA', 'END']);
const plain = (r: XsRecord): boolean =>
  SIMPLE.has(r.type) && r.len === undefined && r.padding === undefined && r.unterminated === undefined && !(r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect);

/** Asks about every record of `bytes`, as itself and as another record of the stream. */
function check(bytes: Uint8Array): { yes: number; plain: number } {
  const buf = Buffer.from(bytes);
  const { stream, locations } = decodeStreamFastDetailed(buf);
  const view = viewOf(buf);
  const little = stream.header.byteOrder === 'little';
  let yes = 0;
  let plainCount = 0;
  stream.records.forEach((r, i) => {
    const loc = locations[i]!;
    const w = sameRecordAt(r, buf, view, loc.offset, buf.length, little);
    if (plain(r)) {
      plainCount++;
      expect(w, `record #${i} ${r.type}`).toBe(loc.wireLen);
    }
    if (w >= 0) yes++;
    // Another record asked about at this place: yes only if it is equal.
    const other = stream.records[(i * 7 + 3) % stream.records.length]!;
    const w2 = sameRecordAt(other, buf, view, loc.offset, buf.length, little);
    if (w2 >= 0) expect(sameValue(other, r)).toBe(true);
    // The record with one field changed.
    if (r.type === 'NODE_DATA') {
      const changed: XsRecord[] = [
        { ...r, path: `${r.path}x` },
        { ...r, txId: r.txId + 1 },
        { ...r, value: Uint8Array.from([...r.value, 1]) },
        { ...r, perms: r.perms.map((p, k) => (k === 0 ? { ...p, domid: p.domid ^ 1 } : p)) },
      ];
      if (r.value.length) changed.push({ ...r, value: r.value.map((b, k) => (k === r.value.length - 1 ? b ^ 0x80 : b)) });
      if (r.path.length) changed.push({ ...r, path: `${r.path.slice(0, -1)}${String.fromCharCode(r.path.charCodeAt(r.path.length - 1) ^ 1)}` });
      for (const c of changed) expect(sameRecordAt(c, buf, view, loc.offset, buf.length, little)).toBe(-1);
    }
  });
  return { yes, plain: plainCount };
}

describe('sameRecordAt = decode and compare', () => {
  it('the captures: yes for every plain record', () => {
    for (const seed of captureSeeds()) {
      const r = check(seed.bytes);
      expect(r.plain).toBeGreaterThan(5);
      expect(r.yes).toBeGreaterThanOrEqual(r.plain);
    }
  });

  it('generated streams, canonical and not, both byte orders', () => {
    fc.assert(
      fc.property(fc.oneof(streamArbitrary(), streamArbitrary({ nonCanonical: true })), (s) => {
        check(encodeStream(s));
      }),
      { numRuns: 150 },
    );
  });

  it('no yes for a record cut by the end of the buffer, or of another type', () => {
    const buf = Buffer.from(captureSeeds()[0]!.bytes);
    const { stream, locations } = decodeStreamFastDetailed(buf);
    const i = stream.records.findIndex((r) => r.type === 'NODE_DATA');
    const loc = locations[i]!;
    const little = stream.header.byteOrder === 'little';
    expect(sameRecordAt(stream.records[i]!, buf, viewOf(buf), loc.offset, loc.offset + loc.wireLen - 1, little)).toBe(-1);
    expect(sameRecordAt({ ...stream.records[i]!, type: 'WATCH_DATA' } as unknown as XsRecord, buf, viewOf(buf), loc.offset, buf.length, little)).toBe(-1);
  });

  it('comparers are generated from the layouts (NODE_DATA reads the offsets the layout gives)', () => {
    const src = bodyComparerSource(LAYOUTS.NODE_DATA, true);
    for (const at of ['getUint32(p, true)', 'getUint32(p + 4, true)', 'getUint16(p + 8, true)', 'getUint16(p + 14, true)']) expect(src).toContain(at);
  });
});
