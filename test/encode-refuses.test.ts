// The encoder must refuse a model it cannot write as given, with an EncodeError naming the
// record, instead of writing other bytes (a truncated char, a dropped field, a coerced number).

import { describe, expect, it } from 'vitest';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson } from '../src/model/json.js';
import { EncodeError } from '../src/wire/errors.js';

const stream = (records: unknown[], header: Record<string, unknown> = { version: 2, byteOrder: 'little' }) =>
  ({ format: 'xsmig-stream/1', header, records: [...records, { type: 'END' }] });

function encodeErrorOf(j: unknown): EncodeError {
  try {
    encodeStream(streamFromJson(j));
  } catch (e) {
    if (e instanceof EncodeError) return e;
    throw e;
  }
  throw new Error('expected an EncodeError, but encoding succeeded');
}

const node = (path: string) => ({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path, value: '' });
const ring = { domid: 1, tdomid: 0x7ff4, evtchn: 101 };

describe('the encoder refuses what it cannot write', () => {
  it('a path, token or quota name with a char above U+00FF (no byte for it)', () => {
    expect(encodeErrorOf(stream([node('/ok'), node('/a✓')])).message).toMatch(/record #1: NODE_DATA: path holds "✓" \(U\+2713\)/);
    expect(encodeErrorOf(stream([{ type: 'WATCH_DATA', connId: 1, wpath: '/', token: 'tök€' }])).message).toMatch(/record #0: WATCH_DATA: token/);
    expect(encodeErrorOf(stream([{ type: 'DOMAIN_DATA', domainId: 1, features: 0, quotas: [{ name: 'nodes✓', value: 1 }] }])).message).toMatch(/quota-names/);
  });
  it('still writes chars U+0080..U+00FF as single bytes (latin1 model strings)', () => {
    const b = Buffer.from(encodeStream(streamFromJson(stream([node('/\u00fc')]))));
    expect(b.includes(Buffer.from([0x2f, 0xfc, 0x00]))).toBe(true);
  });
  it('an UNKNOWN record without a valid typeCode (it would be written as type 0 = END)', () => {
    expect(encodeErrorOf(stream([{ type: 'UNKNOWN', bodyHex: '00' }])).message).toMatch(/record #0: UNKNOWN: typeCode: expected a number, found nothing/); // (issue 17 #13: the shape check names it)
    expect(encodeErrorOf(stream([{ type: 'UNKNOWN', typeCode: 2 ** 33, bodyHex: '' }])).message).toMatch(/typeCode 8589934592/);
  });
  it('a len that is not a u32', () => {
    expect(encodeErrorOf(stream([{ type: 'GLOBAL_DATA', rwSocketFd: -1, evtchnFd: 3, len: 8.5 }])).message).toMatch(/record #0: GLOBAL_DATA: len 8.5/);
  });
  it('a header version or reservedFlags that is not a u32', () => {
    expect(encodeErrorOf(stream([], { version: 1.5, byteOrder: 'little' })).message).toMatch(/header: version 1.5/);
    expect(encodeErrorOf(stream([], { version: -1, byteOrder: 'big' })).message).toMatch(/header: version -1/);
    expect(encodeErrorOf(stream([], { version: 1, byteOrder: 'little', reservedFlags: 6.5 })).message).toMatch(/reservedFlags 6.5/);
  });
  it('a unique-id (or its pad) given while fields bit 0 says there is none', () => {
    const c = { type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: 0, connSpec: ring, outRespLen: 0, inData: '', outData: '', uniqueId: '5' };
    expect(encodeErrorOf(stream([c])).message).toMatch(/record #0: CONNECTION_DATA: unique-id \(uniqueId\) is given but fields bit 0 is clear/);
  });
  it('a dataPad of the wrong length', () => {
    const c = { type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: 1, connSpec: ring, outRespLen: 0, inData: 'a', outData: '', dataPadHex: '01', uniqueId: '5' };
    expect(encodeErrorOf(stream([c])).message).toMatch(/dataPad\) holds 1 bytes, the record needs 7/);
  });
});
