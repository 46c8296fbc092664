// Conversion as a stream: neither the input nor the output is ever held whole.
//
// convertPass: one pass over the input, record by record: decode (StreamReader), check the
// input (StreamChecker), plan each record's change (ConversionPlanner) and write the output
// record (StreamWriter). A dry run checks the planned output records instead of writing them.
//
// verifyPass: one pass over the written output, in lockstep with a second reading of the input:
// decode each written record, check it (with the target), encode it again and compare with the
// bytes written (the file is what the model says; optional), and compare it with the input
// record of the same place (LockstepDiff: the semantic comparison of diff.ts, record by record),
// so that the differences found can be matched against the planned changes.
//
// transcodePass: the same output as convertPass, without a model of the records the plan passes
// unchanged (nearly all: every NODE_DATA): those are rewritten raw by the StreamTranscoder
// (model/transcode.ts: copied, their integers swapped in place); only the others are decoded,
// planned and encoded. Where records keep their places it makes no check of the input (see
// inputCheckOf, and checkPass); to version 1 it decodes and checks every input record.
//
// verifyInPlace: verifyPass where records keep their places (byte order, version 2): the written
// file is checked (check/check-reader.ts) and each of its records compared with the input record
// at the same offset, from the bytes of both where they are equal (model/same-bytes.ts), decoded
// where they are not.
//
// verifyAsWritten: verifyInPlace's result without reading the input again, from its two halves
// made as transcodePass writes (with `compare`): pass 1's comparer (written-compare.ts) and the
// check of the file read back by a worker (verify-thread.ts); undefined where a record does not
// agree (then verifyInPlace runs).
//
// The CLI writes with transcodePass and verifies with verifyAsWritten for a large input, else
// (or when that gives nothing) with verifyInPlace, or verifyPass (without encoding again) to
// version 1; convertPass serves the dry run.
//
// A repair can drop a DOMAIN_DATA whose domain shows up nowhere in the whole stream: the domains
// it needs are found first, in a pass of their own (knownDomainsPass), and the verify skips the
// input records the plan dropped.

import { StreamChecker } from '../check/index.js';
import type { CheckReport, TargetName } from '../check/types.js';
import { StreamReader } from '../model/stream-reader.js';
import { StreamTranscoder, type TranscodeHandlers } from '../model/transcode.js';
import { StreamWriter } from '../model/stream-writer.js';
import { decodeHeader } from '../model/decode.js';
import { decodeRecordFast, viewOf } from '../model/fast-decode.js';
import { sameBytesAt } from '../model/same-bytes.js';
import { CheckReader } from '../check/check-reader.js';
import { RecordType } from '../wire/constants.js';
import type { StreamHeader, XsRecord } from '../model/types.js';
import { DecodeError, EncodeError } from '../wire/errors.js';
import type { Sink } from '../wire/writer.js';
import { ConversionPlanner, ConvertError, noteKnownDomain, type ConvertOptions } from './convert.js';
import { trailingText } from './trailing.js';
import { WrittenComparer } from './written-compare.js';
import type { WrittenFileCheck } from './verify-thread.js';
import { ItemKeyCounter, LockstepDiff, PairedKeyCounter, sameNodeRecord, type DiffResult } from './diff.js';

/** Calls `on` with each chunk of a byte source, in order, then returns. */
export type ChunkSource = (on: (chunk: Uint8Array) => void) => void;
/** Gives the next chunk of a byte source, undefined at its end. */
export type ChunkPuller = () => Uint8Array | undefined;

export interface ConvertPassResult {
  header: StreamHeader;
  records: number;
  /** Input bytes, bytes after END included. */
  bytes: number;
  trailingCount: number;
  inputCheck: CheckReport;
  /** Absent when the plan could not be made (see planError). */
  planner?: ConversionPlanner;
  planError?: ConvertError;
  /** The check (with the target) of the planned output records, when asked for. */
  outputCheck?: CheckReport;
  /** Output bytes written to the sink. */
  written: number;
}

export interface ConvertPassOptions {
  /** Where the output goes (omitted: plan only). Handed views of a reused block. */
  sink?: Sink;
  /** Check the planned output records (with the target). */
  checkOutput?: boolean;
  /** The input's bytes [offset, offset+length): bytes after END beyond what the reader keeps (1 MiB). */
  readRange?: (offset: number, length: number) => Uint8Array;
  /** The domains a 4.21+ reader knows, for a repair (knownDomainsPass). */
  known?: ReadonlySet<number>;
}

