// The compare half of convert's verify stage, made as pass 1 writes (a conversion that keeps
// every record in its place): each record written is compared with the record it was made
// from while both are still in memory, so the input need not be read a second time.
//
// Most pairs are told the same from their bytes (sameBytesAt, generated from the layouts and
// sharing nothing with the byte swapper that wrote them); any other pair is decoded and held to
// LockstepDiff's rules (agree). The first pair that does not agree stops the comparer: the
// caller then runs the serial verify (verifyInPlace), which numbers repeated items and names
// every difference. So this gives a diff only for the case it can show in full: every record
// says what it said before, and the streams differ in their headers at most.
//
// What it compares are the bytes handed to the file; the worker of verify-thread.ts reads the
// file back and compares it with those bytes, which ties the two.

import { decodeRecordFast } from '../model/fast-decode.js';
import { sameBytesAt } from '../model/same-bytes.js';
import type { StreamHeader, XsRecord } from '../model/types.js';
import type { ByteOrder } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { LockstepDiff, type DiffResult } from './diff.js';

export class WrittenComparer {
  /** Records compared (and found to agree). */
  records = 0;
  /** The index of the first record whose written form does not agree (then nothing more is compared). */
  differsAt: number | undefined;
  private readonly lock: LockstepDiff;
  private readonly inOrder: ByteOrder;
  private readonly outOrder: ByteOrder;
  private readonly inLittle: boolean;
  private readonly outLittle: boolean;

  constructor(inHeader: StreamHeader, outHeader: StreamHeader) {
    this.lock = new LockstepDiff(inHeader, outHeader);
    this.inOrder = inHeader.byteOrder;
    this.outOrder = outHeader.byteOrder;
    this.inLittle = this.inOrder === 'little';
    this.outLittle = this.outOrder === 'little';
  }

  /** StreamTranscoder's onWritten: records first..first+count-1, as read and as written. */
  readonly onWritten = (
    inBuf: Buffer, inView: DataView, inAt: number, inLen: number,
    outBuf: Buffer, outView: DataView, outAt: number, outLen: number,
    first: number, count: number, record: XsRecord | undefined,
  ): void => {
    if (this.differsAt !== undefined) return;
    const inEnd = inAt + inLen;
    const outEnd = outAt + outLen;
    let p = inAt;
    let q = outAt;
    for (let i = 0; i < count; i++) {
      const wire = sameBytesAt(inBuf, inView, p, inEnd, this.inLittle, outBuf, outView, q, outEnd, this.outLittle);
      if (wire > 0) {
        p += wire;
        q += wire;
        continue;
      }
      const index = first + i;
      try {
        // (A record the transcoder decoded is given: one record, all of inLen.)
        let x = record;
        let xLen = inLen;
        if (!x) {
          const d = decodeRecordFast(inBuf, inView, p, index, this.inOrder, 0);
          x = d.record;
          xLen = d.location.wireLen;
        }
        const y = decodeRecordFast(outBuf, outView, q, index, this.outOrder, 0);
        if (!this.lock.agree(x, y.record)) {
          this.differsAt = index;
          return;
        }
        p += xLen;
        q += y.location.wireLen;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        this.differsAt = index; // (the serial verify says what does not decode)
        return;
      }
    }
    if (p !== inEnd || q !== outEnd) {
      this.differsAt = first; // (the records do not fill what was read or written)
      return;
    }
    this.records += count;
  };

  /** The diff of the two streams, when every record agreed; given their bytes after END (as trailingText, '' for none). */
  finish(inTrailing: string, outTrailing: string): DiffResult {
    if (this.differsAt !== undefined) throw new Error('WrittenComparer: no diff after a record that does not agree');
    return this.lock.finish(inTrailing || null, outTrailing || null);
  }
}
