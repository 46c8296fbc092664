// The shape of a model record, checked before it is written: the JavaScript types of its
// fields. Without it a malformed model (from JSON, or built by hand) is written as other bytes
// with no error: `path: 5` as "5", `path: {a: 1}` as "[object Object]", a quota name 5 fails
// deep in Buffer.from with Node's message. Ranges are the encoder's (encode-body.ts).

import { EncodeError } from '../wire/errors.js';
import type { StreamHeader, XsRecord } from './types.js';

type Kind = 'number' | 'string' | 'bytes' | 'bigint';

/** Model key -> kind of each record type's own fields (optional ones marked `?`). */
const FIELDS: Record<string, Record<string, Kind | `${Kind}?`>> = {
  END: {},
  GLOBAL_DATA: { rwSocketFd: 'number', evtchnFd: 'number' },
  CONNECTION_DATA: { connId: 'number', connType: 'number', fields: 'number', outRespLen: 'number', inData: 'bytes', outData: 'bytes', dataPad: 'bytes?', uniqueId: 'bigint?' },
  WATCH_DATA: { connId: 'number', wpath: 'string', token: 'string' },
  WATCH_DATA_EXTENDED: { connId: 'number', wpath: 'string', token: 'string', pad: 'number?' },
  TRANSACTION_DATA: { connId: 'number', txId: 'number' },
  NODE_DATA: { connId: 'number', txId: 'number', access: 'number', path: 'string', value: 'bytes' },
  GLOBAL_QUOTA_DATA: {},
  DOMAIN_DATA: { domainId: 'number', features: 'number' },
  UNKNOWN: { typeCode: 'number', body: 'bytes' },
};

/** FIELDS as lists (checked for every record written: no Object.entries per record). */
const PLAIN: Record<string, [string, Kind, boolean][]> = Object.fromEntries(
  Object.entries(FIELDS).map(([t, f]) => [t, Object.entries(f).map(([k, s]) => [k, s.replace('?', '') as Kind, s.endsWith('?')] as [string, Kind, boolean])]),
);

