// Decoder: framing checks, then each record body through its compiled binary-parser parser.
// binary-parser clamps buffers that run past its input and would read a record's neighbour,
// so every body is handed over cut at its declared `len`, and the parser's end offset is
// checked against it; on any overrun the span walker names the field that did not fit.

import { bodyParser } from '../wire/bp.js';
import { HEADER_SIZE, RECORD_HEADER_SIZE, RecordType, type ByteOrder, recordTypeName, roundUp8 } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { checkFrameEnd, readFrame, readHeader, type RecordFrame } from '../wire/framing.js';
import { LAYOUTS, WATCH_DATA_EXTENDED_SHORT, type RecordLayout } from '../wire/layout.js';
import { walkSpans } from '../wire/spans.js';
import type { WireObject } from '../wire/encode-body.js';
import { SHORT_HEADER_DEFECT, type RecordLocation, type Stream, type StreamHeader, type XsRecord } from './types.js';
import { wireToModel } from './wire-model.js';
// (fast-decode.ts imports this module too; neither uses the other's bindings while loading.)
import { decodeStreamFast } from './fast-decode.js';

const END_MARK = '_end';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function decodeHeader(buf: Uint8Array): StreamHeader {
  const h = readHeader(buf);
  // `>>> 0`: bit 31 must not turn the value negative (`&` yields a signed 32-bit result).
  return { version: h.version, byteOrder: h.byteOrder, reservedFlags: (h.flags & ~1) >>> 0 };
}

function isPathStart(b: number | undefined): boolean {
  return b === 0x2f /* / */ || b === 0x40 /* @ */;
}

/**
 * Recognises Xen 4.22's WATCH_DATA_EXTENDED short header: the correct layout does not fit
 * (non-zero pad, strings not NUL-terminated where they should be), while wpath and token do
 * end in NULs when read from +8. Returns the real body size, or undefined.
 */
export function shortHeaderBodySize(body: Uint8Array, len: number, little: boolean): number | undefined {
  if (body.length < 8) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const p = view.getUint16(4, little);
  const t = view.getUint16(6, little);
  if (p === 0 || t === 0) return undefined;
  const properEnd = 12 + p + t;
  const properOk =
    properEnd <= len &&
    properEnd <= body.length &&
    view.getUint16(10, little) === 0 &&
    body[12 + p - 1] === 0 &&
    body[properEnd - 1] === 0;
  if (properOk) return undefined;
  const shortEnd = 8 + p + t;
  if (shortEnd > body.length || !isPathStart(body[8])) return undefined;
  if (body[8 + p - 1] !== 0 || body[shortEnd - 1] !== 0) return undefined;
  return shortEnd;
}

function parseBody(
  buf: Buffer,
  frame: RecordFrame,
  layout: RecordLayout,
  order: ByteOrder,
  bodyLimit: number,
): { raw: WireObject; end: number } {
  const body = buf.subarray(frame.bodyStart, frame.bodyStart + bodyLimit);
  let raw: WireObject | undefined;
  try {
    raw = bodyParser(layout, order).parse(body) as WireObject;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  const end = raw?.[END_MARK] as number | undefined;
  if (raw === undefined || end === undefined || end > bodyLimit) {
    // The precise walk throws a DecodeError naming the field that ran over.
    walkSpans(layout, buf, frame.bodyStart, frame.bodyStart + bodyLimit, order, { recordIndex: frame.index, recordType: frame.typeCode }, 0);
    throw new DecodeError({ offset: frame.bodyStart, recordIndex: frame.index, recordType: frame.typeCode }, `a body within len ${frame.len}`, 'a body that runs past it');
  }
  return { raw, end };
}

/** Decodes the record at `offset` of `buf`. `buf` must hold the whole record. */
export function decodeRecordAt(
  input: Uint8Array,
  offset: number,
  index: number,
  order: ByteOrder,
  base = 0,
): { record: XsRecord; location: RecordLocation } {
  if (base === 0) return decodeRecordIn(input, offset, index, order);
  // `input` is a window of a larger stream starting at absolute offset `base`.
  try {
    const r = decodeRecordIn(input, offset, index, order);
    r.location.offset += base;
    return r;
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError({ offset: e.offset + base, recordIndex: e.recordIndex, recordType: e.recordType, field: e.field }, e.expected, e.found);
    }
    throw e;
  }
}

