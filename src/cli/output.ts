// Output in large blocks: text is encoded straight into one reused 64 KiB buffer, written
// with fs.writeSync when full (console.log per line costs about three times as much on a
// large dump, and joining the lines first costs a copy). Writing to a closed pipe
// (`xsmig dump f | head`) ends the process quietly.

import { removeIfKilled } from './temp-guard.js';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

export class BlockWriter {
  private readonly buf: Buffer;
  private pos = 0;
  /** Most bytes one char can take in this encoding. */
  private readonly perChar: number;
  /**
   * `latin1`: one byte per char: for raw paths (`tree`) and for output that is ASCII by
   * construction (`dump` escapes every other byte), where it is also the fastest encoding.
   */
  constructor(private readonly fd: number, private readonly encoding: 'utf8' | 'latin1' = 'utf8', size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
    this.perChar = encoding === 'latin1' ? 1 : 3;
  }

  line(s: string): void {
    this.text(s);
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = 10;
  }
  text(s: string): void {
    const most = s.length * this.perChar;
    if (this.pos + most > this.buf.length) {
      this.flush();
      if (most > this.buf.length) {
        writeAllSync(this.fd, Buffer.from(s, this.encoding));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos, this.encoding);
  }
  /**
   * Direct writing, for a renderer that writes bytes itself (dump's, dump-bytes.ts): makes
   * room for `n` bytes (flushing what is buffered if needed) and returns the position in
   * `buffer` where they go, or -1 when `n` is more than the whole buffer. Nothing written
   * there counts until commit(end), so a renderer may give up half-way and write nothing.
   */
  reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) return -1;
    }
    return this.pos;
  }
  get buffer(): Buffer {
    return this.buf;
  }
  /** Ends a direct write: the bytes up to `end` (from reserve's position) are output. */
  commit(end: number): void {
    this.pos = end;
  }
  flush(): void {
    if (this.pos === 0) return;
    writeAllSync(this.fd, this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

/** A reader of a stream's copy that went away before its end (`convert -o - | head -c 10`). */
export class CutShort extends Error {
  constructor(readonly written: number) {
    super('standard output was closed before the end');
  }
}

/**
 * Writes all of `data`. A reader that goes away (EPIPE, `| head`) ends the process with exit 0,
 * as for any listing; with `epipe: 'throw'` (a stream whose copy must be whole) it throws CutShort.
 */
export function writeAllSync(fd: number, data: Uint8Array, epipe: 'exit' | 'throw' = 'exit'): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // non-blocking pipe is full: try again
      if (code === 'EPIPE' && epipe === 'throw') throw new CutShort(off);
      if (code === 'EPIPE') process.exit(0); // reader went away (`| head`): not an error
      throw e;
    }
  }
}

/**
 * Writes a file via a temporary file in the same directory, renamed into place only when
 * complete: a failure leaves neither a half-written OUT nor the temporary file.
 * `beforeRename`, when given, sees the complete temporary file (e.g. to verify it); if it
 * throws, the temporary file is removed and OUT is left as it was.
 */
export function writeFileAtomic(
  path: string,
  produce: (write: (chunk: Uint8Array) => void, tmpPath: string) => void,
  beforeRename?: (tmpPath: string) => void,
  /** A large temporary worth a watcher that removes it if the process is killed (see temp-guard.ts). */
  guard = false,
): void {
  const tmp = join(dirname(path), `.${basename(path)}.xsmig-${process.pid}-${Date.now().toString(36)}.tmp`);
  let fd: number;
  // (The watcher first: a kill between creating the file and starting it would leave the file.)
  if (guard) removeIfKilled(tmp);
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw new CliError(EXIT.CANT_CREATE, `cannot create ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    produce((chunk) => writeAllSync(fd, chunk), tmp);
    fsyncSync(fd);
    closeSync(fd);
    beforeRename?.(tmp);
    renameSync(tmp, path);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    try { unlinkSync(tmp); } catch { /* already gone */ }
    // A system call failed (disk full, permission): an output problem. Anything else (a
    // model that cannot be encoded) is rethrown as it is.
    const sys = e as NodeJS.ErrnoException;
    if (sys.syscall) throw new CliError(EXIT.CANT_CREATE, `cannot write ${path}: ${sys.code ?? sys.message}`);
    throw e;
  }
}

/** Writes to `out` (a path, or stdout when absent or "-"). */
export function writeOutput(out: string | undefined, produce: (write: (chunk: Uint8Array) => void) => void): void {
  if (out === undefined || out === '-' || out === '') {
    produce((chunk) => writeAllSync(1, chunk));
    return;
  }
  writeFileAtomic(out, produce);
}
