// StreamReader `chunksReused`: the caller overwrites each chunk after push() returns (one read
// buffer for the whole input). Whatever the chunk size, the reader must deliver the records a
// fresh-buffer reader delivers (it copies the start of a straddling record, and trailing bytes),
// and report faults at the same offsets. The test scribbles over every chunk once pushed.

import { describe, expect, it } from 'vitest';
import { StreamReader } from '../src/model/stream-reader.js';
import { recordToJson } from '../src/model/json.js';
import { DecodeError } from '../src/wire/errors.js';
import { mutatedCorpus, seedCorpus } from './helpers/hostile.js';

function readAll(bytes: Uint8Array, chunk: number, reused: boolean): { records: string[]; trailing?: string; error?: string } {
  const records: string[] = [];
  let trailing: string | undefined;
  const reader = new StreamReader({
    // Records are turned into text during the call: their bytes are valid only then.
    onRecord: (r, loc) => void records.push(JSON.stringify({ loc, r: recordToJson(r) })),
    onTrailing: (count, head) => void (trailing = `${count} ${Buffer.from(head).toString('hex')}`),
  }, { chunksReused: reused });
  const buf = Buffer.alloc(chunk);
  try {
    for (let at = 0; at < bytes.length; at += chunk) {
      const n = Math.min(chunk, bytes.length - at);
      if (reused) {
        buf.set(bytes.subarray(at, at + n));
        reader.push(buf.subarray(0, n));
        buf.fill(0xa5); // what the next read would do to it
      } else reader.push(bytes.slice(at, at + n));
    }
    reader.end();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { records, trailing, error: `${e.offset} ${e.message}` };
  }
  return { records, trailing };
}

describe('chunksReused', () => {
  it('delivers what fresh chunks deliver, for every chunk size, on valid and odd streams', () => {
    let n = 0;
    for (const seed of seedCorpus(81, 2)) {
      for (const chunk of [1, 3, 8, 17, 64, 1000, 1 << 16]) {
        expect(readAll(seed.bytes, chunk, true), `${seed.name} chunk ${chunk}`).toEqual(readAll(seed.bytes, chunk, false));
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });

  it('keeps trailing bytes and faults the same way, on mutated streams', () => {
    let faults = 0;
    for (const { i, name, bytes, how } of mutatedCorpus(82, 300, 1)) {
      const chunk = 1 + (i % 50);
      const want = readAll(bytes, chunk, false);
      if (want.error) faults++;
      expect(readAll(bytes, chunk, true), `${name} ${how}`).toEqual(want);
    }
    expect(faults).toBeGreaterThan(50);
  });
});
