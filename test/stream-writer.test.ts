// The streaming pipeline StreamReader -> StreamWriter gives back the input byte for byte (the
// captures, and generated streams read in small chunks), and StreamWriter writes the bytes
// encodeStream writes.

import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeStream } from '../src/model/encode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { StreamWriter } from '../src/model/stream-writer.js';
import type { Stream, StreamHeader } from '../src/model/types.js';
import { EncodeError } from '../src/wire/errors.js';
import { recordArb } from './helpers/record-arb.js';

/** Reads `input` in chunks of `size` and writes every record straight back out. */
function pipeThrough(input: Uint8Array, size: number, transient: boolean, blockSize?: number): Buffer {
  const out: Buffer[] = [];
  let writer: StreamWriter | undefined;
  const reader = new StreamReader({
    onHeader: (h: StreamHeader) => {
      writer = new StreamWriter(h, (c) => out.push(Buffer.from(c)), { transient, blockSize });
    },
    onRecord: (r) => writer!.write(r),
    onTrailing: (_count, head) => writer!.end(head),
  });
  for (let at = 0; at < input.length; at += size) reader.push(input.subarray(at, at + size));
  reader.end();
  writer!.end();
  return Buffer.concat(out);
}

const dir = new URL('../fixtures/captures/', import.meta.url);

describe('StreamReader -> StreamWriter', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.bin'))) {
    it(`${f} comes back byte for byte`, () => {
      const bytes = readFileSync(new URL(f, dir));
      for (const size of [1, 100, 65536]) expect(pipeThrough(bytes, size, size === 100, 64).equals(bytes)).toBe(true);
    });
  }

  it('writes what encodeStream writes (generated streams, both byte orders, trailing bytes)', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 15 }),
        fc.constantFrom<'little' | 'big'>('little', 'big'),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 9 }), { nil: undefined }),
        fc.integer({ min: 1, max: 200 }),
        (records, byteOrder, trailing, size) => {
          const stream: Stream = { header: { version: 2, byteOrder, reservedFlags: 0 }, records: [...records, { type: 'END' }] };
          if (trailing) stream.trailing = trailing;
          const expected = Buffer.from(encodeStream(stream));
          const out: Buffer[] = [];
          const w = new StreamWriter(stream.header, (c) => out.push(Buffer.from(c)), { blockSize: 32 });
          for (const r of stream.records) w.write(r);
          w.end(stream.trailing);
          expect(Buffer.concat(out).equals(expected)).toBe(true);
          // and through the reader, in chunks
          expect(pipeThrough(expected, size, true, 32).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the record it cannot write, and refuses records after end()', () => {
    const w = new StreamWriter({ version: 2, byteOrder: 'little', reservedFlags: 0 }, () => undefined);
    w.write({ type: 'TRANSACTION_DATA', connId: 1, txId: 1 });
    expect(() => w.write({ type: 'TRANSACTION_DATA', connId: -1, txId: 1 })).toThrow(/record #1/);
    const w2 = new StreamWriter({ version: 2, byteOrder: 'little', reservedFlags: 0 }, () => undefined);
    w2.end();
    expect(() => w2.write({ type: 'END' })).toThrow(EncodeError);
  });
});
