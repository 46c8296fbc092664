// Differential test: the encoder generated from the layouts (fast-encode.ts, used by writeRecord)
// against the generic layout-driven writer (writeRecordLayout). For valid records the generated
// one must do the work itself and give the same bytes; for broken records (wrong types, values
// out of range, inconsistent extras) the result must be the same bytes or the same EncodeError.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeStream, encodeStreamTo, writeHeader, writeRecord, writeRecordLayout } from '../src/model/encode.js';
import { recordEncoderSource, writeRecordFast } from '../src/model/fast-encode.js';
import { decodeStream } from '../src/model/decode.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import type { ByteOrder } from '../src/wire/constants.js';
import { LAYOUTS } from '../src/wire/layout.js';
import { BinaryWriter } from '../src/wire/writer.js';
import { recordArb } from './helpers/record-arb.js';
import { streamArbitrary } from '../src/model/arbitraries.js';

type Result = { bytes: string } | { error: string };

function run(write: (w: BinaryWriter) => void, order: ByteOrder): Result {
  // A small block, so that records also make the writer grow its block.
  const w = new BinaryWriter(order, undefined, 64);
  w.u32(0xdeadbeef); // not at offset 0: the body alignment is relative to the body
  try {
    write(w);
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
  return { bytes: Buffer.from(w.result()).toString('hex') };
}

function both(r: XsRecord, order: ByteOrder): { fast: Result; ref: Result } {
  return {
    fast: run((w) => writeRecord(w, r, 3), order),
    ref: run((w) => writeRecordLayout(w, r, 3), order),
  };
}

const orderArb = fc.constantFrom<ByteOrder>('little', 'big');

/** Values that break a field in every way a model from JSON or a careless caller can. */
const oddValue = fc.constantFrom<unknown>(
  undefined, null, -1, 1.5, 256, 65536, 2 ** 32, -(2 ** 31) - 1, NaN, '5', 'ab', '', 5n, -1n, 2n ** 64n, true, [], {}, [1, 2],
  new Uint8Array(3), new Uint8Array(8), Buffer.from('xy'), 'n', '\u0141', 'a\0b', '/p\u0100\u0141th-with-high-chars-longer-than-16',
);

/** Sets `record[path] = value` along a path of keys/indexes (copying what it changes). */
function setPath(x: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  if (Array.isArray(x)) {
    const c = [...x];
    c[k as number] = setPath(c[k as number], rest, value);
    return c;
  }
  if (x && typeof x === 'object' && !(x instanceof Uint8Array)) {
    return { ...(x as object), [k!]: setPath((x as Record<string, unknown>)[k as string], rest, value) };
  }
  return x;
}

/** Every path into a record (keys of nested objects and array items), plus extra keys to add. */
function paths(x: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(x)) x.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
  else if (x && typeof x === 'object' && !(x instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(x)) if (k !== 'type') out.push([...prefix, k], ...paths(v, [...prefix, k]));
  }
  return out;
}
const EXTRA_KEYS = ['len', 'padding', 'unterminated', 'pathLen', 'valueLen', 'permCount', 'wpathLen', 'tokenLen', 'inDataLen', 'outDataLen', 'dataPad', 'pad', 'depth', 'producerDefect', 'nQuota'];

