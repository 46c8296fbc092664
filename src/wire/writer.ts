// A small explicit output buffer: integers in a chosen byte order, raw bytes, zero fill.
// It grows while it has no sink; with a sink it reuses one block and flushes it between
// records (maybeFlush), so a large stream is written without holding it all.

import type { ByteOrder } from './constants.js';

export type Sink = (chunk: Uint8Array) => void;

export class BinaryWriter {
  private buf: Uint8Array;
  private view: DataView;
  private bufB: Buffer;
  private pos = 0;
  private flushed = 0;
  little: boolean;

  /**
   * `transient`: the sink is done with each chunk when it returns (it writes it out at once),
   * so flush hands it a view of the block instead of a copy.
   */
  constructor(order: ByteOrder = 'little', private readonly sink?: Sink, blockSize = 1 << 20, private readonly transient = false) {
    this.buf = new Uint8Array(blockSize);
    this.view = new DataView(this.buf.buffer);
    this.bufB = Buffer.from(this.buf.buffer, 0, this.buf.length);
    this.little = order === 'little';
  }

  /** Absolute position in the output (bytes flushed plus bytes buffered). */
  get offset(): number {
    return this.flushed + this.pos;
  }

  setOrder(order: ByteOrder): void {
    this.little = order === 'little';
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Grow rather than flush here: a record's `len` is patched after its body is written.
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.bufB = Buffer.from(next.buffer, 0, next.length);
  }

  /** Flushes once the block is half full; call between records. */
  maybeFlush(): void {
    if (this.sink && this.pos >= this.buf.length >>> 1) this.flush();
  }

  flush(): void {
    if (!this.sink || this.pos === 0) return;
    // The block is reused at once: the sink gets a copy unless it said it needs none.
    this.sink(this.transient ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, this.little);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, this.little);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v, this.little);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, this.little);
    this.pos += 8;
  }
  u32be(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Writes each char code of `s` as one byte (the model keeps strings byte for char). */
  latin1(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i);
    this.pos += s.length;
  }
  /** Explicit zero bytes: the block is reused, so padding is never left to chance. */
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  /**
   * Room for `n` more bytes in the current block; returns where they start in `block`. For
   * generated encoders that write a whole record at once, then `commit(n)`. The block may be
   * replaced by a larger one here, so read `block`/`dataView` after calling.
   */
  reserve(n: number): number {
    this.ensure(n);
    return this.pos;
  }
  /** Marks `n` bytes after the reserved position as written (the caller wrote every one). */
  commit(n: number): void {
    this.pos += n;
  }
  get block(): Uint8Array {
    return this.buf;
  }
  get dataView(): DataView {
    return this.view;
  }
  /** The block as a Buffer (for latin1Write). */
  get blockBuffer(): Buffer {
    return this.bufB;
  }

  /** Overwrites a u32 already written at absolute offset `at` (still buffered). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at - this.flushed, v, this.little);
  }

  /** All bytes written (only without a sink). */
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
