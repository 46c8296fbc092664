// Truncated, overlong and garbage inputs: the decoder must throw DecodeError (never another
// error type) and name the right place: byte offset, record index, record type, field.
// Expected places come from the hand-written golden vectors' marks, not from the decoder.

import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { DecodeError } from '../src/wire/errors.js';
import { loadGoldenVectors, recordMarks, type GoldenVector } from './helpers/annotated-hex.js';

const vectors = new Map(loadGoldenVectors().map((v) => [`${v.name}.${v.order}`, v]));
function vector(key: string): GoldenVector {
  const v = vectors.get(key);
  if (!v) throw new Error(`no golden vector ${key}`);
  return v;
}

interface Where {
  offset: number;
  recordIndex: number;
  recordType?: number;
  field?: string;
}

/** Runs `fn`, requires a DecodeError, and returns where it says the fault is. */
function decodeErrorOf(fn: () => unknown): DecodeError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error('expected a DecodeError, but decoding succeeded');
  if (!(err instanceof DecodeError)) throw new Error(`expected a DecodeError, got ${String(err)}`);
  return err;
}

function where(e: DecodeError): Where {
  const w: Where = { offset: e.offset, recordIndex: e.recordIndex };
  if (e.recordType !== undefined) w.recordType = e.recordType;
  if (e.field !== undefined) w.field = e.field;
  return w;
}

function u32(b: Uint8Array, at: number, little: boolean): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, little);
}
function setU32(b: Uint8Array, at: number, v: number, little: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v, little);
}
function setU16(b: Uint8Array, at: number, v: number, little: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(at, v, little);
}

/** A copy of a vector's bytes, its byte order and its record start offsets. */
function mutable(key: string): { b: Buffer; little: boolean; rec: number[] } {
  const v = vector(key);
  return { b: Buffer.from(v.hex.bytes), little: v.order === 'little', rec: recordMarks(v.hex).map((m) => m.offset) };
}

/**
 * Where a stream cut after `cut` bytes must be reported. Records are taken from the hand
 * marks; `realEnd` gives a record's true end when it differs from its declared one (the
 * 4.22 short header), `bodyEnd` where its body (without padding) ends.
 */
function expectedCut(v: GoldenVector, cut: number, special: Map<number, { bodyEnd: number; realEnd: number }>): Where {
  if (cut < 16) return { offset: 0, recordIndex: -1 };
  const starts = recordMarks(v.hex).map((m) => m.offset);
  const little = v.order === 'little';
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]! : start + 8;
    if (cut >= end) continue;
    if (cut < start + 8) return { offset: start, recordIndex: i };
    const type = u32(v.hex.bytes, start, little);
    const s = special.get(i);
    if (s && cut >= s.bodyEnd) return { offset: cut, recordIndex: i, recordType: type };
    return { offset: start + 4, recordIndex: i, recordType: type, field: 'len' };
  }
  throw new Error('cut past the end');
}

describe('truncation at every offset', () => {
  const cases: [string, Map<number, { bodyEnd: number; realEnd: number }>][] = [
    ['node-committed.little', new Map()],
    ['node-transaction.big', new Map()],
    ['connection-ring-pending.big', new Map()],
    ['global-quota.little', new Map()],
    ['anomaly-unpadded-len.little', new Map()],
    // Record 0 is a short-header WATCH_DATA_EXTENDED: its body really ends at 16+8+21 and
    // the record at 16+32 though its len says 16+40. Cut inside its padding, the decoder
    // reports the missing padding at the cut.
    ['anomaly-short-header-overrun.little', new Map([[0, { bodyEnd: 16 + 8 + 21, realEnd: 16 + 32 }]])],
  ];
  for (const [key, special] of cases) {
    it(`${key}: every proper prefix fails with the right place`, () => {
      const v = vector(key);
      const full = v.hex.bytes;
      for (let cut = 0; cut < full.length; cut++) {
        const e = decodeErrorOf(() => decodeStream(full.subarray(0, cut)));
        expect(where(e), `cut at ${cut}`).toEqual(expectedCut(v, cut, special));
      }
      expect(() => decodeStream(full)).not.toThrow();
    });

    it(`${key}: the chunked StreamReader reports the same place`, () => {
      const v = vector(key);
      const full = v.hex.bytes;
      for (let cut = 0; cut < full.length; cut++) {
        const e = decodeErrorOf(() => {
          const r = new StreamReader({});
          for (let i = 0; i < cut; i += 5) r.push(full.subarray(i, Math.min(cut, i + 5)));
          r.end();
        });
        const exp = expectedCut(v, cut, special);
        // A stream cut at a record boundary: the reader names the missing record, not a field.
        expect({ offset: e.offset, recordIndex: e.recordIndex }, `cut at ${cut}`).toEqual({ offset: exp.offset, recordIndex: exp.recordIndex });
      }
    });
  }
});

