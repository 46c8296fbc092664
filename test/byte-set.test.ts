// ByteSet (check/byte-set.ts), the set of watch keys behind the duplicate-watch rule: its hash is
// MurmurHash3 (x86, 32-bit), held to the algorithm's published values; the set says "already
// there" for a key added before and only for it, across growth, for keys that differ in one
// byte anywhere or are prefixes of one another.

import { describe, expect, it } from 'vitest';
import { ByteSet, hashBytes } from '../src/check/byte-set.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const hash = (s: string): number => {
  const b = bytes(s);
  return hashBytes(b, view(b), 0, b.length) >>> 0;
};

describe('hashBytes = MurmurHash3_x86_32, seed 0', () => {
  it('gives the published values', () => {
    expect(hash('')).toBe(0);
    expect(hash('hello')).toBe(0x248bfa47);
    expect(hash('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('reads the key where it lies in a larger buffer', () => {
    const b = bytes('xx/local/domain/7yy');
    expect(hashBytes(b, view(b), 2, b.length - 2) >>> 0).toBe(hash('/local/domain/7'));
  });
});

describe('ByteSet', () => {
  it('a key added before is there; any other is not (one byte changed anywhere, prefixes, 100,000 keys)', () => {
    const set = new ByteSet();
    const add = (b: Uint8Array): boolean => set.add(b, view(b), 0, b.length);
    const base = bytes('\0\u0001\0\0\0/local/domain/12/device/vif/0\0token-0123');
    expect(add(base)).toBe(false);
    for (let i = 0; i < base.length; i++) {
      const other = Buffer.from(base);
      other[i] ^= 0x40;
      expect(add(other), `byte ${i}`).toBe(false);
      expect(add(other), `byte ${i} again`).toBe(true);
    }
    for (let n = 0; n < base.length; n++) expect(add(base.subarray(0, n)), `prefix ${n}`).toBe(false);
    const many: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) many.push(bytes(`/local/domain/${i % 977}/w${i}`));
    for (const k of many) expect(add(k)).toBe(false);
    expect(many.every((k) => add(k))).toBe(true);
    expect(add(base)).toBe(true);
    expect(set.size).toBe(1 + base.length + base.length + 100_000);
  });

  it('reads a key where it lies (offsets into a shared buffer)', () => {
    const set = new ByteSet();
    const b = bytes('..abcd..abcd..abce');
    expect(set.add(b, view(b), 2, 6)).toBe(false);
    expect(set.add(b, view(b), 8, 12)).toBe(true);
    expect(set.add(b, view(b), 14, 18)).toBe(false);
  });
});
