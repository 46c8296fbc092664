// The lossless JSON form of a stream (spec/json-form.md). Readable: node values and pending
// data as text when they are printable UTF-8, else hex under a `...Hex` key; 64-bit values as
// decimal strings; types as words. Exact: it carries the declared `len`, padding and
// unterminated strings of non-canonical inputs, so JSON -> binary gives the same bytes.

import type { Stream, StreamHeader, XsRecord } from './types.js';
import { ALL_RECORD_TYPE_NAMES } from '../wire/constants.js';

export const JSON_FORMAT = 'xsmig-stream/1';

/** Byte fields shown as text when printable. */
const TEXT_OR_HEX = new Set(['value', 'inData', 'outData']);
/** Byte fields always shown as hex. */
const HEX_ONLY = new Set(['padding', 'dataPad', 'body', 'raw']);

// ignoreBOM: a leading U+FEFF is part of the value and must come back with it (by default
// TextDecoder drops it, and the JSON form would lose three bytes).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Printable text: valid UTF-8 with no control characters other than tab, CR, LF. */
export function printableText(b: Uint8Array): string | undefined {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 0x80) ascii = false;
    else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) return undefined;
  }
  if (ascii) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  let s: string;
  try {
    s = utf8.decode(b);
  } catch {
    return undefined;
  }
  // C1 controls and U+FFFD (a literal replacement char is legal but not worth the doubt).
  if (/[\u0080-\u009f\ufffd]/.test(s)) return undefined;
  return s;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function valueToJson(key: string, v: unknown, out: Record<string, unknown>): void {
  if (v instanceof Uint8Array) {
    if (TEXT_OR_HEX.has(key)) {
      const t = printableText(v);
      if (t !== undefined) out[key] = t;
      else out[`${key}Hex`] = toHex(v);
    } else {
      out[`${key}Hex`] = toHex(v);
    }
  } else if (typeof v === 'bigint') {
    out[key] = v.toString(10);
  } else if (Array.isArray(v)) {
    out[key] = v.map((x) => (x && typeof x === 'object' && !(x instanceof Uint8Array) ? objToJson(x as Record<string, unknown>) : x));
  } else if (v && typeof v === 'object') {
    out[key] = objToJson(v as Record<string, unknown>);
  } else if (v !== undefined) {
    out[key] = v;
  }
}

function objToJson(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) valueToJson(k, v, out);
  return out;
}

export function recordToJson(r: XsRecord): Record<string, unknown> {
  return objToJson(r as unknown as Record<string, unknown>);
}

export function streamToJson(s: Stream): Record<string, unknown> {
  const out: Record<string, unknown> = {
    format: JSON_FORMAT,
    header: { ...s.header },
    records: s.records.map(recordToJson),
  };
  if (s.trailing) out.trailingHex = toHex(s.trailing);
  return out;
}

/** The JSON text of a stream, one record per line for readable diffs. */
export function streamToJsonText(s: Stream): string {
  const j = streamToJson(s);
  const recs = (j.records as unknown[]).map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  const tail = j.trailingHex !== undefined ? `,\n  "trailingHex": ${JSON.stringify(j.trailingHex)}` : '';
  return `{\n  "format": ${JSON.stringify(j.format)},\n  "header": ${JSON.stringify(j.header)},\n  "records": [\n${recs}\n  ]${tail}\n}\n`;
}

export class JsonFormError extends Error {
  override readonly name = 'JsonFormError';
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

function fromHex(path: string, s: unknown): Uint8Array {
  if (typeof s !== 'string' || !HEX_RE.test(s)) throw new JsonFormError(path, 'expected a string of hex digit pairs');
  return Buffer.from(s, 'hex');
}

const BIGINT_KEYS = new Set(['uniqueId']);

function objFromJson(path: string, o: unknown): Record<string, unknown> {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new JsonFormError(path, 'expected an object');
  const out: Record<string, unknown> = {};
  const src = o as Record<string, unknown>;
  // (A key's path is made only when it is needed, for an error or a nested object: a path
  // string per field was a fifth of reading a large JSON form.)
  for (const k of Object.keys(src)) {
    const v = src[k];
    // (JSON.parse makes "__proto__" an own key; assigned below it would set the object's
    // prototype, and its fields would be read as the record's own: refused.)
    if (k === '__proto__') throw new JsonFormError(`${path}.${k}`, 'not a field of the JSON form (refused: it would be read as the prototype)');
    if (k.endsWith('Hex') && (TEXT_OR_HEX.has(k.slice(0, -3)) || HEX_ONLY.has(k.slice(0, -3)))) {
      if (typeof v !== 'string' || !HEX_RE.test(v)) throw new JsonFormError(`${path}.${k}`, 'expected a string of hex digit pairs');
      out[k.slice(0, -3)] = Buffer.from(v, 'hex');
    } else if (TEXT_OR_HEX.has(k) && typeof v === 'string') {
      // (a quota's `value` is a number and stays one)
      out[k] = Buffer.from(v, 'utf8');
    } else if (BIGINT_KEYS.has(k)) {
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new JsonFormError(`${path}.${k}`, 'expected a decimal string');
      out[k] = BigInt(v);
    } else if (Array.isArray(v)) {
      out[k] = v.map((x, i) => (x && typeof x === 'object' ? objFromJson(`${path}.${k}[${i}]`, x) : x));
    } else if (v && typeof v === 'object') {
      out[k] = objFromJson(`${path}.${k}`, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

export function recordFromJson(j: unknown, index: number): XsRecord {
  const path = `records[${index}]`;
  const r = objFromJson(path, j);
  const t = r.type;
  if (t !== 'UNKNOWN' && !ALL_RECORD_TYPE_NAMES.includes(t as never)) {
    throw new JsonFormError(`${path}.type`, `unknown record type ${JSON.stringify(t)} (use "UNKNOWN" with typeCode)`);
  }
  return r as unknown as XsRecord;
}

/** The header of a JSON form (its `format` checked first); `$.header` names a faulty one. */
export function headerFromJson(format: unknown, header: unknown): StreamHeader {
  if (format !== JSON_FORMAT) throw new JsonFormError('$.format', `expected "${JSON_FORMAT}"`);
  const h = header as Record<string, unknown> | undefined;
  if (!h || typeof h.version !== 'number' || (h.byteOrder !== 'little' && h.byteOrder !== 'big')) {
    throw new JsonFormError('$.header', 'expected { version: number, byteOrder: "little" | "big", reservedFlags?: number }');
  }
  return { version: h.version, byteOrder: h.byteOrder, reservedFlags: typeof h.reservedFlags === 'number' ? h.reservedFlags : 0 };
}

/** `$.trailingHex` of a JSON form, as bytes. */
export function trailingFromJson(hex: unknown): Uint8Array {
  return fromHex('$.trailingHex', hex);
}

export function streamFromJson(j: unknown): Stream {
  if (!j || typeof j !== 'object') throw new JsonFormError('$', 'expected a JSON object');
  const o = j as Record<string, unknown>;
  const header = headerFromJson(o.format, o.header);
  if (!Array.isArray(o.records)) throw new JsonFormError('$.records', 'expected an array');
  const stream: Stream = {
    header,
    records: o.records.map((r, i) => recordFromJson(r, i)),
  };
  if (o.trailingHex !== undefined) stream.trailing = trailingFromJson(o.trailingHex);
  return stream;
}
