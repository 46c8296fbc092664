// What the decoder kept of a non-canonical input, named for people: derived from the extras a
// record carries (their presence is the marker), so nothing is tracked twice.

import { recordTypeLabel, roundUp8 } from '../wire/constants.js';
import type { RecordLocation, Stream, StreamHeader, XsRecord } from './types.js';

export interface Anomaly {
  kind: 'len' | 'padding' | 'unterminated' | 'internal-pad' | 'producer-defect' | 'unknown-type' | 'trailing' | 'reserved-flags';
  message: string;
  recordIndex?: number;
  offset?: number;
}

const NONE: readonly Anomaly[] = Object.freeze([]);

export function recordAnomalies(r: XsRecord, loc?: RecordLocation): readonly Anomaly[] {
  // Most records carry no extra at all: answer them without allocating (info asks per record).
  if (r.len === undefined && r.padding === undefined && r.unterminated === undefined &&
    r.type !== 'UNKNOWN' && r.type !== 'WATCH_DATA_EXTENDED' && r.type !== 'CONNECTION_DATA') return NONE;
  const out: Anomaly[] = [];
  const at = { recordIndex: loc?.index, offset: loc?.offset };
  const name = r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type;
  if (r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect) {
    // The defective writer declares roundup(12 + p + t, 8) but writes 8 + p + t bytes; `len`
    // is kept only when it differs from that declaration, so the overrun is computed, not read
    // from the presence of `len`.
    const written = 8 + r.wpath.length + 1 + r.token.length + 1;
    const declared = r.len ?? roundUp8(written + 4);
    const overrun = roundUp8(declared) - roundUp8(written);
    out.push({ kind: 'producer-defect', message: `${name}: Xen 4.22 short header, depth not written (lost)${overrun > 0 ? `, declared len ${declared} overruns the record by ${overrun} bytes` : ''}`, ...at });
  } else if (r.len !== undefined) {
    out.push({ kind: 'len', message: `${name}: declared len ${r.len} is not the body size rounded up to 8${r.len % 8 ? ' (not a multiple of 8: xenstored would misread the next record)' : ''}`, ...at });
  }
  if (r.padding) out.push({ kind: 'padding', message: `${name}: ${r.padding.length} padding bytes are not all zero`, ...at });
  if (r.unterminated?.length) out.push({ kind: 'unterminated', message: `${name}: ${r.unterminated.join(', ')} without terminating NUL`, ...at });
  if (r.type === 'CONNECTION_DATA' && r.dataPad) out.push({ kind: 'internal-pad', message: `${name}: padding before unique-id is not zero`, ...at });
  if ((r.type === 'WATCH_DATA_EXTENDED' || r.type === 'CONNECTION_DATA') && 'pad' in r && r.pad) {
    out.push({ kind: 'internal-pad', message: `${name}: pad field is ${r.pad}, not zero`, ...at });
  }
  if (r.type === 'CONNECTION_DATA' && r.connType === 1 && (r.connSpec as { pad?: number }).pad) {
    out.push({ kind: 'internal-pad', message: `${name}: socket conn-spec pad is not zero`, ...at });
  }
  if (r.type === 'UNKNOWN') out.push({ kind: 'unknown-type', message: `unknown record type ${r.typeCode} (${r.body.length} body bytes kept)`, ...at });
  return out;
}

export function headerAnomalies(h: StreamHeader): Anomaly[] {
  return h.reservedFlags ? [{ kind: 'reserved-flags', message: `header flags: reserved bits 0x${h.reservedFlags.toString(16)} set`, recordIndex: -1, offset: 12 }] : [];
}

export function streamAnomalies(s: Stream, locations?: RecordLocation[]): Anomaly[] {
  const out = headerAnomalies(s.header);
  s.records.forEach((r, i) => out.push(...recordAnomalies(r, locations?.[i])));
  if (s.trailing) out.push({ kind: 'trailing', message: `${s.trailing.length} bytes after the END record` });
  return out;
}

