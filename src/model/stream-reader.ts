// Streaming reader: takes the input chunk by chunk and delivers records in order with memory
// bounded by the largest record, not the stream. Records that lie whole inside a chunk are
// decoded in place by the fast path (fast-decode.ts), with no copy and no per-record
// bookkeeping; only a record that straddles chunks is copied, once, into a buffer of its own
// size (gathered from as many chunks as it spans). Results and errors are those of
// decodeStream on the whole input: same records, same absolute offsets and record indexes.

import { HEADER_SIZE, RECORD_HEADER_SIZE, roundUp8 } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { decodeHeader } from './decode.js';
import { decodeRecordsFast, selectionDecoders, viewOf, type Decoders, type FieldSelection } from './fast-decode.js';
import type { RecordLocation, StreamHeader, XsRecord } from './types.js';

export interface StreamHandlers {
  onHeader?(header: StreamHeader): void;
  /**
   * `bytes`: the record's own bytes (envelope, body, padding); valid during the call. Made only
   * for a handler that asks for it (an onRecord declaring a third parameter, or the reader's
   * `wantBytes` option), else empty: a view per record costs time on a large stream.
   */
  onRecord?(record: XsRecord, location: RecordLocation, bytes: Uint8Array): void;
  /** Bytes after END. Called once at end() with their count and (up to 1 MiB of) their bytes. */
  onTrailing?(count: number, head: Uint8Array): void;
}

export interface StreamReaderOptions {
  /** Give onRecord each record's bytes (default: when onRecord declares three parameters). */
  wantBytes?: boolean;
  /**
   * Build only these fields of the records of these types (see FieldSelection): for a pass
   * that reads a few fields of millions of records. Errors and anomaly markers are unchanged.
   */
  select?: FieldSelection;
  /**
   * Hand onRecord the same location object for every record, updated in place: for a handler
   * that reads the location during the call and keeps nothing of it (a million locations are
   * a tenth of a pass's allocations).
   */
  reuseLocation?: boolean;
  /**
   * The caller reuses each chunk's memory once push() returns (one read buffer for the whole
   * input: 100 MB read into fresh 64 KiB buffers cost about 30 ms more). The reader then
   * copies what it keeps of a chunk (the start of a record that goes on in the next one), and
   * the byte fields of the records it hands out are valid only during onRecord.
   */
  chunksReused?: boolean;
}

const NO_BYTES = Buffer.alloc(0);
const TRAILING_HEAD_MAX = 1 << 20;

export class StreamReader {
  /** The chunk being decoded, and the position of its first unconsumed byte. */
  private cur: Buffer = NO_BYTES;
  private view: DataView = viewOf(NO_BYTES);
  private pos = 0;
  /** Chunks received after `cur` while a record straddling them is incomplete. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Absolute offset of `cur[pos]`. */
  private base = 0;
  private header: StreamHeader | undefined;
  private index = 0;
  private ended = false;
  private trailingCount = 0;
  private trailingHead: Buffer[] = [];
  private readonly deliver: (record: XsRecord, location: RecordLocation, bytes: Uint8Array) => void;
  private readonly wantBytes: boolean;
  private readonly decoders: Decoders;
  private readonly location: RecordLocation | undefined;
  private readonly chunksReused: boolean;
  /** `cur` is the caller's chunk (not a copy of ours): with chunksReused, copy what is left of it. */
  private curIsCallers = false;
  /** What ended the reading early (see guarded()). */
  private failed: { error: unknown } | undefined;

  constructor(private readonly h: StreamHandlers, options: StreamReaderOptions = {}) {
    const on = h.onRecord?.bind(h);
    this.deliver = on ?? (() => undefined);
    this.wantBytes = options.wantBytes ?? (h.onRecord !== undefined && h.onRecord.length >= 3);
    this.decoders = selectionDecoders(options.select);
    this.location = options.reuseLocation ? { index: 0, offset: 0, typeCode: 0, len: 0, wireLen: 0 } : undefined;
    this.chunksReused = options.chunksReused ?? false;
  }