describe('header faults', () => {
  it('empty input', () => {
    const e = decodeErrorOf(() => decodeStream(new Uint8Array(0)));
    expect(where(e)).toEqual({ offset: 0, recordIndex: -1 });
    expect(e.message).toMatch(/header/);
  });
  it('bad ident names the first wrong byte', () => {
    const { b } = mutable('end.little');
    b[5] = 0x58; // "xensTore" -> "xensXore"
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: 5, recordIndex: -1, field: 'ident' });
    const c = Buffer.from('XENSTORE' + '\0'.repeat(16), 'latin1');
    expect(where(decodeErrorOf(() => decodeStream(c)))).toEqual({ offset: 0, recordIndex: -1, field: 'ident' });
  });
  it('not a stream at all (text file)', () => {
    const e = decodeErrorOf(() => decodeStream(Buffer.from('{"format":"xsmig-stream/1"}\n')));
    expect(where(e)).toEqual({ offset: 0, recordIndex: -1, field: 'ident' });
    expect(e.message).toMatch(/not a Xenstore migration stream/);
  });
});

describe('missing END', () => {
  it('a stream that stops after a whole record names the missing record', () => {
    const v = vector('global-data.little');
    const cut = recordMarks(v.hex)[1]!.offset; // where END should start
    const e = decodeErrorOf(() => decodeStream(v.hex.bytes.subarray(0, cut)));
    expect(where(e)).toEqual({ offset: cut, recordIndex: 1 });
    expect(e.found).toMatch(/no END/);
    expect(e.message).toMatch(/record #1/);
  });
  it('a header alone', () => {
    const v = vector('end.big');
    expect(where(decodeErrorOf(() => decodeStream(v.hex.bytes.subarray(0, 16))))).toEqual({ offset: 16, recordIndex: 0 });
  });
});

describe('len past the end of the input', () => {
  for (const len of [0x1000, 0x7ffffff8, 0xfffffff8, 0xffffffff]) {
    it(`len ${len} on record 0 is reported at its len field`, () => {
      const { b, little, rec } = mutable('node-committed.little');
      setU32(b, rec[0]! + 4, len, little);
      const e = decodeErrorOf(() => decodeStream(b));
      expect(where(e)).toEqual({ offset: rec[0]! + 4, recordIndex: 0, recordType: 5, field: 'len' });
      expect(e.message).toMatch(/record #0 \(NODE_DATA\)/);
    });
  }
  it('on a later record, big-endian', () => {
    const { b, little, rec } = mutable('node-transaction.big');
    setU32(b, rec[1]! + 4, 0x100, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: rec[1]! + 4, recordIndex: 1, recordType: 5, field: 'len' });
  });
  it('on an unknown record type', () => {
    const { b, little, rec } = mutable('unknown-type.big');
    setU32(b, rec[0]! + 4, 0x20, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: rec[0]! + 4, recordIndex: 0, recordType: 9, field: 'len' });
  });
});

