// "Do these two records say the same, each in its own byte order?", answered from their bytes.
// For each simple layout of wire/layout.ts (fixed integers, chars, byte and NUL-terminated
// string fields, integer and string lists, arrays of fixed items, alignment, optional groups
// and switches: every layout)
// it generates (once, with `new Function`, as the fast decoder is made) a function that walks
// both bodies field by field, reading each integer in its record's byte order, and compares
// them: no string, view or object is made. Used by convert's verify stage to compare the
// written file with the input read again, without decoding either record (decoding the written
// nodes to compare them cost about a third of the verify).
//
// It reads; it does not share code with the byte swapper that wrote the file (wire/byte-swap.ts),
// so a field the writer got wrong is a field this finds different.
//
// Only "yes" is an answer: records that differ, or that the fast decoder would decode with
// extras (declared len, padding, a string without its NUL, the 4.22 short header), or of a
// layout without a comparer, give -1, and the caller decodes them (then compares the models and
// reports what differs). So a yes means: the fast decoder gives the same model for both, each
// read in its own byte order (test/same-bytes.test.ts holds the two to each other). One more
// "no": pending data (wire messages) that is not empty, in records of two byte orders, since
// the diff compares it as messages, each read in its record's order.

import { RECORD_HEADER_SIZE, RecordType, roundUp8 } from '../wire/constants.js';
import { INT_SIZE, LAYOUTS, type Field, type RecordLayout } from '../wire/layout.js';
import { shortHeaderBodySize } from './decode.js';


/** Whether a layout has only the field kinds the generator knows (every kind the layouts use). */
function simple(fields: readonly Field[]): boolean {
  return fields.every((f): boolean => {
    switch (f.kind) {
      case 'int':
      case 'char':
      case 'bytes':
      case 'cstring':
      case 'cstrings':
      case 'align':
        return true;
      case 'ints':
        return f.int !== 'u64';
      case 'array':
        return f.fields.every((h) => (h.kind === 'int' && h.int !== 'u64') || h.kind === 'char');
      case 'optional':
        return simple(f.fields);
      case 'switch':
        return Object.values(f.cases).every((c) => simple(c.fields)) && simple(f.default.fields);
      default:
        return false;
    }
  });
}

function readInt(int: string, buf: string, view: string, at: string, le: string): string {
  switch (int) {
    case 'u8': return `${buf}[${at}]`;
    case 'u16': return `${view}.getUint16(${at}, ${le})`;
    case 'u32': return `${view}.getUint32(${at}, ${le})`;
    default: return `${view}.getInt32(${at}, ${le})`;
  }
}

