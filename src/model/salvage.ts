// Reading a damaged or cut-short stream (`--salvage`): at a fault, the fault is reported (offset,
// record, what was expected and found) and reading resumes at the next plausible record: a
// known type, 8-aligned, a `len` within the input, and a body that decodes on its own (its
// inner lengths consistent). The bytes skipped are listed; a stream cut short yields every
// complete record before the cut. Never silent: the caller exits non-zero when there are faults.

import { HEADER_SIZE, RECORD_HEADER_SIZE, RecordType, roundUp8 } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { decodeHeader } from './decode.js';
import { StreamReader } from './stream-reader.js';
import type { RecordLocation, StreamHeader, XsRecord } from './types.js';

export interface SalvageFault {
  /** Where the fault is, what was expected and found (offsets of the whole input). */
  error: DecodeError;
  /** Bytes skipped: from the start of the record at fault to where reading resumed (or the end). */
  skippedFrom: number;
  skippedTo: number;
  /** Reading resumed at a record header at `skippedTo` (else the rest of the input was skipped). */
  resumed: boolean;
}

export interface Salvaged {
  header: StreamHeader;
  /** The records read, in order; indexes count them (records lost in a skipped region are not counted). */
  records: XsRecord[];
  locations: RecordLocation[];
  /** The record bytes of each (views of the input). */
  bytes: Uint8Array[];
  faults: SalvageFault[];
  /** An END record was read. */
  ended: boolean;
  trailing: number;
}

const KNOWN = new Set<number>(Object.values(RecordType).filter((c) => c !== RecordType.END));
const END_RECORD = new Uint8Array(RECORD_HEADER_SIZE);

/** Whether a record that decodes on its own starts at `q` (END only as the input's last 8 bytes). */
function plausibleAt(input: Uint8Array, view: DataView, q: number, little: boolean, head: Uint8Array): boolean {
  if (q + RECORD_HEADER_SIZE > input.length) return false;
  const type = view.getUint32(q, little);
  const len = view.getUint32(q + 4, little);
  if (type === RecordType.END) return len === 0 && q + RECORD_HEADER_SIZE === input.length;
  if (!KNOWN.has(type)) return false;
  const end = q + RECORD_HEADER_SIZE + roundUp8(len);
  if (end > input.length) return false;
  let n = 0;
  const r = new StreamReader({ onRecord: () => void n++ });
  try {
    r.push(head);
    r.push(input.subarray(q, end));
    r.push(END_RECORD);
    r.end();
  } catch {
    return false;
  }
  return n === 2;
}

/** Reads `input` record by record, resynchronising after each fault. A header that does not decode throws. */
export function salvageStream(input: Uint8Array): Salvaged {
  const header = decodeHeader(input.subarray(0, HEADER_SIZE));
  const head = input.subarray(0, HEADER_SIZE);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const little = header.byteOrder === 'little';
  const out: Salvaged = { header, records: [], locations: [], bytes: [], faults: [], ended: false, trailing: 0 };
  let pos = HEADER_SIZE;
  for (;;) {
    const shift = pos - HEADER_SIZE;
    const base = out.records.length;
    let next = pos;
    const reader = new StreamReader({
      onRecord: (r, loc, bytes) => {
        out.records.push(r);
        out.locations.push({ ...loc, index: loc.index + base, offset: loc.offset + shift });
        out.bytes.push(bytes);
        next = loc.offset + shift + loc.wireLen;
        if (r.type === 'END') out.ended = true;
      },
      onTrailing: (count) => void (out.trailing = count),
    }, { wantBytes: true });
    try {
      reader.push(head);
      reader.push(input.subarray(pos));
      reader.end();
      return out;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const at = e.offset + shift;
      const index = e.recordIndex < 0 ? e.recordIndex : e.recordIndex + base;
      const error = new DecodeError({ offset: at, recordIndex: index, ...(e.recordType !== undefined ? { recordType: e.recordType } : {}), ...(e.field !== undefined ? { field: e.field } : {}) }, e.expected, e.found);
      let q = roundUp8(next + RECORD_HEADER_SIZE - HEADER_SIZE) + HEADER_SIZE; // (records are 8-aligned from the header's end)
      while (q + RECORD_HEADER_SIZE <= input.length && !plausibleAt(input, view, q, little, head)) q += 8;
      const resumed = q + RECORD_HEADER_SIZE <= input.length;
      out.faults.push({ error, skippedFrom: next, skippedTo: resumed ? q : input.length, resumed });
      if (!resumed) return out;
      pos = q;
    }
  }
}

/** The faults as lines for a person: where, what, which bytes were skipped. */
export function faultLines(s: Salvaged): string[] {
  const lines: string[] = [];
  for (const f of s.faults) {
    const n = f.skippedTo - f.skippedFrom;
    lines.push(`fault ${f.error.message}`);
    lines.push(
      n === 0 ? '  nothing skipped'
      : f.resumed ? `  skipped bytes ${f.skippedFrom}..${f.skippedTo - 1} (0x${f.skippedFrom.toString(16)}..0x${(f.skippedTo - 1).toString(16)}, ${n} bytes); resumed at a record header at byte ${f.skippedTo}`
      : `  skipped bytes ${f.skippedFrom}..${f.skippedTo - 1} (0x${f.skippedFrom.toString(16)}..0x${(f.skippedTo - 1).toString(16)}, ${n} bytes) to the end of the input: no further record found`,
    );
  }
  if (!s.ended) lines.push(`no END record: the stream is cut short; the ${s.records.length} complete record(s) before the cut are shown`);
  return lines;
}