describe('inner lengths that run past the record', () => {
  // Offsets below are body offsets from the hex comments; the body starts 8 after the record.
  const body = (rec: number[], i: number, at: number) => rec[i]! + 8 + at;

  it('NODE_DATA path-len', () => {
    const { b, little, rec } = mutable('node-committed.little');
    setU16(b, body(rec, 0, 8), 200, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 32), recordIndex: 0, recordType: 5, field: 'path' });
  });
  it('NODE_DATA value-len', () => {
    const { b, little, rec } = mutable('node-committed.big');
    setU16(b, body(rec, 0, 10), 12, little); // 37 + 12 > 48
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 37), recordIndex: 0, recordType: 5, field: 'value' });
  });
  it('NODE_DATA perm-count', () => {
    const { b, little, rec } = mutable('node-committed.little');
    setU16(b, body(rec, 0, 14), 100, little); // perms[8] would start at +48 = len
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 48), recordIndex: 0, recordType: 5, field: 'perms[8].perm' });
  });
  it('NODE_DATA perm-count 0xffff in a later record', () => {
    const { b, little, rec } = mutable('node-transaction.big');
    setU16(b, body(rec, 1, 14), 0xffff, little); // record 1 has len 32: perms[4] at +32
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 1, 32), recordIndex: 1, recordType: 5, field: 'perms[4].perm' });
  });
  it('CONNECTION_DATA in-data-len', () => {
    const { b, little, rec } = mutable('connection-ring-pending.little');
    setU16(b, body(rec, 0, 16), 0x1000, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 24), recordIndex: 0, recordType: 2, field: 'inData' });
  });
  it('CONNECTION_DATA out-data-len', () => {
    const { b, little, rec } = mutable('connection-ring-pending.big');
    setU32(b, body(rec, 0, 20), 0x10000, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 52), recordIndex: 0, recordType: 2, field: 'outData' });
  });
  it('CONNECTION_DATA unique-id flagged but len too short for it', () => {
    const { b, little, rec } = mutable('connection-ring-unique-id.little');
    setU32(b, rec[0]! + 4, 24, little); // body 24: the unique-id (at +24) no longer fits
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 24), recordIndex: 0, recordType: 2, field: 'uniqueId' });
  });
  it('WATCH_DATA wpath-len', () => {
    const { b, little, rec } = mutable('watch-data.little');
    setU16(b, body(rec, 0, 4), 100, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 8), recordIndex: 0, recordType: 3, field: 'wpath' });
  });
  it('WATCH_DATA token-len', () => {
    const { b, little, rec } = mutable('watch-data.big');
    setU16(b, body(rec, 0, 6), 17, little); // 24 + 17 > 40
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 24), recordIndex: 0, recordType: 3, field: 'token' });
  });
  it('WATCH_DATA_EXTENDED wpath-len', () => {
    const { b, little, rec } = mutable('watch-extended-depth.little');
    setU16(b, body(rec, 0, 4), 0x4000, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 12), recordIndex: 0, recordType: 8, field: 'wpath' });
  });
  it('DOMAIN_DATA n-quota', () => {
    const { b, little, rec } = mutable('domain-data.little');
    setU16(b, body(rec, 0, 2), 9, little); // quota-val[8] would start at +40 = len
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 40), recordIndex: 0, recordType: 7, field: 'quotaVal[8]' });
  });
  it('GLOBAL_QUOTA_DATA n-glob-quota', () => {
    const { b, little, rec } = mutable('global-quota.big');
    setU16(b, body(rec, 0, 2), 20, little); // 22 values: quota-val[11] would start at +48 = len
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 48), recordIndex: 0, recordType: 6, field: 'quotaVal[11]' });
  });
  it('GLOBAL_QUOTA_DATA n-dom-quota 0xffff', () => {
    const { b, little, rec } = mutable('global-quota.little');
    setU16(b, body(rec, 0, 0), 0xffff, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 48), recordIndex: 0, recordType: 6, field: 'quotaVal[11]' });
  });
  it('a quota name without its NUL before the end of the record', () => {
    const { b, rec } = mutable('domain-data.little');
    // "soft-memory\0" is at +22..+33, padding +34..+39: fill the NUL and the padding.
    b.fill(0x78, body(rec, 0, 33), body(rec, 0, 40));
    const e = decodeErrorOf(() => decodeStream(b));
    expect(where(e)).toEqual({ offset: body(rec, 0, 22), recordIndex: 0, recordType: 7, field: 'quotaNames[1]' });
    expect(e.message).toMatch(/NUL/);
  });
  it('a global quota name without its NUL (unpadded len)', () => {
    const { b, little, rec } = mutable('global-quota.big');
    // len 42: the body ends right after "watches\0"; drop that NUL.
    setU32(b, rec[0]! + 4, 42, little);
    b[body(rec, 0, 41)] = 0x21;
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 34), recordIndex: 0, recordType: 6, field: 'quotaNames[2]' });
  });
  it('the body is checked against len, not against the input (no reading into the next record)', () => {
    // Shrink NODE_DATA's len to 40 while the node still needs 43 bytes; the next 8 bytes of
    // the input (padding and END) would satisfy a parser that read past len.
    const { b, little, rec } = mutable('node-committed.little');
    setU32(b, rec[0]! + 4, 40, little);
    expect(where(decodeErrorOf(() => decodeStream(b)))).toEqual({ offset: body(rec, 0, 37), recordIndex: 0, recordType: 5, field: 'value' });
  });
});

