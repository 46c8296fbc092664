// "Does the record at this offset decode to this model record?", answered without decoding it.
// For each simple layout of wire/layout.ts (fixed integers, chars, byte and NUL-terminated
// string fields, arrays of fixed items: NODE_DATA, the watches, GLOBAL_DATA, TRANSACTION_DATA)
// it generates (once, with `new Function`, as the fast decoder is made) a function that walks
// the body as the fast decoder does and compares each field with the model record's value in
// place: no string, view or object is made. Used by convert's verify stage to compare the
// written file, decoded, with the input, which it need not decode again record by record.
//
// Only "yes" is an answer: a record that differs, or one the fast decoder would decode with
// extras (declared len, padding, a string without its NUL, the 4.22 short header), or of a
// layout without a comparer, gives -1, and the caller decodes it (then compares models, and
// reports what differs). So a yes means: the fast decoder gives, at this offset, a record
// equal field by field to `y` (test/same-record.test.ts holds the two to each other).
//
// Measured on the bench's 100 MB stream (1.25M records), in convert's verify: decoding each
// input record with decodeRecordFast to compare it took about 450 ms; this, about 100 ms.

import { RECORD_HEADER_SIZE, RecordType, roundUp8 } from '../wire/constants.js';
import { INT_SIZE, LAYOUTS, type Field, type RecordLayout } from '../wire/layout.js';
import { shortHeaderBodySize } from './decode.js';
import type { XsRecord } from './types.js';

/** Compares the body at `buf[p, limit)` with `y`; returns where it ends, or -1. */
type BodyComparer = (y: Record<string, unknown>, buf: Uint8Array, view: DataView, p: number, limit: number) => number;

/** Whether a layout has only the field kinds the comparer generator knows. */
function simple(fields: readonly Field[]): boolean {
  return fields.every((f) => {
    if (f.kind === 'int') return f.int !== 'u64';
    if (f.kind === 'char' || f.kind === 'bytes' || f.kind === 'cstring') return true;
    if (f.kind === 'array') return f.fields.every((h) => (h.kind === 'int' && h.int !== 'u64') || h.kind === 'char');
    return false;
  });
}

function readInt(int: string, at: string, le: string): string {
  switch (int) {
    case 'u8': return `buf[${at}]`;
    case 'u16': return `view.getUint16(${at}, ${le})`;
    case 'u32': return `view.getUint32(${at}, ${le})`;
    default: return `view.getInt32(${at}, ${le})`;
  }
}

/** Emits the comparison of `fields` with the object `obj` (a JS expression); advances `p`. */
function genFields(lines: string[], fields: readonly Field[], obj: string, le: string, vars: Map<string, string>, uid: { n: number }, checked = false): void {
  const targetOf = (key: string): Field | undefined => fields.find((f) => 'key' in f && f.key === key);
  const fixedRun = (i: number): number => {
    let j = i;
    while (j < fields.length && (fields[j]!.kind === 'int' || fields[j]!.kind === 'char')) j++;
    return j;
  };
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.kind === 'int' || f.kind === 'char') {
      const j = fixedRun(i);
      let size = 0;
      for (let k = i; k < j; k++) size += fields[k]!.kind === 'int' ? INT_SIZE[(fields[k] as { int: 'u8' }).int] : 1;
      if (!checked) lines.push(`if (p + ${size} > limit) return -1;`);
      let at = 0;
      for (let k = i; k < j; k++) {
        const h = fields[k]!;
        const where = at ? `p + ${at}` : 'p';
        if (h.kind === 'char') {
          lines.push(`{ const c = ${obj}.${h.key}; if (typeof c !== 'string' || c.length !== 1 || c.charCodeAt(0) !== buf[${where}]) return -1; }`);
          at += 1;
          continue;
        }
        if (h.kind !== 'int') continue;
        const v = `v${uid.n++}`;
        lines.push(`const ${v} = ${readInt(h.int, where, le)};`);
        vars.set(h.key, v);
        if (h.sizeOf) {
          const t = targetOf(h.sizeOf);
          const plus = t?.kind === 'cstring' ? ' + 1' : '';
          lines.push(`if (${v} !== ${obj}.${h.sizeOf}.length${plus}) return -1;`);
        } else if (h.countOf) {
          lines.push(`if (${v} !== ${obj}.${h.countOf}.length) return -1;`);
        } else if (h.reserved) {
          lines.push(`if (${v} !== (${obj}.${h.key} ?? 0)) return -1;`);
        } else {
          lines.push(`if (${v} !== ${obj}.${h.key}) return -1;`);
        }
        at += INT_SIZE[h.int];
      }
      lines.push(`p += ${size};`);
      i = j - 1;
      continue;
    }
    const lenOf = (ref: unknown): string => {
      if (typeof ref === 'number') return String(ref);
      if (typeof ref !== 'string' || !vars.has(ref)) throw new Error(`same-record: length ${String(ref)} not read before ${f.name}`);
      return vars.get(ref)!;
    };
    switch (f.kind) {
      case 'bytes': {
        const n = lenOf(f.length);
        lines.push(`{ const b = ${obj}.${f.key}; if (p + ${n} > limit || !(b instanceof Uint8Array) || b.length !== ${n}) return -1;`);
        lines.push(`  for (let k = 0; k < ${n}; k++) if (buf[p + k] !== b[k]) return -1; p += ${n}; }`);
        break;
      }
      case 'cstring': {
        const n = lenOf(f.length);
        // (Terminated: a string without its NUL would decode with `unterminated`.)
        lines.push(`{ const s = ${obj}.${f.key}; if (p + ${n} > limit || ${n} === 0 || buf[p + ${n} - 1] !== 0 || typeof s !== 'string' || s.length !== ${n} - 1) return -1;`);
        lines.push(`  for (let k = 0; k < ${n} - 1; k++) if (buf[p + k] !== s.charCodeAt(k)) return -1; p += ${n}; }`);
        break;
      }
      case 'array': {
        const n = lenOf(f.count);
        const size = f.fields.reduce((a, h) => a + (h.kind === 'int' ? INT_SIZE[h.int] : 1), 0);
        const a = `a${uid.n++}`;
        lines.push(`const ${a} = ${obj}.${f.key}; if (!Array.isArray(${a}) || ${a}.length !== ${n} || p + ${n} * ${size} > limit) return -1;`);
        lines.push(`for (let i = 0; i < ${n}; i++) { const it = ${a}[i];`);
        genFields(lines, f.fields, 'it', le, new Map(), uid, true);
        lines.push(`}`);
        break;
      }
      default:
        throw new Error(`same-record: no comparer for field kind ${f.kind}`);
    }
  }
}

