// Reading a file at any offset, for the verify stage (the input read again, the bytes after END
// of the file written).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { RandomAccess } from './streaming.js';

/** Reads `length` bytes of `fd` at `at` into `into` (from its start); fewer at the end of the file. */
export function readAt(fd: number, into: Buffer, at: number, length: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, into, got, length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** The file at `path`, read at any offset; `close` when done. */
export function randomAccess(path: string): RandomAccess & { close(): void } {
  const fd = openSync(path, 'r');
  return {
    size: fstatSync(fd).size,
    read: (into, at, length) => readAt(fd, into, at, length),
    close: () => closeSync(fd),
  };
}