describe('garbage', () => {
  // Deterministic pseudo-random bytes (no timing, no flakiness).
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s >>> 24;
    };
  }

  it('every single-byte change of every golden vector round-trips (binary and JSON) or throws DecodeError', () => {
    let decoded = 0;
    let rejected = 0;
    for (const v of vectors.values()) {
      const base = v.hex.bytes;
      for (let i = 0; i < base.length; i++) {
        for (const val of [0x00, 0xff, 0x80, 0x07, (base[i]! + 1) & 0xff]) {
          if (val === base[i]) continue;
          const b = Buffer.from(base);
          b[i] = val;
          let s;
          try {
            s = decodeStream(b);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw new Error(`${v.file} byte ${i} = ${val}: ${String(e)}`);
            expect(e.offset).toBeGreaterThanOrEqual(0);
            expect(e.offset).toBeLessThanOrEqual(b.length);
            rejected++;
            continue;
          }
          expect(Buffer.from(encodeStream(s)).equals(b), `${v.file} byte ${i} = ${val} re-encodes`).toBe(true);
          // ... and through the JSON text form too.
          const viaJson = encodeStream(streamFromJson(JSON.parse(JSON.stringify(streamToJson(s)))));
          expect(Buffer.from(viaJson).equals(b), `${v.file} byte ${i} = ${val} via JSON`).toBe(true);
          decoded++;
        }
      }
    }
    // Both outcomes must occur, or the loop tested nothing.
    expect(decoded).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  it('random bytes after a valid header give DecodeError or a byte-exact round trip', () => {
    const r = rng(7);
    for (let n = 0; n < 3000; n++) {
      const len = 8 + (r() % 120);
      const b = Buffer.alloc(16 + len);
      b.write('xenstore', 0, 'latin1');
      b.writeUInt32BE(1 + (r() & 1), 8);
      b.writeUInt32BE(r() & 1, 12);
      const little = b[15] === 0;
      for (let i = 16; i < b.length; i++) b[i] = r() < 128 ? 0 : r();
      // Plausible record types and lengths, so that decoding gets past the framing.
      for (let at = 16; at + 8 <= b.length; at += 8 + ((r() % 6) * 8)) {
        if (little) { b.writeUInt32LE(r() % 10, at); b.writeUInt32LE(r() % 64, at + 4); }
        else { b.writeUInt32BE(r() % 10, at); b.writeUInt32BE(r() % 64, at + 4); }
      }
      try {
        const s = decodeStream(b);
        expect(Buffer.from(encodeStream(s)).equals(b)).toBe(true);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw new Error(`${b.toString('hex')}: ${String(e)}`);
      }
    }
  });
});
