// Checks a stream as it arrives, chunk by chunk, with memory bounded by the largest record plus
// what the rules must remember: what `xsmig check` runs. It reads as the StreamReader does
// (same records, indexes, offsets and DecodeErrors), but it does not decode every record: a
// NODE_DATA, WATCH_DATA(_EXTENDED), CONNECTION_DATA or DOMAIN_DATA, nearly all of a large
// stream, is first offered to the checker's fast path (StreamChecker.visit*Bytes), which checks
// a canonical record from its bytes. Only the records it declines (the other types, and any
// record a rule may have something to say about) are decoded (decodeRecordFast) and visited.
// test/check-reader.test.ts holds the findings equal to those of visiting every record.
//
// The input goes into one window that is reused: read into it directly (room(), wrote()), or
// copied from a chunk (push(); the chunk is not kept), so reading allocates nothing per chunk.
// The window grows only for a record larger than half of it.

import { HEADER_SIZE, RECORD_HEADER_SIZE, RecordType } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { decodeHeader } from '../model/decode.js';
import { decodeRecordFast } from '../model/fast-decode.js';
import type { StreamHeader, XsRecord } from '../model/types.js';
import { StreamChecker, type CheckerOptions } from './checker.js';
import type { CheckReport } from './types.js';

export interface CheckedStream {
  header: StreamHeader;
  /** Records read, END included. */
  records: number;
  /** Bytes after END. */
  trailing: number;
  report: CheckReport;
}

const NODE_DATA = RecordType.NODE_DATA;
const WATCH_DATA = RecordType.WATCH_DATA;
const WATCH_DATA_EXTENDED = RecordType.WATCH_DATA_EXTENDED;
const CONNECTION_DATA = RecordType.CONNECTION_DATA;
const DOMAIN_DATA = RecordType.DOMAIN_DATA;
const END = RecordType.END;

/**
 * Sees every record once it is checked: its bytes are buf[p, p + wireLen) (valid during the
 * call; `view` covers `buf` from its first byte), `offset` its absolute offset, `record` the
 * decoded record when the checker needed one (else undefined: decode it if you must).
 */
export type RecordTap = (buf: Buffer, view: DataView, p: number, wireLen: number, offset: number, index: number, typeCode: number, record: XsRecord | undefined) => void;

export interface CheckReaderOptions {
  tap?: RecordTap;
  /**
   * Give the checker each decoded record's location (default true): findings then name byte
   * offsets. Without, they name record indexes only, as a check of a stream held in memory does
   * (convert's verify stage reports the check of the written file as the plan's check).
   */
  locations?: boolean;
}

export class CheckReader {
  /** The unconsumed input is win[start, end); win[0] lies at absolute offset `base`. */
  private win: Buffer;
  private start = 0;
  private end = 0;
  private base = 0;
  private header: StreamHeader | undefined;
  private checker: StreamChecker | undefined;
  private index = 0;
  private ended = false;
  private trailing = 0;

  private readonly tap: RecordTap | undefined;
  private readonly locations: boolean;

  constructor(private readonly options: CheckerOptions = {}, windowSize = 1 << 18, o: CheckReaderOptions = {}) {
    this.win = Buffer.allocUnsafe(windowSize);
    this.tap = o.tap;
    this.locations = o.locations ?? true;
  }

  /** The stream header, once read. */
  get streamHeader(): StreamHeader | undefined {
    return this.header;
  }

  /** The report of what was checked so far (after a DecodeError: of the records before it). */
  partialReport(): CheckReport | undefined {
    return this.checker?.finish({ length: this.trailing });
  }

  /** Takes the next bytes of the input (not kept after the call). Throws DecodeError at a fault. */
  push(chunk: Uint8Array): void {
    if (this.ended) {
      this.trailing += chunk.length;
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      const room = this.room();
      const take = Math.min(room.length, chunk.length - at);
      room.set(chunk.subarray(at, at + take));
      at += take;
      this.wrote(take);
      if (this.ended) {
        this.trailing += chunk.length - at;
        return;
      }
    }
  }

