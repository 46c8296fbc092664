import { describe, expect, it } from 'vitest';
import { decodeHeader, decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamToJson } from '../src/model/json.js';

function header(flags: number): Buffer {
  const b = Buffer.alloc(24);
  b.write('xenstore', 0, 'latin1');
  b.writeUInt32BE(1, 8);
  b.writeUInt32BE(flags, 12);
  return b; // followed by an END record (all zero)
}

describe('header flags', () => {
  it('reserved bit 31 is read as an unsigned value', () => {
    expect(decodeHeader(header(0x80000003))).toEqual({ version: 1, byteOrder: 'big', reservedFlags: 0x80000002 });
    expect(decodeHeader(header(0xfffffffe)).reservedFlags).toBe(0xfffffffe);
    expect((streamToJson(decodeStream(header(0x80000000))).header as { reservedFlags: number }).reservedFlags).toBe(2147483648);
  });
  it('reserved bits come back byte for byte', () => {
    for (const f of [0x80000000, 0x80000003, 0xfffffffe, 0xffffffff, 2]) {
      const b = header(f);
      expect(Buffer.from(encodeStream(decodeStream(b))).equals(b)).toBe(true);
    }
  });
});