/** The source of a body comparer for `layout` (exported for inspection). */
export function bodyComparerSource(layout: RecordLayout, little: boolean): string {
  const lines: string[] = [`// ${layout.type}, ${little ? 'little' : 'big'}-endian (generated from wire/layout.ts)`];
  genFields(lines, layout.fields, 'y', little ? 'true' : 'false', new Map(), { n: 0 });
  lines.push('return p;');
  return lines.join('\n');
}

function compile(layout: RecordLayout, little: boolean): BodyComparer {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`return function same_${layout.type}(y, buf, view, p, limit) {\n${bodyComparerSource(layout, little)}\n};`)() as BodyComparer;
}

function table(little: boolean): (BodyComparer | undefined)[] {
  const t: (BodyComparer | undefined)[] = [];
  for (const [name, code] of Object.entries(RecordType)) {
    const layout = LAYOUTS[name as keyof typeof RecordType];
    if (!simple(layout.fields)) continue;
    t[code] = (y, buf, view, p, limit) => (t[code] = compile(layout, little))(y, buf, view, p, limit);
  }
  return t;
}
const LE = table(true);
const BE = table(false);

/**
 * The size on the wire of the record at `buf[offset, end)` (bytes in order `little`; `view`
 * covers `buf` from its first byte) when the fast decoder would decode it to a record equal to
 * `y`, field by field; -1 when it would not, or when this cannot tell (decode it and compare).
 */
export function sameRecordAt(y: XsRecord, buf: Uint8Array, view: DataView, offset: number, end: number, little: boolean): number {
  if (y.type === 'UNKNOWN' || y.len !== undefined || y.padding !== undefined || y.unterminated !== undefined) return -1;
  if (y.type === 'WATCH_DATA_EXTENDED' && y.producerDefect !== undefined) return -1;
  const bodyStart = offset + RECORD_HEADER_SIZE;
  if (bodyStart > end) return -1;
  const typeCode = view.getUint32(offset, little);
  if (typeCode !== RecordType[y.type]) return -1;
  const same = (little ? LE : BE)[typeCode];
  if (same === undefined) return -1;
  const len = view.getUint32(offset + 4, little);
  const wireEnd = bodyStart + roundUp8(len);
  if (wireEnd > end) return -1;
  // (The fast decoder takes a WATCH_DATA_EXTENDED with the 4.22 signature as a short header.)
  if (typeCode === RecordType.WATCH_DATA_EXTENDED && shortHeaderBodySize(buf.subarray(bodyStart, bodyStart + len), len, little) !== undefined) return -1;
  const bodyEnd = same(y as unknown as Record<string, unknown>, buf, view, bodyStart, bodyStart + len);
  if (bodyEnd < 0) return -1;
  // A declared len other than the body rounded up, or a non-zero padding byte, is an extra of the model.
  if (len !== roundUp8(bodyEnd - bodyStart)) return -1;
  for (let i = bodyEnd; i < wireEnd; i++) if (buf[i] !== 0) return -1;
  return wireEnd - offset;
}
