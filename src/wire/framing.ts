// Stream framing: the 16-byte header (always big-endian) and the record envelope
// (type u32, len u32 in the stream's byte order, body, padding to the next 8-byte boundary).
// xenstored writes `len` already padded and reads exactly `len`; the design document calls
// `len` the unpadded body size. Consuming `len` and then skipping to the boundary reads both.

import { HEADER_SIZE, IDENT, RECORD_HEADER_SIZE, type ByteOrder, roundUp8 } from './constants.js';
import { DecodeError } from './errors.js';

export interface RawHeader {
  version: number;
  flags: number;
  byteOrder: ByteOrder;
}

export function readHeader(buf: Uint8Array): RawHeader {
  if (buf.length < HEADER_SIZE) {
    throw new DecodeError({ offset: 0, recordIndex: -1 }, `a ${HEADER_SIZE}-byte header`, `${buf.length} bytes of input`);
  }
  for (let i = 0; i < IDENT.length; i++) {
    if (buf[i] !== IDENT.charCodeAt(i)) {
      const found = Buffer.from(buf.subarray(0, 8)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
      throw new DecodeError({ offset: i, recordIndex: -1, field: 'ident' }, `ident "xenstore"`, `"${found}" (not a Xenstore migration stream)`);
    }
  }
  const view = new DataView(buf.buffer, buf.byteOffset, HEADER_SIZE);
  const version = view.getUint32(8, false);
  const flags = view.getUint32(12, false);
  return { version, flags, byteOrder: flags & 1 ? 'big' : 'little' };
}

export interface RecordFrame {
  index: number;
  offset: number;
  typeCode: number;
  len: number;
  bodyStart: number;
  /** Offset of the next record per `len` (len rounded up to 8). */
  declaredEnd: number;
}

/** Reads the record envelope at `offset`; checks that the declared record fits in `buf`. */
export function readFrame(buf: Uint8Array, offset: number, index: number, little: boolean, checkEnd = true): RecordFrame {
  if (offset + RECORD_HEADER_SIZE > buf.length) {
    throw new DecodeError(
      { offset, recordIndex: index },
      `an 8-byte record header (type, len)`,
      buf.length === offset ? 'the end of the input (no END record)' : `${buf.length - offset} bytes before the end of the input`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset + offset, RECORD_HEADER_SIZE);
  const typeCode = view.getUint32(0, little);
  const len = view.getUint32(4, little);
  const bodyStart = offset + RECORD_HEADER_SIZE;
  const declaredEnd = bodyStart + roundUp8(len);
  if (checkEnd) checkFrameEnd(buf.length, { index, offset, typeCode, len, bodyStart, declaredEnd });
  return { index, offset, typeCode, len, bodyStart, declaredEnd };
}

export function checkFrameEnd(inputLength: number, f: RecordFrame): void {
  if (f.declaredEnd > inputLength) {
    const left = Math.max(0, inputLength - f.bodyStart);
    throw new DecodeError(
      { offset: f.offset + 4, recordIndex: f.index, recordType: f.typeCode, field: 'len' },
      `len ${f.len}${f.len % 8 ? ` (+${roundUp8(f.len) - f.len} padding)` : ''} to fit in the input`,
      `only ${left} byte${left === 1 ? '' : 's'} after the record header`,
    );
  }
}