function decodeRecordIn(
  input: Uint8Array,
  offset: number,
  index: number,
  order: ByteOrder,
): { record: XsRecord; location: RecordLocation } {
  const buf = asBuffer(input);
  const little = order === 'little';
  const frame = readFrame(buf, offset, index, little, false);
  const name = recordTypeName(frame.typeCode);
  let record: XsRecord;
  let bodySize: number;
  let wireEnd = frame.declaredEnd;

  const shortSize =
    frame.typeCode === RecordType.WATCH_DATA_EXTENDED
      ? shortHeaderBodySize(buf.subarray(frame.bodyStart, Math.min(buf.length, frame.bodyStart + frame.len)), frame.len, little)
      : undefined;

  if (shortSize !== undefined) {
    // The producer wrote 8 + p + t bytes and padded to 8; `len` claims 4 more: the next
    // record starts at the real boundary.
    const { raw } = parseBody(buf, frame, WATCH_DATA_EXTENDED_SHORT, order, shortSize);
    const m = wireToModel(WATCH_DATA_EXTENDED_SHORT, raw) as Extract<XsRecord, { type: 'WATCH_DATA_EXTENDED' }>;
    record = { type: 'WATCH_DATA_EXTENDED', connId: m.connId, depth: null, wpath: m.wpath, token: m.token, producerDefect: SHORT_HEADER_DEFECT };
    bodySize = shortSize;
    wireEnd = frame.bodyStart + roundUp8(shortSize);
    if (wireEnd > buf.length) {
      throw new DecodeError({ offset: buf.length, recordIndex: index, recordType: frame.typeCode }, 'padding to the next 8-byte boundary', 'the end of the input');
    }
    if (frame.len !== roundUp8(12 + shortSize - 8)) record.len = frame.len;
  } else {
    checkFrameEnd(buf.length, frame);
    if (name === undefined) {
      record = { type: 'UNKNOWN', typeCode: frame.typeCode, body: buf.subarray(frame.bodyStart, frame.bodyStart + frame.len) };
      bodySize = frame.len;
    } else {
      const layout = LAYOUTS[name];
      const { raw, end } = parseBody(buf, frame, layout, order, frame.len);
      record = wireToModel(layout, raw);
      bodySize = end;
    }
    if (frame.len !== roundUp8(bodySize)) record.len = frame.len;
  }
  for (let i = frame.bodyStart + bodySize; i < wireEnd; i++) {
    if (buf[i] !== 0) {
      record.padding = buf.subarray(frame.bodyStart + bodySize, wireEnd);
      break;
    }
  }
  return {
    record,
    location: { index, offset, typeCode: frame.typeCode, len: frame.len, wireLen: wireEnd - offset },
  };
}

export interface DecodeResult {
  stream: Stream;
  locations: RecordLocation[];
}

/**
 * Decodes a whole stream held in memory. `onRecord`, when given, sees each record as it is
 * decoded (so that a caller can show what came before a fault).
 */
export function decodeStreamDetailed(
  input: Uint8Array,
  onRecord?: (record: XsRecord, location: RecordLocation) => void,
): DecodeResult {
  const buf = asBuffer(input);
  const header = decodeHeader(buf);
  const records: XsRecord[] = [];
  const locations: RecordLocation[] = [];
  let offset = HEADER_SIZE;
  for (let index = 0; ; index++) {
    const { record, location } = decodeRecordAt(buf, offset, index, header.byteOrder);
    records.push(record);
    locations.push(location);
    onRecord?.(record, location);
    offset += location.wireLen;
    if (record.type === 'END') break;
  }
  const stream: Stream = { header, records };
  if (offset < buf.length) stream.trailing = buf.subarray(offset);
  return { stream, locations };
}

/**
 * Decodes a whole stream held in memory, by the fast path generated from the same layouts
 * (fast-decode.ts): the same model as decodeStreamDetailed's, the same DecodeError on a fault
 * (the fast path hands a record it cannot decode to decodeRecordAt below), several times
 * faster. test/fast-decode.test.ts holds the two paths to identical models and errors on every
 * capture, golden vector and generated or mutated stream. Byte fields are Uint8Array views (the
 * model's type) rather than Buffers. binary-parser stays in decodeStreamDetailed/decodeRecordAt:
 * the reference the fast path is tested against and falls back on for exact error reports.
 */
export function decodeStream(input: Uint8Array): Stream {
  return decodeStreamFast(input);
}

export { RECORD_HEADER_SIZE };
