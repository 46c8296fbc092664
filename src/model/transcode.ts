// Streaming transcoder: rewrites a stream in another record byte order (or copies it in the
// same one) without building a model of the records it can rewrite raw. A byte-order change
// moves no byte: each record keeps its length, strings, byte fields and padding, and only its
// integers are reversed (wire/byte-swap.ts, generated from the layouts). So runs of records are
// copied to the output block with one copy each, and each record's integers are then swapped
// in place there.
//
// Records the caller wants to see as models (the `raw` table says which types go raw), and any
// record the generated swapper gives up on, are decoded by the fast decoder instead (which
// reports a fault with the same offset and record index as every other decode path) and handed
// to `onRecord`, which returns the record to write, encoded by the encoder. So a record goes
// either way with the same result: test/transcode.test.ts holds the bytes equal to those of
// encodeStream of the decoded model in the new byte order.
//
// Input comes in chunks of any size; only a record that straddles chunks is copied (into a
// buffer of its own), as the StreamReader does. Memory: the output block and that one record.
// Chunks handed to push may be reused by the caller once push returns.

import { HEADER_SIZE, RECORD_HEADER_SIZE, RecordType, roundUp8, type ByteOrder } from '../wire/constants.js';
import { bodySwapper, shortHeaderSwapper } from '../wire/byte-swap.js';
import { BinaryWriter, type Sink } from '../wire/writer.js';
import { decodeHeader, shortHeaderBodySize } from './decode.js';
import { writeHeader, writeRecord } from './encode.js';
import { decodeRecordFast, viewOf } from './fast-decode.js';
import type { RecordLocation, StreamHeader, XsRecord } from './types.js';

/**
 * Rewrites, in place, the record at `buf[offset, end)` (bytes in the source order `little`) in
 * the other byte order (`swap`), or only checks it (`!swap`). Returns its size on the wire, or
 * -1 when it is not whole before `end` or does not fit its layout (decode it instead).
 */
export function transcodeRecordInPlace(buf: Uint8Array, view: DataView, offset: number, end: number, little: boolean, swap: boolean): number {
  const bodyStart = offset + RECORD_HEADER_SIZE;
  if (bodyStart > end) return -1;
  const typeCode = view.getUint32(offset, little);
  const len = view.getUint32(offset + 4, little);
  let wireEnd = bodyStart + roundUp8(len);
  if (wireEnd > end) return -1;
  if (typeCode === RecordType.WATCH_DATA_EXTENDED) {
    const short = shortHeaderBodySize(buf.subarray(bodyStart, bodyStart + len), len, little);
    if (short !== undefined) {
      // Xen 4.22's short header: the record really ends at its body rounded up (see decode.ts).
      if (shortHeaderSwapper(little, !swap)(buf, view, bodyStart, bodyStart + short) < 0) return -1;
      wireEnd = bodyStart + roundUp8(short);
    } else if (bodySwapper(typeCode, little, !swap)!(buf, view, bodyStart, bodyStart + len) < 0) return -1;
  } else {
    const body = bodySwapper(typeCode, little, !swap);
    // (An unknown type: its body is copied as it is, as the encoder writes it.)
    if (body !== undefined && body(buf, view, bodyStart, bodyStart + len) < 0) return -1;
  }
  if (swap) {
    view.setUint32(offset, typeCode, !little);
    view.setUint32(offset + 4, len, !little);
  }
  return wireEnd - offset;
}

export interface TranscodeHandlers {
  /** The header to write, given the input's (default: the input's in `to` byte order). */
  onHeader?(header: StreamHeader): StreamHeader;
  /**
   * A record that does not go raw, decoded: returns the record to write (undefined: none). By
   * default it is written as it is.
   */
  onRecord?(record: XsRecord, location: RecordLocation): XsRecord | undefined;
  /** Bytes after END: their count, and their first bytes (up to 1 MiB). */
  onTrailing?(count: number, head: Uint8Array): void;
  /**
   * Records `first` to `first + count - 1`, read from inBuf[inAt, inAt + inLen), were written
   * as outBuf[outAt, outAt + outLen) (a run written raw, or one record; `record` is the input
   * record when it was decoded). Both are valid only during the call, and the output bytes are
   * those the sink will be given. Lets a caller compare what it writes with what it read.
   */
  onWritten?(
    inBuf: Buffer, inView: DataView, inAt: number, inLen: number,
    outBuf: Buffer, outView: DataView, outAt: number, outLen: number,
    first: number, count: number, record: XsRecord | undefined,
  ): void;
}

export interface TranscodeOptions {
  /** Record types (by code) that may go raw (default: every type). Others go to onRecord. */
  raw?: (typeCode: number) => boolean;
  /** Copy the bytes after END to the output (default true). */
  keepTrailing?: boolean;
  /** The sink is done with each chunk when it returns (it is then handed views of a reused block). */
  transient?: boolean;
  /** Output block size (default 1 MiB). */
  blockSize?: number;
}