/** What a value is, for a message: `the string "1"`, `an object`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (missing)';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${String(v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

const WANT: Record<Kind, string> = { number: 'a number', string: 'a string', bytes: 'bytes (a Uint8Array)', bigint: 'a bigint' };

function isKind(v: unknown, k: Kind): boolean {
  return k === 'bytes' ? v instanceof Uint8Array : typeof v === k;
}

function need(index: number, type: string, field: string, v: unknown, kind: Kind): void {
  if (!isKind(v, kind)) throw new EncodeError(index, `${type}: ${field}: expected ${WANT[kind]}, found ${describeValue(v)}`, field);
}

function quotas(index: number, type: string, key: string, q: unknown): void {
  if (!Array.isArray(q)) throw new EncodeError(index, `${type}: ${key}: expected an array of { name, value }, found ${describeValue(q)}`, key);
  q.forEach((x: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!x || typeof x !== 'object') throw new EncodeError(index, `${type}: ${at}: expected { name, value }, found ${describeValue(x)}`, at);
    need(index, type, `${at}.name`, (x as Record<string, unknown>).name, 'string');
    need(index, type, `${at}.value`, (x as Record<string, unknown>).value, 'number');
  });
}

/** Throws an EncodeError naming the field (its `field`: the model path) when a field has the wrong type. */
export function validateRecordShape(r: XsRecord, index: number): void {
  if (!r || typeof r !== 'object') throw new EncodeError(index, `expected a record object, found ${describeValue(r)}`);
  const type = (r as { type: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) throw new EncodeError(index, `type: unknown record type ${describeValue(type)}`, 'type');
  const o = r as unknown as Record<string, unknown>;
  for (const [key, kind, optional] of PLAIN[type]!) {
    const v = o[key];
    if (optional && v === undefined) continue;
    if (!isKind(v, kind)) need(index, type, key, v, kind);
  }
  if (o.len !== undefined) need(index, type, 'len', o.len, 'number');
  if (o.padding !== undefined) need(index, type, 'padding', o.padding, 'bytes');
  if (o.unterminated !== undefined && (!Array.isArray(o.unterminated) || o.unterminated.some((k) => typeof k !== 'string'))) {
    throw new EncodeError(index, `${type}: unterminated: expected an array of field keys, found ${describeValue(o.unterminated)}`, 'unterminated');
  }
  if (type === 'CONNECTION_DATA') {
    const spec = o.connSpec;
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new EncodeError(index, `${type}: connSpec: expected an object, found ${describeValue(spec)}`, 'connSpec');
    const s = spec as Record<string, unknown>;
    if (o.connType === 0) for (const k of ['domid', 'tdomid', 'evtchn']) need(index, type, `connSpec.${k}`, s[k], 'number');
    else if (o.connType === 1) {
      need(index, type, 'connSpec.socketFd', s.socketFd, 'number');
      if (s.pad !== undefined) need(index, type, 'connSpec.pad', s.pad, 'number');
    } else need(index, type, 'connSpec.raw', s.raw, 'bytes');
  } else if (type === 'WATCH_DATA_EXTENDED') {
    if (o.depth !== null) need(index, type, 'depth', o.depth, 'number');
  } else if (type === 'NODE_DATA') {
    if (!Array.isArray(o.perms)) throw new EncodeError(index, `${type}: perms: expected an array, found ${describeValue(o.perms)}`, 'perms');
    o.perms.forEach((p: unknown, i) => {
      const at = `perms[${i}]`;
      if (!p || typeof p !== 'object') throw new EncodeError(index, `${type}: ${at}: expected { perm, flags, domid }, found ${describeValue(p)}`, at);
      const x = p as Record<string, unknown>;
      need(index, type, `${at}.perm`, x.perm, 'string');
      need(index, type, `${at}.flags`, x.flags, 'number');
      need(index, type, `${at}.domid`, x.domid, 'number');
    });
  } else if (type === 'GLOBAL_QUOTA_DATA') {
    quotas(index, type, 'domQuotas', o.domQuotas);
    quotas(index, type, 'globQuotas', o.globQuotas);
  } else if (type === 'DOMAIN_DATA') {
    quotas(index, type, 'quotas', o.quotas);
  }
}

/** The header's fields (version and reservedFlags ranges are writeHeader's). */
export function validateHeaderShape(h: StreamHeader): void {
  if (!h || typeof h !== 'object') throw new EncodeError(-1, `header: expected an object, found ${describeValue(h)}`, 'header');
  if (h.byteOrder !== 'little' && h.byteOrder !== 'big') {
    throw new EncodeError(-1, `header: byteOrder: expected "little" or "big", found ${describeValue(h.byteOrder)}`, 'header.byteOrder');
  }
}

/**
 * The records of a whole stream: END last and only there (the reader stops at END: records
 * after it would be read as trailing bytes, and a stream without one is cut short).
 */
export function validateRecordsEnd(records: readonly XsRecord[]): void {
  if (!Array.isArray(records)) throw new EncodeError(-1, `records: expected an array, found ${describeValue(records)}`, 'records');
  const last = records.length - 1;
  const at = records.findIndex((r) => r && r.type === 'END');
  if (at < 0) throw noEndError();
  if (at !== last) throw endNotLastError(at, last - at);
}

/** A stream's records hold no END (validateRecordsEnd's error, for a writer of a stream as it comes). */
export function noEndError(): EncodeError {
  return new EncodeError(-1, `the stream has no END record (a reader would take it as cut short): add { type: 'END' } last`, 'records');
}

/** Records follow END (record `at`): `after` of them. */
export function endNotLastError(at: number, after: number): EncodeError {
  return new EncodeError(at, `END: END is not the last record (${after} record(s) after it would be read as trailing bytes): move it to the end, or put bytes after END in trailing`);
}