  /**
   * Free space at the end of the window, to read the next bytes into directly (then call
   * wrote()); at least a quarter of the window. (Valid until the next call.)
   */
  room(): Buffer {
    const win = this.win;
    if (this.end + (win.length >> 2) > win.length) {
      // Move what is left (the start of a record) to the front; grow for a record that is
      // larger than half the window. (The checker keeps reading the last path it was given
      // where it lies, unless told.)
      this.checker?.detachInput();
      const left = this.end - this.start;
      const next = left > win.length >> 1 ? Buffer.allocUnsafe(win.length * 2) : win;
      win.copy(next, 0, this.start, this.end);
      this.base += this.start;
      this.start = 0;
      this.end = left;
      this.win = next;
    }
    return this.win.subarray(this.end);
  }

  /** `n` bytes were written at the start of room(). */
  wrote(n: number): void {
    if (this.ended) {
      this.trailing += n;
      return;
    }
    this.end += n;
    this.drain(false);
  }

  /** The input is over: checks what is left and returns the report. */
  finish(): CheckedStream {
    if (!this.ended) this.drain(true);
    if (!this.ended) {
      throw new DecodeError({ offset: this.base + this.end, recordIndex: this.index }, 'an END record', 'the end of the input');
    }
    return { header: this.header!, records: this.index, trailing: this.trailing, report: this.checker!.finish({ length: this.trailing }) };
  }

  /** The checker's fast path for the record of `type` at buf[p, ...) (whole in `buf`): true if it took it. */
  private fast(checker: StreamChecker, type: number, buf: Buffer, view: DataView, p: number, index: number, little: boolean): boolean {
    switch (type) {
      case NODE_DATA:
        return checker.visitNodeBytes(buf, view, p, index, little);
      case WATCH_DATA:
        return checker.visitWatchBytes(buf, view, p, index, little, false);
      case WATCH_DATA_EXTENDED:
        return checker.visitWatchBytes(buf, view, p, index, little, true);
      case CONNECTION_DATA:
        return checker.visitConnBytes(buf, view, p, index, little);
      case DOMAIN_DATA:
        // (Its place, kept for later rules, names the offset only when findings may.)
        return checker.visitDomainBytes(buf, view, p, this.locations ? this.base + p : undefined, index, little);
      default:
        return false;
    }
  }

  private drain(final: boolean): void {
    // (A view of the filled part: a record cut by the end of the input must be seen as cut.)
    const buf = this.win.subarray(0, this.end);
    if (!this.header) {
      if (buf.length - this.start < HEADER_SIZE && !final) return;
      this.header = decodeHeader(buf.subarray(this.start, this.start + HEADER_SIZE));
      this.checker = new StreamChecker(this.header, this.options);
      this.start += HEADER_SIZE;
    }
    const checker = this.checker!;
    const order = this.header.byteOrder;
    const little = order === 'little';
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const n = buf.length;
    let p = this.start;
    let index = this.index;
    // (With `final`, the loop ends at END or at the DecodeError of the record the input cuts,
    // "no END record" when it ends between records.)
    for (;;) {
      let type = -1;
      let wire = -1; // (envelope, body and padding, as `len` declares them)
      if (p + RECORD_HEADER_SIZE <= n) {
        type = view.getUint32(p, little);
        const len = view.getUint32(p + 4, little);
        wire = RECORD_HEADER_SIZE + len + ((8 - (len & 7)) & 7); // (len rounded up to 8, exactly for any u32)
      }
      // A record whose declared size runs past the window may still be whole (Xen 4.22's
      // short header overstates len): wait for more input rather than guess.
      if (!final && (wire < 0 || p + wire > n)) break;
      if (p + wire <= n && this.fast(checker, type, buf, view, p, index, little)) {
        this.tap?.(buf, view, p, wire, this.base + p, index, type, undefined);
        p += wire;
        index++;
        continue;
      }
      const { record, location } = decodeRecordFast(buf, view, p, index, order, this.base);
      checker.visit(record, this.locations ? location : undefined);
      this.tap?.(buf, view, p, location.wireLen, location.offset, index, location.typeCode, record);
      p += location.wireLen;
      index++;
      if (type === END) {
        this.ended = true;
        this.trailing += n - p;
        p = n;
        break;
      }
    }
    this.start = p;
    this.index = index;
  }
}