const TRAILING_HEAD_MAX = 1 << 20;
/** Largest run of raw records copied at once (the block grows to hold it). */
const RUN_MAX = 1 << 18;

export class StreamTranscoder {
  private w: BinaryWriter | undefined;
  private inHeader: StreamHeader | undefined;
  private little = true;
  private swap = false;
  private readonly rawType: boolean[] = [];
  private rawUnknown = true;
  /** Bytes of a record (or of the header) that straddles chunks, gathered so far. */
  private carry = Buffer.alloc(0);
  private carryLen = 0;
  /** Absolute offset of the next input byte not yet consumed (carry included). */
  private base = 0;
  private index = 0;
  private ended = false;
  private trailingCount = 0;
  private readonly trailingHead: Buffer[] = [];
  private outIndex = 0;
  /** Records written raw and decoded (for the caller's report). */
  rawRecords = 0;
  decodedRecords = 0;

  /** `to`: the byte order to write, unless onHeader gives the header to write. */
  constructor(private readonly to: ByteOrder | undefined, private readonly sink: Sink, private readonly h: TranscodeHandlers = {}, private readonly o: TranscodeOptions = {}) {}

  /** The input header (once read). */
  get header(): StreamHeader | undefined {
    return this.inHeader;
  }
  /** Records read (END included). */
  get records(): number {
    return this.index;
  }
  /** Bytes written so far (flushed or buffered). */
  get written(): number {
    return this.w?.offset ?? 0;
  }
  get done(): boolean {
    return this.ended;
  }