/** Emits the comparison of `fields` at a[pa] and b[pb]; advances both. `la`/`lb`: a's and b's order. */
function genFields(lines: string[], fields: readonly Field[], la: string, lb: string, vars: Map<string, string>, uid: { n: number }, checked = false): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.kind === 'int' || f.kind === 'char') {
      let j = i;
      let size = 0;
      while (j < fields.length && (fields[j]!.kind === 'int' || fields[j]!.kind === 'char')) {
        const h = fields[j++]!;
        size += h.kind === 'int' ? INT_SIZE[h.int] : 1;
      }
      if (!checked) lines.push(`if (pa + ${size} > ea || pb + ${size} > eb) return -1;`);
      let at = 0;
      for (let k = i; k < j; k++) {
        const h = fields[k]!;
        const off = at ? ` + ${at}` : '';
        if (h.kind === 'int' && h.int === 'u64') {
          // (Never a length: compared as its low and high words, each read in its order.)
          const lo = (little: string): number => at + (little === 'true' ? 0 : 4);
          const hi = (little: string): number => at + (little === 'true' ? 4 : 0);
          lines.push(`if (av.getUint32(pa + ${lo(la)}, ${la}) !== bv.getUint32(pb + ${lo(lb)}, ${lb}) || av.getUint32(pa + ${hi(la)}, ${la}) !== bv.getUint32(pb + ${hi(lb)}, ${lb})) return -1;`);
          at += 8;
        } else if (h.kind === 'int') {
          const v = `v${uid.n++}`;
          lines.push(`const ${v} = ${readInt(h.int, 'a', 'av', `pa${off}`, la)}; if (${v} !== ${readInt(h.int, 'b', 'bv', `pb${off}`, lb)}) return -1;`);
          vars.set(h.key, v);
          at += INT_SIZE[h.int];
        } else {
          lines.push(`if (a[pa${off}] !== b[pb${off}]) return -1;`);
          at += 1;
        }
      }
      lines.push(`pa += ${size}; pb += ${size};`);
      i = j - 1;
      continue;
    }
    const lenOf = (ref: unknown): string => {
      if (typeof ref === 'number') return String(ref);
      const keys = typeof ref === 'string' ? [ref] : (ref as string[]);
      return `(${keys.map((k) => {
        if (!vars.has(k)) throw new Error(`same-bytes: length ${k} not read before ${f.name}`);
        return vars.get(k)!;
      }).join(' + ')})`;
    };
    switch (f.kind) {
      case 'bytes':
      case 'cstring': {
        const n = lenOf(f.length);
        lines.push(`if (pa + ${n} > ea || pb + ${n} > eb) return -1;`);
        genStringGuards(lines, f, n, 'pa', la, lb);
        // (Bytes are the same in either order: compared four at a time, then the rest.)
        lines.push(`{ let k = 0; for (; k + 4 <= ${n}; k += 4) if (av.getUint32(pa + k) !== bv.getUint32(pb + k)) return -1;`);
        lines.push(`  for (; k < ${n}; k++) if (a[pa + k] !== b[pb + k]) return -1; }`);
        lines.push(`pa += ${n}; pb += ${n};`);
        break;
      }
      case 'ints': {
        const n = lenOf(f.count);
        const size = INT_SIZE[f.int];
        lines.push(`if (pa + ${n} * ${size} > ea || pb + ${n} * ${size} > eb) return -1;`);
        lines.push(`for (let i = 0; i < ${n}; i++, pa += ${size}, pb += ${size}) if (${readInt(f.int, 'a', 'av', 'pa', la)} !== ${readInt(f.int, 'b', 'bv', 'pb', lb)}) return -1;`);
        break;
      }
      case 'cstrings': {
        // (Each NUL-terminated; one without its NUL before the end: decoded with extras.)
        const n = lenOf(f.count);
        lines.push(`for (let i = 0; i < ${n}; i++) {`);
        lines.push(`  for (;;) { if (pa >= ea || pb >= eb) return -1; const c = a[pa++]; if (c !== b[pb++]) return -1; if (c === 0) break; }`);
        lines.push(`}`);
        break;
      }
      case 'align': {
        // (Zero in both: the decoder keeps padding that is not as a field.)
        lines.push(`{ const n = (${f.to} - ((pa - a0) % ${f.to})) % ${f.to}; if (pa + n > ea || pb + n > eb) return -1;`);
        lines.push(`  for (let k = 0; k < n; k++) if (a[pa + k] !== 0 || b[pb + k] !== 0) return -1; pa += n; pb += n; }`);
        break;
      }
      case 'optional': {
        const on = vars.get(f.when.key);
        if (on === undefined) throw new Error(`same-bytes: ${f.name} depends on ${f.when.key}, not read before it`);
        lines.push(`if ((${on} & ${f.when.mask}) !== 0) {`);
        genFields(lines, f.fields, la, lb, vars, uid);
        lines.push(`}`);
        break;
      }
      case 'switch': {
        const tag = vars.get(f.on);
        if (tag === undefined) throw new Error(`same-bytes: ${f.name} switches on ${f.on}, not read before it`);
        Object.entries(f.cases).forEach(([value, c], k) => {
          lines.push(`${k === 0 ? '' : 'else '}if (${tag} === ${Number(value)}) {`);
          genFields(lines, c.fields, la, lb, new Map(), uid);
          lines.push(`}`);
        });
        lines.push(`else {`);
        genFields(lines, f.default.fields, la, lb, new Map(), uid);
        lines.push(`}`);
        break;
      }
      case 'array': {
        const n = lenOf(f.count);
        const size = f.fields.reduce((s, h) => s + (h.kind === 'int' ? INT_SIZE[h.int] : 1), 0);
        lines.push(`if (pa + ${n} * ${size} > ea || pb + ${n} * ${size} > eb) return -1;`);
        lines.push(`for (let i = 0; i < ${n}; i++) {`);
        genFields(lines, f.fields, la, lb, new Map(), uid, true);
        lines.push(`}`);
        break;
      }
      default:
        throw new Error(`same-bytes: no comparer for field kind ${(f as Field).kind}`);
    }
  }
}

