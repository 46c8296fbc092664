// Streaming reader: takes the input chunk by chunk and delivers records in order with memory
// bounded by the largest record, not the stream. Only the bytes of a record that straddles
// chunks are copied; a record larger than a chunk is gathered from its chunks once.

import { HEADER_SIZE, RECORD_HEADER_SIZE, roundUp8 } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { decodeHeader, decodeRecordAt } from './decode.js';
import type { RecordLocation, StreamHeader, XsRecord } from './types.js';

export interface StreamHandlers {
  onHeader?(header: StreamHeader): void;
  /** `bytes`: the record's own bytes (envelope, body, padding); valid during the call. */
  onRecord?(record: XsRecord, location: RecordLocation, bytes: Uint8Array): void;
  /** Bytes after END. Called once at end() with their count and (up to 1 MiB of) their bytes. */
  onTrailing?(count: number, head: Uint8Array): void;
}

export class StreamReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Absolute offset of the first buffered byte. */
  private base = 0;
  private header: StreamHeader | undefined;
  private index = 0;
  private ended = false;
  private trailingCount = 0;
  private trailingHead: Buffer[] = [];

  constructor(private readonly h: StreamHandlers) {}

  get bytesConsumed(): number {
    return this.base;
  }
  get done(): boolean {
    return this.ended;
  }

  push(chunk: Uint8Array): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.ended) {
      this.addTrailing(b);
      return;
    }
    this.chunks.push(b);
    this.buffered += b.length;
    this.drain(false);
  }

  /** No more input: decode what is left or report where the stream was cut. */
  end(): void {
    if (!this.ended) this.drain(true);
    if (!this.ended) {
      throw new DecodeError({ offset: this.base + this.buffered, recordIndex: this.index }, 'an END record', 'the end of the input');
    }
    if (this.trailingCount) this.h.onTrailing?.(this.trailingCount, Buffer.concat(this.trailingHead));
  }

  private addTrailing(b: Buffer): void {
    if (this.trailingCount < 1 << 20) this.trailingHead.push(b.subarray(0, (1 << 20) - this.trailingCount));
    this.trailingCount += b.length;
  }

  /** Joins buffered chunks into one buffer of at least `n` bytes (or all there is). */
  private window(n: number): Buffer {
    if (this.chunks.length > 1 && this.chunks[0]!.length < n) {
      const all = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [all];
    }
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private drain(final: boolean): void {
    if (!this.header) {
      if (this.buffered < HEADER_SIZE && !final) return;
      const w = this.window(HEADER_SIZE);
      this.header = decodeHeader(w);
      this.h.onHeader?.(this.header);
      this.consume(HEADER_SIZE);
    }
    const little = this.header.byteOrder === 'little';
    while (!this.ended) {
      if (this.buffered < RECORD_HEADER_SIZE && !final) return;
      let w = this.window(RECORD_HEADER_SIZE);
      let need = RECORD_HEADER_SIZE;
      if (w.length >= RECORD_HEADER_SIZE) {
        const len = little ? w.readUInt32LE(4) : w.readUInt32BE(4);
        need = RECORD_HEADER_SIZE + roundUp8(len);
      }
      if (this.buffered < need && !final) return;
      w = this.window(need);
      // Decode within this window; errors carry absolute offsets.
      const { record, location } = decodeRecordAt(w, 0, this.index, this.header.byteOrder, this.base);
      this.h.onRecord?.(record, location, w.subarray(0, location.wireLen));
      this.index++;
      this.consume(location.wireLen);
      if (record.type === 'END') {
        this.ended = true;
        for (const c of this.chunks) this.addTrailing(c);
        this.chunks = [];
        this.buffered = 0;
      }
    }
  }

  private consume(n: number): void {
    this.base += n;
    this.buffered -= n;
    while (n > 0 && this.chunks.length) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        n -= c.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}