  push(chunk: Uint8Array): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < b.length) {
      if (this.ended) {
        this.trailing(b.subarray(pos));
        return;
      }
      if (this.carryLen > 0 || !this.inHeader) {
        // Complete what straddles: the header, or one record (its declared size, at least).
        // (After a short-header record the carry may already hold all the next one needs.)
        const need = this.needed();
        if (this.carryLen < need) {
          const take = Math.min(need - this.carryLen, b.length - pos);
          this.append(b, pos, take);
          pos += take;
          if (this.carryLen < need) return;
        }
        this.consumeCarry(false);
        continue;
      }
      pos = this.records_(b, viewOf(b), pos, b.length, false);
      if (!this.ended && pos < b.length) {
        // The start of a record cut by the end of the chunk: keep it for the next.
        this.append(b, pos, b.length - pos);
        pos = b.length;
      }
    }
  }

  /** No more input: decodes what is left (reporting where the stream was cut) and flushes. */
  end(): void {
    while (!this.ended) {
      if (!this.inHeader) {
        this.consumeCarry(true); // (throws: fewer than 16 bytes)
        continue;
      }
      this.consumeCarry(true);
    }
    if (this.trailingCount && this.h.onTrailing) this.h.onTrailing(this.trailingCount, Buffer.concat(this.trailingHead));
    this.w?.flush();
  }

  /** Bytes the carry must hold before it can be consumed. */
  private needed(): number {
    if (!this.inHeader) return HEADER_SIZE;
    if (this.carryLen < RECORD_HEADER_SIZE) return RECORD_HEADER_SIZE;
    const len = this.little ? this.carry.readUInt32LE(4) : this.carry.readUInt32BE(4);
    return RECORD_HEADER_SIZE + roundUp8(len);
  }

  private append(b: Buffer, from: number, n: number): void {
    if (this.carryLen + n > this.carry.length) {
      const next = Buffer.allocUnsafe(Math.max(this.carryLen + n, this.carry.length * 2, 256));
      this.carry.copy(next, 0, 0, this.carryLen);
      this.carry = next;
    }
    b.copy(this.carry, this.carryLen, from, from + n);
    this.carryLen += n;
  }

  /** Consumes the carry: the header, or the records it holds (at the end of input: `final`). */
  private consumeCarry(final: boolean): void {
    const c = this.carry.subarray(0, this.carryLen);
    let used: number;
    if (!this.inHeader) {
      this.start(decodeHeader(c)); // (throws when the input ends before 16 bytes)
      used = HEADER_SIZE;
      this.base += HEADER_SIZE;
    } else {
      used = this.records_(c, viewOf(c), 0, c.length, final, true);
    }
    const rest = this.carryLen - used;
    if (rest > 0 && this.ended) {
      this.carryLen = 0;
      this.trailing(Buffer.from(c.subarray(used)));
      return;
    }
    this.carry.copyWithin(0, used, this.carryLen);
    this.carryLen = rest;
  }

  private start(h: StreamHeader): void {
    this.inHeader = h;
    this.little = h.byteOrder === 'little';
    const out = this.h.onHeader ? this.h.onHeader(h) : { ...h, byteOrder: this.to ?? h.byteOrder };
    if (this.to !== undefined && out.byteOrder !== this.to) throw new Error(`StreamTranscoder: the header to write is ${out.byteOrder}-endian, not ${this.to}`);
    this.swap = h.byteOrder !== out.byteOrder;
    // (Asked once the header is known: the caller's plan may depend on it.)
    const raw = this.o.raw;
    for (const code of Object.values(RecordType)) this.rawType[code] = raw ? raw(code) : true;
    // Unknown types: type code 0xffffffff stands for all of them.
    this.rawUnknown = raw ? raw(0xffffffff) : true;
    this.w = new BinaryWriter(out.byteOrder, this.sink, this.o.blockSize ?? 1 << 20, this.o.transient ?? false);
    writeHeader(this.w, out);
  }

  /**
   * Transcodes the records of `buf[pos, end)` (absolute offset of `buf[pos]`: this.base) that lie
   * whole in it; with `final`, `end` is the end of the input and a cut record is decoded (which
   * reports it). With `one`, stops after one record (the carry holds one record, then the start
   * of the next). Returns the position after the last record consumed.
   */
  private records_(buf: Buffer, view: DataView, pos: number, end: number, final: boolean, one = false): number {
    const w = this.w!;
    const little = this.little;
    const swap = this.swap;
    const rawType = this.rawType;
    const baseAt = this.base - pos; // absolute offset of buf[0]
    while (!this.ended) {
      // A run of raw records: copied at once, then swapped one by one in the output block.
      let runEnd = pos;
      while (runEnd + RECORD_HEADER_SIZE <= end && runEnd - pos < RUN_MAX) {
        const typeCode = view.getUint32(runEnd, little);
        if (!(rawType[typeCode] ?? this.rawUnknown) || typeCode === RecordType.END) break;
        const size = RECORD_HEADER_SIZE + roundUp8(view.getUint32(runEnd + 4, little));
        if (runEnd + size > end) break;
        runEnd += size;
        if (one) break;
      }
      if (runEnd > pos) {
        const n = runEnd - pos;
        const at = w.reserve(n);
        const block = w.block;
        const bview = w.dataView;
        buf.copy(w.blockBuffer, at, pos, runEnd);
        let q = at;
        const qEnd = at + n;
        let count = 0;
        while (q + RECORD_HEADER_SIZE <= qEnd) {
          // (Checked again here: after a short-header record the walk above framed the records
          // that follow by a wrong length.)
          const typeCode = bview.getUint32(q, little);
          if (!(rawType[typeCode] ?? this.rawUnknown) || typeCode === RecordType.END) break;
          const size = transcodeRecordInPlace(block, bview, q, qEnd, little, swap);
          if (size < 0) break;
          q += size;
          count++;
        }
        // (A short-header record is shorter than its declared len: the run may stop early.)
        const done = q - at;
        if (count > 0) this.h.onWritten?.(buf, view, pos, done, w.blockBuffer, bview, at, done, this.index, count, undefined);
        w.commit(done);
        this.rawRecords += count;
        this.index += count;
        this.outIndex += count;
        pos += done;
        this.base += done;
        w.maybeFlush();
        if (one && count > 0) return pos;
        // (Stopped early after a short-header record, or at one the swapper gave up on: walk
        // again from there; a record that fails first in its run is decoded below.)
        if (count > 0) continue;
      }
      // One record by the decoder: not a raw type, END, given up on by the swapper, cut by the
      // end of the buffer, or shorter than its declared len.
      if (!final) {
        if (pos + RECORD_HEADER_SIZE > end) return pos;
        if (pos + RECORD_HEADER_SIZE + roundUp8(view.getUint32(pos + 4, little)) > end) return pos;
      }
      const { record, location } = decodeRecordFast(buf, view, pos, this.index, this.inHeader!.byteOrder, baseAt);
      this.decodedRecords++;
      this.index++;
      pos += location.wireLen;
      this.base += location.wireLen;
      if (record.type === 'END') this.ended = true;
      const out = this.h.onRecord ? this.h.onRecord(record, location) : record;
      if (out !== undefined) {
        const from = w.reserve(0);
        writeRecord(w, out, this.outIndex++);
        // (The block may have grown: it is read after the write.)
        this.h.onWritten?.(buf, view, pos - location.wireLen, location.wireLen, w.blockBuffer, w.dataView, from, w.reserve(0) - from, location.index, 1, record);
      }
      w.maybeFlush();
      if (one) return pos;
    }
    return pos;
  }

  private trailing(b: Buffer): void {
    if (b.length === 0) return;
    if (this.trailingCount < TRAILING_HEAD_MAX) this.trailingHead.push(Buffer.from(b.subarray(0, TRAILING_HEAD_MAX - this.trailingCount)));
    this.trailingCount += b.length;
    if (this.o.keepTrailing ?? true) {
      this.w!.bytes(b);
      this.w!.maybeFlush();
    }
  }
}

/** Transcodes a whole stream held in memory to byte order `to` (every record raw that can be). */
export function transcodeStream(input: Uint8Array, to: ByteOrder, handlers: TranscodeHandlers = {}, options: TranscodeOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const t = new StreamTranscoder(to, (c) => parts.push(c), handlers, { ...options, transient: false });
  t.push(input);
  t.end();
  return Buffer.concat(parts);
}