/** Read, check the input, plan, write: one pass. Throws DecodeError where the input is bad. */
export function convertPass(source: ChunkSource, opts: ConvertOptions, o: ConvertPassOptions = {}): ConvertPassResult {
  let header: StreamHeader | undefined;
  let inChecker: StreamChecker | undefined;
  let outChecker: StreamChecker | undefined;
  let planner: ConversionPlanner | undefined;
  let planError: ConvertError | undefined;
  let writer: StreamWriter | undefined;
  let written = 0;
  let records = 0;
  let trailingCount = 0;
  let trailingHead: Uint8Array = new Uint8Array(0);
  const keys = new ItemKeyCounter(false);
  const sink: Sink | undefined = o.sink && ((c) => {
    written += c.length;
    o.sink!(c);
  });
  const reader = new StreamReader({
    onHeader(h) {
      header = h;
      inChecker = new StreamChecker(h);
      try {
        planner = new ConversionPlanner(h, opts, o.known);
      } catch (e) {
        if (!(e instanceof ConvertError)) throw e;
        planError = e;
        return;
      }
      if (sink) writer = new StreamWriter(planner.header, sink, { transient: true });
      if (o.checkOutput) outChecker = new StreamChecker(planner.header, { ...(opts.target ? { target: opts.target } : {}), ...(opts.hostIds ? { hostIds: opts.hostIds } : {}) });
    },
    onRecord(r, loc) {
      records++;
      inChecker!.visit(r, loc);
      if (!planner) return;
      // (Every non-node record is counted, for the numbering of repeated items; node keys are
      // not numbered, so made only when needed.)
      const k = r.type === 'NODE_DATA' ? undefined : keys.next(r);
      const out = planner.record(r, loc.index, () => k ?? keys.next(r));
      if (!out) return; // (dropped by a repair: the plan says so)
      writer?.write(out);
      outChecker?.visit(out);
    },
    onTrailing(count, head) {
      trailingCount = count;
      trailingHead = head;
    },
  });
  let bytes = 0;
  source((c) => {
    bytes += c.length;
    reader.push(c);
  });
  reader.end();
  const keepTrailing = planner ? planner.trailing(trailingCount, () => trailingText(trailingHead, trailingHead.length)) : false;
  if (writer) {
    if (keepTrailing && trailingCount > trailingHead.length) {
      writer.end();
      if (!o.readRange) throw new Error('convertPass: more than 1 MiB after END and no way to read it again');
      const at = bytes - trailingCount;
      for (let done = 0; done < trailingCount; ) {
        const n = Math.min(1 << 20, trailingCount - done);
        sink!(o.readRange(at + done, n));
        done += n;
      }
    } else {
      writer.end(keepTrailing ? trailingHead : undefined);
    }
  }
  const result: ConvertPassResult = {
    header: header!,
    records,
    bytes,
    trailingCount,
    inputCheck: inChecker!.finish({ length: trailingCount }),
    written,
  };
  if (planner) result.planner = planner;
  if (planError) result.planError = planError;
  if (outChecker) result.outputCheck = outChecker.finish({ length: keepTrailing ? trailingCount : 0 });
  return result;
}

/** What transcodePass gives: convertPass's result, the check of the input only where it was made. */
export type TranscodePassResult = Omit<ConvertPassResult, 'inputCheck' | 'planError' | 'outputCheck'> & {
  planner: ConversionPlanner;
  /** Records rewritten raw (the others were decoded and planned). */
  rawRecords: number;
  /** The check of the input, made when records do not keep their places (see transcodePass). */
  inputCheck?: CheckReport;
  /** With `compare`, where records keep their places: each written record compared with its input record. */
  comparer?: WrittenComparer;
  /** With the comparer: the input's bytes after END (trailingText; '' for none). */
  trailing?: string;
  /** Indexes of the input records the plan dropped (a repair), in order. */
  dropped: number[];
};

/**
 * Read, plan and write in one pass, rewriting raw every record the plan passes unchanged.
 * Where records keep their places (ConversionPlanner keepsPlaces: no downgrade), the input is
 * not checked here: see inputCheckOf and checkPass. Otherwise its records are all decoded and
 * checked on the way, as convertPass does (the verify stage then cannot show that the two
 * checks agree, and this costs less than a pass of its own). Throws DecodeError where the
 * input is bad (as convertPass), ConvertError when no plan can be made for its header.
 */
