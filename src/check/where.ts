// How findings and losses name their place: `at byte 352 (0x160), record #6 (WATCH_DATA_EXTENDED)`,
// in the same words as DecodeError; without decoded locations, just the record index and type.

import { recordTypeLabel, RecordType } from '../wire/constants.js';
import type { RecordLocation, XsRecord } from '../model/types.js';

export interface Place {
  recordIndex?: number;
  offset?: number;
  recordType?: string;
}

export function typeLabelOf(r: XsRecord): string {
  return r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type;
}

export function typeCodeOf(r: XsRecord): number {
  return r.type === 'UNKNOWN' ? r.typeCode : RecordType[r.type];
}

export function recordPlace(index: number, r: XsRecord, loc: RecordLocation | undefined): Place {
  const p: Place = { recordIndex: index, recordType: typeLabelOf(r) };
  if (loc) p.offset = loc.offset;
  return p;
}

export function byteAt(offset: number): string {
  return `at byte ${offset} (0x${offset.toString(16)})`;
}

/** `at byte N (0xN), record #i (TYPE)` or `record #i (TYPE)`; `header`/`stream` without an index. */
export function describePlace(p: Place): string {
  const parts: string[] = [];
  if (p.offset !== undefined) parts.push(byteAt(p.offset));
  if (p.recordIndex !== undefined) parts.push(`record #${p.recordIndex}${p.recordType ? ` (${p.recordType})` : ''}`);
  else if (p.recordType) parts.push(p.recordType);
  return parts.join(', ');
}

/** A string shown in a message: quoted, control and non-ASCII bytes escaped. */
export function q(s: string, max = 80): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c < 0x20 || c > 0x7e) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  if (out.length >= max && s.length > max) out = `${out.slice(0, max)}...`;
  return `"${out}"`;
}

export function hex(n: number, width = 0): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