describe('generated encoder = layout-driven encoder', () => {
  it('valid records: the generated encoder writes them all, byte for byte alike', () => {
    fc.assert(
      fc.property(recordArb, orderArb, (r, order) => {
        const { fast, ref } = both(r, order);
        expect(fast).toEqual(ref);
        expect('bytes' in ref).toBe(true);
        // ...and the fast path did the work.
        const w = new BinaryWriter(order, undefined, 64);
        expect(writeRecordFast(w, r)).toBe(true);
        expect(Buffer.from(w.result()).toString('hex')).toBe((ref as { bytes: string }).bytes.slice(8));
      }),
      { numRuns: 1500 },
    );
  });

  it('records with extras (len, padding, unterminated) and odd strings', () => {
    const extra = fc.record({
      len: fc.option(fc.nat({ max: 400 }), { nil: undefined }),
      padding: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
      unterminated: fc.option(fc.subarray(['path', 'wpath', 'token', 'quotaNames']), { nil: undefined }),
      // Strings of bytes 0x80-0xff (short and long: two write paths), or with wider chars.
      high: fc.option(
        fc.oneof(
          fc.array(fc.integer({ min: 1, max: 0xff }), { maxLength: 40 }),
          fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 40 }),
        ).map((a) => String.fromCharCode(...a)),
        { nil: undefined },
      ),
    });
    let fastWrote = 0;
    fc.assert(
      fc.property(recordArb, extra, orderArb, (r0, e, order) => {
        let r = r0 as unknown as Record<string, unknown>;
        if (e.len !== undefined) r = { ...r, len: e.len };
        if (e.padding !== undefined) r = { ...r, padding: e.padding };
        if (e.unterminated !== undefined) r = { ...r, unterminated: e.unterminated };
        // Chars above 0xff have no byte: both refuse them (the same EncodeError); others are written.
        if (e.high !== undefined) for (const k of ['path', 'wpath', 'token']) if (k in r) r = { ...r, [k]: e.high };
        const { fast, ref } = both(r as unknown as XsRecord, order);
        expect(fast).toEqual(ref);
        if (writeRecordFast(new BinaryWriter(order, undefined, 64), r as unknown as XsRecord)) fastWrote++;
      }),
      { numRuns: 1000 },
    );
    // Most combinations are inconsistent (a random len or padding size) and go the generic way;
    // a fair share must still be written by the generated encoder.
    expect(fastWrote).toBeGreaterThan(40);
  });

  it('broken records: same bytes or the same EncodeError', () => {
    let errors = 0;
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.nat({ max: EXTRA_KEYS.length - 1 }), fc.boolean(), oddValue, orderArb, (r, pick, extraKey, useExtra, value, order) => {
        const ps = paths(r);
        const path = useExtra || ps.length === 0 ? [EXTRA_KEYS[extraKey]!] : ps[pick % ps.length]!;
        const broken = setPath(r, path, value) as XsRecord;
        const { fast, ref } = both(broken, order);
        expect(fast).toEqual(ref);
        if ('error' in ref) errors++;
      }),
      { numRuns: 3000 },
    );
    expect(errors).toBeGreaterThan(500);
  });

  it('whole streams: encodeStream = header + writeRecordLayout per record, both byte orders', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 20 }), orderArb, fc.constantFrom(1, 2), (records, order, version) => {
        const stream: Stream = { header: { version, byteOrder: order, reservedFlags: 0 }, records: [...records, { type: 'END' }] };
        const w = new BinaryWriter(order, undefined, 16);
        w.setOrder('big');
        writeHeader(w, stream.header);
        w.setOrder(order);
        stream.records.forEach((r, i) => writeRecordLayout(w, r, i));
        const ref = Buffer.from(w.result());
        expect(Buffer.from(encodeStream(stream)).equals(ref)).toBe(true);
        // In blocks through a sink, with and without block reuse.
        for (const transient of [false, true]) {
          const chunks: Buffer[] = [];
          encodeStreamTo(stream, (c) => chunks.push(Buffer.from(c)), { transient });
          expect(Buffer.concat(chunks).equals(ref)).toBe(true);
        }
        // And the model survives the trip.
        expect(decodeStream(ref).records.length).toBe(stream.records.length);
      }),
      { numRuns: 300 },
    );
  });

  it('streamArbitrary streams (xenstored-shaped, with oddities): the same bytes both ways', () => {
    fc.assert(
      fc.property(fc.oneof(streamArbitrary(), streamArbitrary({ nonCanonical: true })), (stream) => {
        const order = stream.header.byteOrder;
        const w = new BinaryWriter(order, undefined, 16);
        w.setOrder('big');
        writeHeader(w, stream.header);
        w.setOrder(order);
        stream.records.forEach((r, i) => writeRecordLayout(w, r, i));
        if (stream.trailing) w.bytes(stream.trailing);
        expect(Buffer.from(encodeStream(stream)).equals(Buffer.from(w.result()))).toBe(true);
        // every record plainly valid: the generated encoder wrote each one itself
        for (const r of stream.records) expect(writeRecordFast(new BinaryWriter(order, undefined, 64), r)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reused blocks are overwritten: padding is zero even over old bytes', () => {
    // Fill the block with 0xff, flush, then write a record whose padding lands on those bytes.
    const out: Buffer[] = [];
    const w2 = new BinaryWriter('little', (c) => out.push(Buffer.from(c)), 64, true);
    w2.bytes(new Uint8Array(60).fill(0xff));
    w2.flush();
    writeRecord(w2, { type: 'WATCH_DATA', connId: 1, wpath: '/a', token: 't' }); // body 8+3+2 = 13, 3 bytes of padding
    w2.flush();
    expect(out[1]!.toString('hex')).toBe('03000000' + '10000000' + '01000000' + '0300' + '0200' + '2f6100' + '7400' + '000000');
  });

  it('the generated encoders follow the layouts', () => {
    const src = recordEncoderSource(LAYOUTS.NODE_DATA, true);
    expect(src).toContain('dv.setUint32(at, 5, true)'); // type code of NODE_DATA
    expect(recordEncoderSource(LAYOUTS.NODE_DATA, false)).toContain('dv.setUint32(at, 5, false)');
  });
});