export function transcodePass(source: ChunkSource, opts: ConvertOptions, sink: Sink, o: { compare?: boolean; known?: ReadonlySet<number> } = {}): TranscodePassResult {
  let planner: ConversionPlanner | undefined;
  let inChecker: StreamChecker | undefined;
  let comparer: WrittenComparer | undefined;
  const keys = new ItemKeyCounter(false);
  let bytes = 0;
  let trailingCount = 0;
  let trailingHead: Uint8Array = new Uint8Array(0);
  const dropped: number[] = [];
  const handlers: TranscodeHandlers = {
    onHeader(h) {
      planner = new ConversionPlanner(h, opts, o.known);
      if (!planner.keepsPlaces()) inChecker = new StreamChecker(h);
      else if (o.compare) {
        // (Read by the transcoder from here on: set before the first record.)
        comparer = new WrittenComparer(h, planner.header);
        handlers.onWritten = comparer.onWritten;
      }
      return planner.header;
    },
    onRecord(r, loc) {
      inChecker?.visit(r, loc);
      // (Non-node records decoded here are counted as in convertPass, their keys made only
      // for a change; records that go raw are never counted: passesRaw says why that changes
      // no key.)
      const n = keys.note(r);
      const out = planner!.record(r, loc.index, () => keys.keyOf(r, n));
      if (!out) {
        // (Only a repair drops a record, and records then change places: verifyPass skips it.)
        if (planner!.keepsPlaces()) throw new Error('transcodePass: a record was dropped where records keep their places');
        dropped.push(loc.index);
      }
      return out;
    },
    onTrailing(count, head) {
      trailingCount = count;
      trailingHead = head;
    },
  };
  // (A repair drops the bytes after END: they are not copied.)
  const t = new StreamTranscoder(undefined, sink, handlers, { raw: (code) => !inChecker && planner!.passesRaw(code), transient: true, keepTrailing: !opts.repair });
  source((c) => {
    bytes += c.length;
    t.push(c);
  });
  t.end();
  // (Bytes after END were copied as they came, unless repairing, which drops them: the plan
  // notes that.)
  planner!.trailing(trailingCount, () => trailingText(trailingHead, trailingHead.length));
  const result: TranscodePassResult = { header: t.header!, records: t.records, bytes, trailingCount, planner: planner!, written: t.written, rawRecords: t.rawRecords, dropped };
  if (inChecker) result.inputCheck = inChecker.finish({ length: trailingCount });
  if (comparer) {
    result.comparer = comparer;
    result.trailing = trailingCount ? trailingText(trailingHead, trailingCount) : '';
  }
  return result;
}

/**
 * The check of the input, when the verify stage has shown that it must equal the check of the
 * written file: the written records decode to the input's own (the diff found no difference
 * but the header's byte order; the verify stage then holds the diff to the plan), and the
 * check of the written file found nothing. The checker judges records and the header's
 * version and reserved flags, none of which changed; the byte order it reads pending wire
 * messages in is the one they were written in (the diff compared them as messages); and a
 * target adds losses, never findings. Undefined otherwise: check the input (checkPass).
 * test/convert-transcode.test.ts holds what this gives to the real check of the input.
 */
export function inputCheckOf(v: VerifyPassResult): CheckReport | undefined {
  if (v.decodeError || !v.diff || !v.check || v.check.findings.length) return undefined;
  if (v.diff.semantic.some((d) => !(d.section === 'header' && d.field === 'byte-order')) || v.diff.bytes.length) return undefined;
  return { findings: [], ok: true };
}

/**
 * The domains a repair needs to know (knownDomains), from a pass of their own over the input:
 * a repair drops a DOMAIN_DATA whose domain shows up nowhere in the whole stream, which a
 * record-by-record pass cannot tell where the record comes. Throws DecodeError where the input
 * is bad (as the other passes).
 */
export function knownDomainsPass(source: ChunkSource): Set<number> {
  const known = new Set<number>();
  // (Chunks may be reused by the source: the reader copies what it keeps.)
  const reader = new StreamReader({ onRecord: (r) => noteKnownDomain(known, r) }, { chunksReused: true });
  source((c) => reader.push(c));
  reader.end();
  return known;
}

/** Checks a stream read from `source` (record offsets in the messages), as convertPass checks its input. */
export function checkPass(source: ChunkSource): CheckReport {
  const reader = new CheckReader();
  source((c) => reader.push(c));
  return reader.finish().report;
}

