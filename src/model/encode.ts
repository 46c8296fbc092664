// Encoder: writes a model stream in its header's byte order. `len` is the body size rounded
// up to 8, as xenstored writes it (its reader does not round up), unless the record carries
// the declared `len` of a non-canonical input; padding is zero unless the record carries it.

import { HEADER_SIZE, IDENT, RecordType, roundUp8 } from '../wire/constants.js';
import { writeBody } from '../wire/encode-body.js';
import { EncodeError } from '../wire/errors.js';
import { LAYOUTS, WATCH_DATA_EXTENDED_SHORT } from '../wire/layout.js';
import { BinaryWriter, type Sink } from '../wire/writer.js';
import { writeRecordFast } from './fast-encode.js';
import type { Stream, StreamHeader, XsRecord } from './types.js';
import { modelToWire } from './wire-model.js';
import { validateHeaderShape, validateRecordsEnd, validateRecordShape } from './validate.js';

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** The 16-byte header: always big-endian, whatever order `w` writes records in. */
export function writeHeader(w: BinaryWriter, h: StreamHeader): void {
  validateHeaderShape(h);
  if (!isU32(h.version)) throw new EncodeError(-1, `header: version ${String(h.version)} is not a u32`);
  if (!isU32(h.reservedFlags)) throw new EncodeError(-1, `header: reservedFlags ${String(h.reservedFlags)} is not a u32`);
  w.latin1(IDENT);
  w.u32be(h.version);
  w.u32be(((h.reservedFlags & ~1) | (h.byteOrder === 'big' ? 1 : 0)) >>> 0);
}

function typeCodeOf(r: XsRecord): number {
  return r.type === 'UNKNOWN' ? r.typeCode : RecordType[r.type];
}

/**
 * Appends one record (envelope, body, padding) to `w`, in `w`'s byte order. Plainly valid
 * records go through the encoder generated from the layouts (fast-encode.ts); anything else
 * through writeRecordLayout, which gives the same bytes or the EncodeError.
 */
export function writeRecord(w: BinaryWriter, r: XsRecord, index = -1): void {
  validateRecordShape(r, index);
  if (!writeRecordFast(w, r)) writeRecordLayout(w, r, index, true);
}

/** writeRecord by the generic layout-driven path (the reference for the generated encoder). */
export function writeRecordLayout(w: BinaryWriter, r: XsRecord, index = -1, validated = false): void {
  if (!validated) validateRecordShape(r, index);
  const start = w.offset;
  const typeCode = typeCodeOf(r);
  if (!isU32(typeCode)) throw new EncodeError(index, `${r.type}: typeCode ${String(typeCode)} is not a u32`);
  if (r.len !== undefined && !isU32(r.len)) throw new EncodeError(index, `${r.type}: len ${String(r.len)} is not a u32`);
  w.u32(typeCode);
  w.u32(0); // len, patched below
  const bodyStart = w.offset;
  let bodySize: number;
  let canonicalLen: number;
  try {
    if (r.type === 'UNKNOWN') {
      w.bytes(r.body);
      bodySize = r.body.length;
      canonicalLen = bodySize;
    } else if (r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect) {
      bodySize = writeBody(WATCH_DATA_EXTENDED_SHORT, modelToWire(WATCH_DATA_EXTENDED_SHORT, r), w);
      canonicalLen = roundUp8(bodySize + 4); // what the defective writer declares
    } else {
      if (r.type === 'WATCH_DATA_EXTENDED' && r.depth === null) {
        throw new EncodeError(index, 'WATCH_DATA_EXTENDED without a depth (lost by its producer): set one, or convert with --repair --assume-depth');
      }
      bodySize = writeBody(LAYOUTS[r.type], modelToWire(LAYOUTS[r.type], r), w);
      canonicalLen = roundUp8(bodySize);
    }
  } catch (e) {
    if (e instanceof EncodeError && e.recordIndex < 0) throw new EncodeError(index, `${r.type}: ${e.message}`);
    if (e instanceof EncodeError) throw e;
    throw new EncodeError(index, `${r.type}: ${(e as Error).message}`);
  }
  const len = r.len ?? canonicalLen;
  if (len < bodySize && !(r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect)) {
    throw new EncodeError(index, `${r.type}: len ${len} is shorter than the body (${bodySize} bytes)`);
  }
  w.patchU32(start + 4, len);
  const end = r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect ? bodyStart + roundUp8(bodySize) : bodyStart + roundUp8(len);
  const padLen = end - w.offset;
  if (r.padding) {
    if (r.padding.length !== padLen) throw new EncodeError(index, `${r.type}: padding holds ${r.padding.length} bytes, the record needs ${padLen}`);
    w.bytes(r.padding);
  } else {
    w.zeros(padLen);
  }
}

export interface EncodeToOptions {
  /**
   * The sink writes each chunk out before it returns (fs.writeSync): it is then given views of
   * one reused block rather than a copy of each (faster, no garbage). Default false.
   */
  transient?: boolean;
}

/** Writes a whole stream to a sink in blocks (bounded memory). */
export function encodeStreamTo(stream: Stream, sink: Sink, options: EncodeToOptions = {}): void {
  const w = new BinaryWriter(stream.header.byteOrder, sink, 1 << 20, options.transient ?? false);
  encodeInto(w, stream);
  w.flush();
}

function encodeInto(w: BinaryWriter, stream: Stream): void {
  writeHeader(w, stream.header);
  validateRecordsEnd(stream.records);
  stream.records.forEach((r, i) => {
    writeRecord(w, r, i);
    w.maybeFlush();
  });
  if (stream.trailing) w.bytes(stream.trailing);
}

export function encodeStream(stream: Stream): Uint8Array {
  const w = new BinaryWriter(stream.header.byteOrder, undefined, 1 << 16);
  encodeInto(w, stream);
  return w.result();
}

export { HEADER_SIZE };