/**
 * Emits what a byte or string field of `n` bytes at a[`at`] must be for a yes, beyond its
 * bytes: a string ends with its NUL, and wire messages in two byte orders are absent.
 */
function genStringGuards(lines: string[], f: Field, n: string, at: string, la: string, lb: string): void {
  // (Wire messages in two byte orders: compared as messages, by the caller.)
  if (f.kind === 'bytes' && f.wireMessages && la !== lb) lines.push(`if (${n} !== 0) return -1;`);
  // (Terminated: a string without its NUL would decode with `unterminated`.)
  if (f.kind === 'cstring') lines.push(`if (${n} === 0 || a[${at} + ${n} - 1] !== 0) return -1;`);
}

/**
 * Emits the comparison of a layout's last fields when they are all byte and NUL-terminated
 * string fields (the path and value of a node, the path and token of a watch): their NULs are
 * checked, then all that is left of the body, padding included, is compared as one run of
 * bytes, four at a time (a canonical record's padding lies inside its len). Leaves `pa` at a's
 * body end. Returns false (emitting nothing) for any other tail.
 */
function genTail(lines: string[], fields: readonly Field[], la: string, lb: string, vars: Map<string, string>): boolean {
  if (fields.length === 0) return false;
  const lens: string[] = [];
  for (const f of fields) {
    if (f.kind !== 'bytes' && f.kind !== 'cstring') return false;
    const ref = f.length;
    if (typeof ref === 'number') lens.push(String(ref));
    else if (typeof ref === 'string' && vars.has(ref)) lens.push(vars.get(ref)!);
    else return false;
  }
  lines.push(`{ const tn = ${lens.join(' + ')}; if (pa + tn > ea) return -1;`);
  let at = 'pa';
  fields.forEach((f, i) => {
    const n = lens[i]!;
    genStringGuards(lines, f, n, at, la, lb);
    at = `${at} + ${n}`;
  });
  lines.push(`  const m = ea - pa; if (eb - pb !== m) return -1;`);
  lines.push(`  let k = 0; for (; k + 4 <= m; k += 4) if (av.getInt32(pa + k, true) !== bv.getInt32(pb + k, true)) return -1;`);
  lines.push(`  for (; k < m; k++) if (a[pa + k] !== b[pb + k]) return -1;`);
  lines.push(`  pa += tn; }`);
  return true;
}

/** Emits the comparison of `layout`'s body at a[pa, ea) and b[pb, eb); leaves `pa` at a's body end. */
function genBody(lines: string[], layout: RecordLayout, la: string, lb: string): void {
  const fields = layout.fields;
  // The longest tail of byte and string fields, compared in one run.
  let t = fields.length;
  while (t > 0 && (fields[t - 1]!.kind === 'bytes' || fields[t - 1]!.kind === 'cstring')) t--;
  const vars = new Map<string, string>();
  genFields(lines, fields.slice(0, t), la, lb, vars, { n: 0 });
  if (t < fields.length && !genTail(lines, fields.slice(t), la, lb, vars)) genFields(lines, fields.slice(t), la, lb, vars, { n: 1000 });
}

/** Compares the bodies at a[pa, ea) and b[pb, eb) (the same len); returns a's body end, or -1. */
type BodyComparer = (a: Uint8Array, av: DataView, pa: number, ea: number, b: Uint8Array, bv: DataView, pb: number, eb: number) => number;