export interface VerifyPassResult {
  /** Where the written file does not decode (then the rest is what was found up to there). */
  decodeError?: DecodeError;
  header?: StreamHeader;
  records: number;
  bytes: number;
  /** Check of the written records (with the target). */
  check?: CheckReport;
  /** Written file against the input, record by record. */
  diff?: DiffResult;
  /** The written file encodes back to the same bytes. */
  reencodes: boolean;
}

/** Reads the next bytes of a source into `into` (from its start); 0 at the end. */
export type ChunkReader = (into: Buffer) => number;

/** A file read at any offset (the input, read again by the verify stage). */
export interface RandomAccess {
  size: number;
  /** Reads up to `length` bytes at `at` into `into` (from its start); returns how many. */
  read(into: Buffer, at: number, length: number): number;
}

export interface VerifyInPlaceResult extends VerifyPassResult {
  /** The input, read again, does not decode where the written file has a record, or not with its size. */
  inputMismatch?: string;
  /** The file read back is not what pass 1 wrote and compared (verifyAsWritten). */
  notAsWritten?: string;
}

const VERIFY_CHUNK = 1 << 18;

/**
 * verifyPass for a conversion that keeps every record in its place (ConversionPlanner
 * keepsPlaces): the written file is read once through a CheckReader (checked with the target;
 * the nodes, watches and connections it can check from their bytes are not decoded), and each
 * of its records is compared with the input record at the same offset, read again:
 * sameBytesAt tells from the two records' bytes, each read in its own byte order, that they
 * decode to the same model (nearly every record); any other pair is decoded (decodeRecordFast)
 * and compared by LockstepDiff, which names what differs. Nothing is held but the windows of
 * the two files. Does not encode the written file again (`reencodes` stays true): what is
 * compared is the models the two files decode to.
 *
 * Measured by `npm run bench -- convert` (100 MB, 1.25M records): decoding every written record
 * (StreamReader), visiting it and comparing it with the input bytes (a model-to-bytes comparer) took about
 * 800 ms; this, about 410 ms.
 */
export function verifyInPlace(written: ChunkReader, input: RandomAccess, target?: TargetName, hostIds?: ReadonlyMap<number, bigint>): VerifyInPlaceResult {
  const res: VerifyInPlaceResult = { records: 0, bytes: 0, reencodes: true };
  const hb = Buffer.alloc(16);
  let inHeader: StreamHeader;
  try {
    inHeader = decodeHeader(hb.subarray(0, input.read(hb, 0, 16)));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    res.inputMismatch = `the input no longer decodes: ${e.message}`;
    return res;
  }
  const inOrder = inHeader.byteOrder;
  const inLittle = inOrder === 'little';
  // The input read again, a window at the offsets of the written records.
  let win = Buffer.allocUnsafe(VERIFY_CHUNK);
  let winView = viewOf(win);
  let winStart = 0;
  let winLen = 0;
  let lock: LockstepDiff | undefined;
  let endAt = -1;
  const keys = new PairedKeyCounter();
  // (The written file is the input's size: the checker makes room for its paths at once.)
  const reader: CheckReader = new CheckReader({ ...(target ? { target } : {}), ...(hostIds ? { hostIds } : {}), inputSize: input.size }, VERIFY_CHUNK, {
    locations: false,
    tap(buf, view, p, wireLen, offset, index, typeCode, record) {
      res.records++;
      if (typeCode === RecordType.END) endAt = offset + wireLen;
      if (res.inputMismatch) return;
      const outHeader = reader.streamHeader!;
      lock ??= new LockstepDiff(inHeader, outHeader);
      const outOrder = outHeader.byteOrder;
      if (offset < winStart || offset + wireLen > winStart + winLen) {
        if (win.length < wireLen) {
          win = Buffer.allocUnsafe(wireLen);
          winView = viewOf(win);
        }
        winStart = offset;
        winLen = input.read(win, offset, win.length);
      }
      const at = offset - winStart;
      const writtenRecord = (): XsRecord => record ?? decodeRecordFast(buf, view, p, index, outOrder, offset - p).record;
      // Most records: the same fields, each in its file's order, told from the bytes.
      if (sameBytesAt(win, winView, at, winLen, inLittle, buf, view, p, buf.length, outOrder === 'little') === wireLen) {
        // (Counted: they number repeated items in the keys of later pairs.)
        if (typeCode !== RecordType.NODE_DATA) keys.same(writtenRecord());
        return;
      }
      const y = writtenRecord();
      let x: XsRecord;
      try {
        const d = decodeRecordFast(win, winView, at, index, inOrder, winStart);
        if (d.location.wireLen !== wireLen) {
          res.inputMismatch = `record #${index} takes ${wireLen} bytes in the written file but ${d.location.wireLen} in the input`;
          return;
        }
        x = d.record;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        res.inputMismatch = `the input does not decode where the written file has record #${index}: ${e.message}`;
        return;
      }
      if (sameNodeRecord(x, y)) return; // (most records: nodes, not counted)
      // Item keys are counted for every other record (they number repeated items) but made only
      // for a pair that differs.
      const [kx, ky] = keys.keys(x, y);
      lock.pair(x, index, kx, y, index, ky);
    },
  });
  // Bytes after END in the written file: up to 1 MiB of them kept, all counted.
  const trailingHead: Buffer[] = [];
  let trailingKept = 0;
  try {
    for (;;) {
      const room = reader.room();
      const n = written(room);
      if (n === 0) break;
      const from = res.bytes;
      res.bytes += n;
      reader.wrote(n);
      if (endAt >= 0 && res.bytes > endAt && trailingKept < 1 << 20) {
        const tail = room.subarray(Math.max(0, endAt - from), n).subarray(0, (1 << 20) - trailingKept);
        trailingHead.push(Buffer.from(tail));
        trailingKept += tail.length;
      }
    }
    const done = reader.finish();
    res.header = done.header;
    res.check = done.report;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    res.decodeError = e;
    res.header = reader.streamHeader;
    res.check = reader.partialReport();
  }
  if (res.decodeError || !lock || res.inputMismatch) return res;
  const outCount = res.bytes - endAt;
  const outTrailing = outCount > 0 ? trailingText(Buffer.concat(trailingHead), outCount) : '';
  // Bytes after END: those of the input start where the written END ends.
  const inCount = Math.max(0, input.size - endAt);
  const head = Buffer.allocUnsafe(Math.min(inCount, 1 << 20));
  const got = input.read(head, endAt, head.length);
  const inTrailing = inCount ? trailingText(head.subarray(0, got), inCount) : '';
  res.diff = lock.finish(inTrailing || null, outTrailing || null);
  return res;
}