  /** Bytes of input consumed so far (header and whole records). */
  get bytesConsumed(): number {
    return this.base;
  }
  get done(): boolean {
    return this.ended;
  }

  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      const what = chunk === null ? 'null' : typeof chunk === 'object' ? (chunk as object).constructor?.name ?? 'an object' : typeof chunk;
      throw new TypeError(`StreamReader.push: a chunk is a Uint8Array or Buffer of the stream's bytes, not ${what === 'string' ? 'a string (read the input as bytes: no setEncoding)' : what}`);
    }
    this.throwIfFailed();
    if (chunk.length === 0) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.ended) {
      this.addTrailing(b);
      return;
    }
    if (this.pos === this.cur.length && this.pending.length === 0) {
      this.setCur(b, 0);
      this.curIsCallers = this.chunksReused;
    } else {
      // (A chunk that waits behind a straddling record is kept: a copy when the caller reuses it.)
      const kept = this.chunksReused ? Buffer.from(b) : b;
      this.pending.push(kept);
      this.pendingLen += kept.length;
    }
    this.guarded(false);
    if (this.curIsCallers && this.pos < this.cur.length) this.setCur(Buffer.from(this.cur.subarray(this.pos)), 0);
    this.curIsCallers = false;
  }

  /** No more input: decode what is left or report where the stream was cut. */
  end(): void {
    this.throwIfFailed();
    if (!this.ended) this.guarded(true);
    if (!this.ended) {
      throw new DecodeError({ offset: this.base + this.buffered(), recordIndex: this.index }, 'an END record', 'the end of the input');
    }
    if (this.trailingCount) this.h.onTrailing?.(this.trailingCount, Buffer.concat(this.trailingHead));
  }

  /**
   * drain(), remembering a failure: a fault of the input or a handler that throws leaves the
   * reader between records, so push() and end() after it throw the same error again rather
   * than decode (and deliver a second time) what was already delivered.
   */
  private guarded(final: boolean): void {
    try {
      this.drain(final);
    } catch (e) {
      this.failed = { error: e };
      throw e;
    }
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.error;
  }

  private buffered(): number {
    return this.cur.length - this.pos + this.pendingLen;
  }

  private setCur(b: Buffer, pos: number): void {
    this.curIsCallers = false;
    this.cur = b;
    this.view = viewOf(b);
    this.pos = pos;
  }

  private addTrailing(b: Buffer): void {
    if (b.length === 0) return;
    if (this.trailingCount < TRAILING_HEAD_MAX) {
      const head = b.subarray(0, TRAILING_HEAD_MAX - this.trailingCount);
      this.trailingHead.push(this.chunksReused ? Buffer.from(head) : head);
    }
    this.trailingCount += b.length;
  }

  /** Copies the next `n` buffered bytes (or all there are) into one new buffer. */
  private gather(n: number): Buffer {
    const take = Math.min(n, this.buffered());
    const out = Buffer.allocUnsafe(take);
    let at = this.cur.copy(out, 0, this.pos, Math.min(this.cur.length, this.pos + take));
    for (let i = 0; at < take; i++) at += this.pending[i]!.copy(out, at, 0, take - at);
    return out;
  }

  /** Drops `n` bytes from the front of the buffered input. */
  private advance(n: number): void {
    this.base += n;
    const rest = this.cur.length - this.pos;
    if (n < rest) {
      this.pos += n;
      return;
    }
    n -= rest;
    while (this.pending.length) {
      const c = this.pending.shift()!;
      this.pendingLen -= c.length;
      if (n < c.length) {
        this.setCur(c, n);
        return;
      }
      n -= c.length;
    }
    this.setCur(NO_BYTES, 0);
  }

  private drain(final: boolean): void {
    if (!this.header) {
      if (this.buffered() < HEADER_SIZE && !final) return;
      const head = this.cur.length - this.pos >= HEADER_SIZE ? this.cur.subarray(this.pos, this.pos + HEADER_SIZE) : this.gather(HEADER_SIZE);
      this.header = decodeHeader(head);
      this.h.onHeader?.(this.header);
      this.advance(HEADER_SIZE);
    }
    const order = this.header.byteOrder;
    const little = order === 'little';
    while (!this.ended) {
      // Every record that lies whole in the current chunk, decoded in place.
      const lastChunk = final && this.pending.length === 0;
      const r = decodeRecordsFast(this.cur, this.view, this.pos, this.index, order, this.base - this.pos, lastChunk, this.deliver, this.wantBytes, this.decoders, this.location);
      this.index += r.count;
      this.base += r.offset - this.pos;
      this.pos = r.offset;
      if (r.ended) break;
      if (this.pending.length === 0) {
        if (lastChunk) throw new Error('StreamReader: decoder stopped before the end of the input'); // (unreachable)
        return; // the rest of this chunk is the start of a record: wait for more
      }
      // A record straddles the end of `cur`: gather exactly its bytes, once they have all come.
      const buffered = this.buffered();
      let need = RECORD_HEADER_SIZE;
      if (buffered >= RECORD_HEADER_SIZE) {
        const h = this.cur.length - this.pos >= RECORD_HEADER_SIZE ? this.cur.subarray(this.pos) : this.gather(RECORD_HEADER_SIZE);
        const len = little ? h.readUInt32LE(4) : h.readUInt32BE(4);
        need = RECORD_HEADER_SIZE + roundUp8(len);
      }
      if (buffered < need && !final) return;
      const rec = this.gather(need);
      // `rec` ends where the input ends when it is shorter than the record: decode as the last chunk.
      const one = decodeRecordsFast(rec, viewOf(rec), 0, this.index, order, this.base, rec.length < need || final, (record, location, bytes) => {
        this.deliver(record, location, bytes);
        return false; // one record: those after it are decoded in place from their chunks
      }, this.wantBytes, this.decoders, this.location);
      this.index += one.count;
      this.advance(one.offset);
      if (one.ended) break;
    }
    // After END: what is left is trailing data.
    this.ended = true;
    this.addTrailing(this.cur.subarray(this.pos));
    for (const c of this.pending) this.addTrailing(c);
    this.setCur(NO_BYTES, 0);
    this.pending = [];
    this.pendingLen = 0;
  }
}

/**
 * Reads a whole stream from any chunk source (a Node Readable such as a file stream or
 * process.stdin, or any async iterable of byte chunks) through a StreamReader.
 */
export async function readStreamFrom(source: AsyncIterable<Uint8Array | string>, handlers: StreamHandlers, options: StreamReaderOptions = {}): Promise<void> {
  const reader = new StreamReader(handlers, options);
  for await (const chunk of source) {
    if (typeof chunk === 'string') throw new TypeError('readStreamFrom: the source must yield bytes, not text (no setEncoding)');
    reader.push(chunk);
  }
  reader.end();
}
