// Where a command reads from: a file, or standard input when the argument is "-" or absent
// and stdin is not a terminal. yargs 18 turns a bare "-" into "", so "" means stdin too.

import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { CliError, EXIT } from './exit-codes.js';

export interface InputSpec {
  /** File path, or undefined for stdin. */
  path: string | undefined;
  /** How to name it in messages. */
  label: string;
}

export function resolveInput(arg: unknown): InputSpec {
  if (arg === undefined || arg === '' || arg === '-') {
    if (arg === undefined && process.stdin.isTTY) {
      throw new CliError(EXIT.USAGE, 'no input: give a FILE, or pipe a stream into standard input (use - for stdin)');
    }
    return { path: undefined, label: '<stdin>' };
  }
  return { path: String(arg), label: String(arg) };
}

function openError(label: string, e: unknown): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e));
  return new CliError(EXIT.NO_INPUT, `cannot open ${label}: ${why}`);
}

/** The whole input in memory (for commands that need all of it: decode, encode, convert). */
export function readWholeInput(input: InputSpec): Buffer {
  try {
    return readFileSync(input.path ?? 0);
  } catch (e) {
    throw openError(input.label, e);
  }
}

/** Input size when known (a regular file), for progress. */
export function inputSize(input: InputSpec): number | undefined {
  try {
    const st = input.path === undefined ? fstatSync(0) : statSync(input.path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the input in chunks through `onChunk`, never holding more than one chunk: the byte
 * source of the streaming reader. `reuse`: one buffer for every read (onChunk must not keep
 * the chunk); else a new one each.
 */
export function readInputChunks(input: InputSpec, onChunk: (chunk: Buffer) => void, chunkSize = 1 << 16, reuse = false): void {
  const one = reuse ? Buffer.allocUnsafe(chunkSize) : undefined;
  let buf = one;
  readInputInto(
    input,
    () => (buf = one ?? Buffer.allocUnsafe(chunkSize)),
    (n) => onChunk(n === chunkSize ? buf! : buf!.subarray(0, n)),
  );
}

/**
 * Reads the input into the caller's buffer: `room()` gives the free space to read into next,
 * `wrote(n)` hands over the `n` bytes just read there. Nothing is allocated per read, so a
 * consumer that keeps no views of what it is given (xsmig check) reads a stream of any size
 * with one buffer and leaves no garbage behind.
 */
export function readInputInto(input: InputSpec, room: () => Uint8Array, wrote: (n: number) => void): void {
  let fd: number;
  try {
    fd = input.path === undefined ? 0 : openSync(input.path, 'r');
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
  } catch (e) {
    throw openError(input.label, e);
  }
  try {
    for (;;) {
      const buf = room();
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          // Non-blocking stdin with nothing yet: wait a little instead of spinning.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
          continue;
        }
        if (code === 'EOF') break;
        throw new CliError(EXIT.NO_INPUT, `cannot read ${input.label}: ${code ?? String(e)}`);
      }
      if (n === 0) break;
      wrote(n);
    }
  } finally {
    if (input.path !== undefined) closeSync(fd);
  }
}