/**
 * verifyInPlace's result from the two halves made without reading the input again: the check
 * of the written file read back (VerifyThread), and pass 1's comparer, which found that every
 * record written agrees with the one read. Undefined when the comparer found a record that does
 * not agree (then run verifyInPlace: it names what differs).
 */
export function verifyAsWritten(file: WrittenFileCheck, pass: TranscodePassResult): VerifyInPlaceResult | undefined {
  const comparer = pass.comparer;
  if (!comparer || comparer.differsAt !== undefined) return undefined;
  const res: VerifyInPlaceResult = { records: file.records, bytes: file.bytes, reencodes: true };
  if (file.header) res.header = file.header;
  if (file.check) res.check = file.check;
  if (file.decodeError) {
    res.decodeError = file.decodeError;
    return res;
  }
  if (file.notAsWritten) res.notAsWritten = file.notAsWritten;
  else if (file.records !== comparer.records) res.notAsWritten = `${file.records} records were read back, ${comparer.records} written`;
  else res.diff = comparer.finish(pass.trailing ?? '', file.trailing);
  return res;
}

/** Appends bytes and compares them with the front of a queue of expected chunks. */
class ComparingSink {
  private readonly queue: Uint8Array[] = [];
  private pos = 0;
  same = true;
  expect(c: Uint8Array): void {
    if (this.same) this.queue.push(c); // (after a difference nothing more is compared)
  }
  readonly sink: Sink = (c) => {
    let at = 0;
    while (this.same && at < c.length) {
      const head = this.queue[0];
      if (!head) {
        this.same = false;
        return;
      }
      const n = Math.min(head.length - this.pos, c.length - at);
      if (Buffer.compare(Buffer.from(head.buffer, head.byteOffset + this.pos, n), Buffer.from(c.buffer, c.byteOffset + at, n)) !== 0) this.same = false;
      at += n;
      this.pos += n;
      if (this.pos === head.length) {
        this.queue.shift();
        this.pos = 0;
      }
    }
  };
  /** All expected bytes were matched. */
  done(): boolean {
    return this.same && this.queue.length === 0;
  }
}

/**
 * Decodes the written output (`written`), checks it, encodes it again, and compares it record by
 * record with the input read again (`input`, pulled in step).
 */
