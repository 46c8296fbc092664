// Walks a record body along its layout declaration and reports where every field lies.
// Used for the annotated hex view, and to name the exact field when a body does not fit
// inside its record (binary-parser itself cannot say which field ran over).

import type { ByteOrder } from './constants.js';
import { DecodeError, type Location } from './errors.js';
import { INT_SIZE, type Field, type IntType, type RecordLayout, resolveLength } from './layout.js';

export interface Span {
  /** Dotted path of the field (`perms[1].domid`). */
  path: string;
  /** Name from the format document. */
  name: string;
  doc: string;
  /** Absolute byte offsets, end exclusive. */
  start: number;
  end: number;
  /** The integer value, for int and char fields. */
  value?: number | bigint;
  /** How the hex view names it, when not by path and name (a pending wire message's field). */
  label?: string;
}

export function readInt(view: DataView, at: number, int: IntType, little: boolean): number | bigint {
  switch (int) {
    case 'u8': return view.getUint8(at);
    case 'u16': return view.getUint16(at, little);
    case 'u32': return view.getUint32(at, little);
    case 'i32': return view.getInt32(at, little);
    case 'u64': return view.getBigUint64(at, little);
  }
}

/**
 * Lays `layout` over `bytes[bodyStart, limit)` and returns the spans of its fields in order.
 * `absBase` is the absolute stream offset of `bytes[0]`. Throws DecodeError naming the first
 * field that does not fit before `limit`.
 */
export function walkSpans(
  layout: RecordLayout,
  bytes: Uint8Array,
  bodyStart: number,
  limit: number,
  order: ByteOrder,
  loc: Omit<Location, 'offset'>,
  absBase = 0,
): { spans: Span[]; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = order === 'little';
  const spans: Span[] = [];
  let pos = bodyStart;

  const need = (n: number, path: string, what: string) => {
    if (pos + n > limit) {
      throw new DecodeError(
        { ...loc, offset: absBase + pos, field: path },
        `${n} byte${n === 1 ? '' : 's'} for ${what}`,
        `${Math.max(0, limit - pos)} left in the record`,
      );
    }
  };

  const walk = (fields: readonly Field[], scope: Record<string, unknown>, prefix: string) => {
    for (const f of fields) {
      if (f.kind === 'optional') {
        if (((scope[f.when.key] as number) & f.when.mask) !== 0) walk(f.fields, scope, prefix);
        continue;
      }
      const path = prefix + f.key;
      const start = pos;
      switch (f.kind) {
        case 'int': {
          const n = INT_SIZE[f.int];
          need(n, path, f.name);
          const v = readInt(view, pos, f.int, little);
          scope[f.key] = v;
          pos += n;
          spans.push({ path, name: f.name, doc: f.doc, start: absBase + start, end: absBase + pos, value: v });
          break;
        }
        case 'char': {
          need(1, path, f.name);
          const v = view.getUint8(pos);
          scope[f.key] = v;
          pos += 1;
          spans.push({ path, name: f.name, doc: f.doc, start: absBase + start, end: absBase + pos, value: v });
          break;
        }
        case 'bytes':
        case 'cstring': {
          const n = resolveLength(f.length, scope);
          need(n, path, `${f.name} (${n} bytes declared)`);
          pos += n;
          spans.push({ path, name: f.name, doc: f.doc, start: absBase + start, end: absBase + pos });
          break;
        }
        case 'ints': {
          const count = resolveLength(f.count, scope);
          const n = INT_SIZE[f.int];
          for (let i = 0; i < count; i++) {
            need(n, `${path}[${i}]`, `${f.name} ${i + 1} of ${count}`);
            const v = readInt(view, pos, f.int, little);
            spans.push({ path: `${path}[${i}]`, name: f.name, doc: f.doc, start: absBase + pos, end: absBase + pos + n, value: v });
            pos += n;
          }
          break;
        }
        case 'cstrings': {
          const count = resolveLength(f.count, scope);
          for (let i = 0; i < count; i++) {
            const s = pos;
            let nul = s;
            while (nul < limit && bytes[nul] !== 0) nul++;
            if (nul >= limit) {
              throw new DecodeError(
                { ...loc, offset: absBase + s, field: `${path}[${i}]` },
                `a NUL-terminated ${f.name} (${i + 1} of ${count})`,
                'the record ends first',
              );
            }
            pos = nul + 1;
            spans.push({ path: `${path}[${i}]`, name: f.name, doc: f.doc, start: absBase + s, end: absBase + pos });
          }
          break;
        }
        case 'array': {
          const count = resolveLength(f.count, scope);
          for (let i = 0; i < count; i++) walk(f.fields, {}, `${path}[${i}].`);
          break;
        }
        case 'align': {
          const n = (f.to - ((pos - bodyStart) % f.to)) % f.to;
          need(n, path, f.name);
          pos += n;
          if (n) spans.push({ path, name: f.name, doc: f.doc, start: absBase + start, end: absBase + pos });
          break;
        }
        case 'switch': {
          const tag = scope[f.on] as number;
          const c = f.cases[tag] ?? f.default;
          walk(c.fields, {}, `${path}.`);
          break;
        }
      }
    }
  };
  walk(layout.fields, {}, '');
  return { spans, end: pos };
}