/** The source of the body comparer for `layout`, a in order `aLittle`, b in order `bLittle` (exported for inspection). */
export function bodyBytesComparerSource(layout: RecordLayout, aLittle: boolean, bLittle: boolean): string {
  const lines: string[] = [`// ${layout.type}, a ${aLittle ? 'little' : 'big'}-endian, b ${bLittle ? 'little' : 'big'}-endian (generated from wire/layout.ts)`];
  lines.push('const a0 = pa;');
  genBody(lines, layout, String(aLittle), String(bLittle));
  lines.push('return pa;');
  return lines.join('\n');
}

function compile(layout: RecordLayout, aLittle: boolean, bLittle: boolean): BodyComparer {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`return function same_bytes_${layout.type}(a, av, pa, ea, b, bv, pb, eb) {\n${bodyBytesComparerSource(layout, aLittle, bLittle)}\n};`)() as BodyComparer;
}

/**
 * Comparers by type code, for each pair of orders [a little][b little], compiled on first use.
 * (A function a layout, called through this table: each is optimised on its own, and a type
 * first met late in a stream, as streams are ordered by type, sends no larger function back to
 * be compiled again.)
 */
const TABLES: (BodyComparer | undefined)[][] = [0, 1, 2, 3].map((k) => {
  const aLittle = (k & 2) !== 0;
  const bLittle = (k & 1) !== 0;
  const t: (BodyComparer | undefined)[] = [];
  for (const [name, code] of Object.entries(RecordType)) {
    const layout = LAYOUTS[name as keyof typeof RecordType];
    if (!simple(layout.fields)) continue;
    t[code] = (...args) => (t[code] = compile(layout, aLittle, bLittle))(...args);
  }
  return t;
});

/** Whether the record at buf[offset, end) is framed canonically: len is its body rounded up, padding zero. */
function canonicalFrame(buf: Uint8Array, offset: number, len: number, bodyEnd: number): boolean {
  const bodyStart = offset + RECORD_HEADER_SIZE;
  if (len !== roundUp8(bodyEnd - bodyStart)) return false;
  for (let i = bodyEnd; i < bodyStart + len; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * The size on the wire of the record at a[aOffset, aEnd) (order `aLittle`) when the record at
 * b[bOffset, bEnd) (order `bLittle`) has the same type, the same size and the same fields, and
 * the fast decoder would decode both without extras; -1 otherwise, or when this cannot tell
 * (decode them and compare).
 */
export function sameBytesAt(
  a: Uint8Array, av: DataView, aOffset: number, aEnd: number, aLittle: boolean,
  b: Uint8Array, bv: DataView, bOffset: number, bEnd: number, bLittle: boolean,
): number {
  if (aOffset + RECORD_HEADER_SIZE > aEnd || bOffset + RECORD_HEADER_SIZE > bEnd) return -1;
  const typeCode = av.getUint32(aOffset, aLittle);
  if (bv.getUint32(bOffset, bLittle) !== typeCode) return -1;
  const same = TABLES[(aLittle ? 2 : 0) | (bLittle ? 1 : 0)]![typeCode];
  if (same === undefined) return -1;
  const len = av.getUint32(aOffset + 4, aLittle);
  if (bv.getUint32(bOffset + 4, bLittle) !== len) return -1;
  const aBody = aOffset + RECORD_HEADER_SIZE;
  const bBody = bOffset + RECORD_HEADER_SIZE;
  const wire = RECORD_HEADER_SIZE + roundUp8(len);
  if (aOffset + wire > aEnd || bOffset + wire > bEnd) return -1;
  // (The fast decoder takes a WATCH_DATA_EXTENDED with the 4.22 signature as a short header.)
  if (typeCode === RecordType.WATCH_DATA_EXTENDED &&
    (shortHeaderBodySize(a.subarray(aBody, aBody + len), len, aLittle) !== undefined || shortHeaderBodySize(b.subarray(bBody, bBody + len), len, bLittle) !== undefined)) return -1;
  const aBodyEnd = same(a, av, aBody, aBody + len, b, bv, bBody, bBody + len);
  if (aBodyEnd < 0) return -1;
  if (!canonicalFrame(a, aOffset, len, aBodyEnd) || !canonicalFrame(b, bOffset, len, bBody + (aBodyEnd - aBody))) return -1;
  return wire;
}