export function verifyPass(written: ChunkSource, input: ChunkPuller, target?: TargetName, o: { reencode?: boolean; dropped?: readonly number[]; hostIds?: ReadonlyMap<number, bigint> } = {}): VerifyPassResult {
  // The input, decoded as far as the comparison needs.
  let inHeader: StreamHeader | undefined;
  const queue: XsRecord[] = [];
  let qHead = 0;
  let inTrailing = '';
  let inIndex = 0;
  const keys = new PairedKeyCounter();
  const inReader = new StreamReader({
    onHeader(h) {
      inHeader = h;
    },
    onRecord(r) {
      queue.push(r);
    },
    onTrailing(count, head) {
      inTrailing = trailingText(head, count);
    },
  });
  let inDone = false;
  const pull = (): boolean => {
    if (inDone) return false;
    const c = input();
    if (c === undefined) {
      inDone = true;
      inReader.end();
    } else {
      inReader.push(c);
    }
    return true;
  };
  const nextInput = (): XsRecord | undefined => {
    if (qHead === queue.length) {
      queue.length = 0;
      qHead = 0;
      while (queue.length === 0 && pull());
      if (queue.length === 0) return undefined;
    }
    return queue[qHead++];
  };
  // Input records the plan dropped have no counterpart: each is reported as gone, in its place.
  const dropped = o.dropped ?? [];
  let nextDropped = 0;
  const nextKept = (): XsRecord | undefined => {
    for (;;) {
      const x = nextInput();
      if (x === undefined || nextDropped >= dropped.length || dropped[nextDropped] !== inIndex) return x;
      nextDropped++;
      lock!.onlyA(inIndex++, keys.one(0, x));
    }
  };

  // Without `reencode` the written file is not encoded again (`reencodes` stays true): what it
  // decodes to is still compared with the input, field by field.
  const res: VerifyPassResult = { records: 0, bytes: 0, reencodes: true };
  const reencode = o.reencode ?? true;
  let checker: StreamChecker | undefined;
  let lock: LockstepDiff | undefined;
  let reencoder: StreamWriter | undefined;
  const compare = new ComparingSink();
  let outTrailing = '';
  let trailingHead: Uint8Array | undefined;
  let trailingCount = 0;
  const reader = new StreamReader({
    onHeader(h) {
      res.header = h;
      checker = new StreamChecker(h, { ...(target ? { target } : {}), ...(o.hostIds ? { hostIds: o.hostIds } : {}) });
      while (!inHeader && pull());
      lock = new LockstepDiff(inHeader!, h);
      if (reencode) reencoder = new StreamWriter(h, compare.sink, { transient: true });
    },
    onRecord(y, loc) {
      res.records++;
      // (No byte offsets: this check is also the plan's check of its output, which names records.)
      checker!.visit(y);
      if (reencoder && res.reencodes) {
        try {
          reencoder.write(y);
        } catch (e) {
          if (!(e instanceof EncodeError)) throw e;
          res.reencodes = false;
        }
      }
      const x = nextKept();
      if (x === undefined) lock!.onlyB(loc.index, keys.one(1, y));
      else if (sameNodeRecord(x, y)) inIndex++; // (most records: no item keys made)
      else {
        const [kx, ky] = keys.keys(x, y);
        lock!.pair(x, inIndex++, kx, y, loc.index, ky);
      }
    },
    onTrailing(count, head) {
      trailingCount = count;
      trailingHead = head;
      outTrailing = trailingText(head, count);
    },
  });
  try {
    written((c) => {
      res.bytes += c.length;
      if (reencode && res.reencodes) compare.expect(c);
      reader.push(c);
    });
    reader.end();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    res.decodeError = e;
  }
  if (checker) res.check = checker.finish({ length: trailingCount });
  if (res.decodeError || !lock) return res;
  // Input records beyond the last written one.
  for (let x = nextInput(); x !== undefined; x = nextInput()) lock.onlyA(inIndex++, keys.one(0, x));
  while (pull());
  if (reencoder && res.reencodes) {
    try {
      reencoder.end(trailingHead && trailingCount <= trailingHead.length ? trailingHead : undefined);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      res.reencodes = false;
    }
    // (Bytes after END beyond the reader's 1 MiB are compared by the diff's count only.)
    res.reencodes &&= trailingCount > (trailingHead?.length ?? 0) ? compare.same : compare.done();
  }
  res.diff = lock.finish(inTrailing || null, outTrailing || null);
  return res;
}
