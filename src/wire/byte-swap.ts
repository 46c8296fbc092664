// Byte-order swap of record bodies, generated from the layouts (layout.ts), with no model in
// between: a byte-order conversion changes no length, string or padding, only the byte order
// of each integer field. For each layout a specialised function (built once with `new
// Function`, as the fast decoder is) walks a body that has already been copied to its place in
// the output, reads each length, count and switch tag in the source byte order, and reverses
// the bytes of every integer field in place. Strings, byte fields, alignment and padding are
// left as copied. There is no second table of offsets: the walk follows the declarations.
//
// The bounds are those of the fast decoder (model/fast-decode.ts): a field that would run past
// `limit` (the body's declared `len`), or a NUL-terminated list without its NUL, makes the
// function give up (-1) so that the caller hands the record to the decoder, which reports the
// fault or decodes what the generated code would not. What was swapped before giving up is
// overwritten by the caller. test/transcode.test.ts holds the output equal to the encoder's.

import { CodeGen, lengthExpr, type Scope } from './codegen.js';
import { RecordType } from './constants.js';
import { INT_SIZE, LAYOUTS, WATCH_DATA_EXTENDED_SHORT, type Field, type IntType, type LengthRef, type RecordLayout } from './layout.js';

/**
 * Swaps, in place, the integers of the body at `buf[p, ...)` whose bytes are in the source
 * order (`little`: the source is little-endian). `view` covers `buf` from its first byte;
 * `limit` is the end of the body per its `len`. Returns where the body ends, or -1 when it does
 * not fit its layout within `limit`.
 */
export type BodySwapper = (buf: Uint8Array, view: DataView, p: number, limit: number) => number;

class Gen extends CodeGen {
  /** `check`: only read what later fields need and check the bounds (same byte order: nothing to swap). */
  constructor(readonly little: boolean, readonly check = false) {
    super();
  }
}


/** Reads the int at `at` (source order) into `v` (when given), then writes it back swapped. */
function swapIntCode(g: Gen, int: IntType, at: string, v: string | undefined): void {
  const le = g.little ? 'true' : 'false';
  const be = g.little ? 'false' : 'true';
  if (g.check) {
    if (v) g.emit(`${v} = ${int === 'u8' ? `buf[${at}]` : `view.get${int === 'u16' ? 'Uint16' : int === 'u32' ? 'Uint32' : 'Int32'}(${at}, ${le})`};`);
    return;
  }
  switch (int) {
    case 'u8':
      if (v) g.emit(`${v} = buf[${at}];`);
      return;
    case 'u16':
      if (v) g.emit(`${v} = view.getUint16(${at}, ${le}); view.setUint16(${at}, ${v}, ${be});`);
      else g.emit(`view.setUint16(${at}, view.getUint16(${at}, ${le}), ${be});`);
      return;
    case 'u32':
      if (v) g.emit(`${v} = view.getUint32(${at}, ${le}); view.setUint32(${at}, ${v}, ${be});`);
      else g.emit(`view.setUint32(${at}, view.getUint32(${at}, ${le}), ${be});`);
      return;
    case 'i32':
      if (v) g.emit(`${v} = view.getInt32(${at}, ${le}); view.setInt32(${at}, ${v}, ${be});`);
      else g.emit(`view.setInt32(${at}, view.getInt32(${at}, ${le}), ${be});`);
      return;
    case 'u64':
      // (No length or count is a u64: byte reversal, no BigInt.)
      if (v) throw new Error('a u64 used as a length, count or tag');
      g.emit(`{ const a = ${at}; for (let i = 0; i < 4; i++) { const t = buf[a + i]; buf[a + i] = buf[a + 7 - i]; buf[a + 7 - i] = t; } }`);
      return;
  }
}

type FixedField = Extract<Field, { kind: 'int' | 'char' }>;
function isFixed(f: Field | undefined): f is FixedField {
  return f !== undefined && (f.kind === 'int' || f.kind === 'char');
}
function fixedSize(f: Field): number {
  return f.kind === 'int' ? INT_SIZE[f.int] : 1;
}

/** Which keys a later field refers to (lengths, counts, switch tags, optional conditions). */
function referenced(fields: readonly Field[], out = new Set<string>()): Set<string> {
  const add = (r: LengthRef | number): void => {
    if (typeof r === 'string') out.add(r);
    else if (typeof r !== 'number') for (const k of r) out.add(k);
  };
  for (const f of fields) {
    switch (f.kind) {
      case 'bytes': add(f.length); break;
      case 'cstring': add(f.length); break;
      case 'cstrings': add(f.count); break;
      case 'ints': add(f.count); break;
      case 'array': add(f.count); referenced(f.fields, out); break;
      case 'optional': out.add(f.when.key); referenced(f.fields, out); break;
      case 'switch': out.add(f.on); for (const c of Object.values(f.cases)) referenced(c.fields, out); referenced(f.default.fields, out); break;
      default: break;
    }
  }
  return out;
}

function genFields(g: Gen, fields: readonly Field[], scope: Scope, refs: Set<string>, bodyStart: string, checked = false): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (isFixed(f)) {
      // A run of fixed-size fields: one bound check, as the decoder makes.
      let j = i;
      let size = 0;
      while (isFixed(fields[j])) size += fixedSize(fields[j++]!);
      if (!checked) g.emit(`if (p + ${size} > limit) return -1;`);
      let at = 0;
      for (let k = i; k < j; k++) {
        const h = fields[k] as FixedField;
        const where = at ? `p + ${at}` : 'p';
        if (h.kind === 'int') {
          const v = refs.has(h.key) ? g.v(h.key) : undefined;
          if (v) scope.set(h.key, v);
          swapIntCode(g, h.int, where, v);
        }
        at += fixedSize(h);
      }
      g.emit(`p += ${size};`);
      i = j - 1;
      continue;
    }
    switch (f.kind) {
      case 'bytes':
      case 'cstring': {
        const n = g.v(`${f.key}Len`);
        g.emit(`${n} = ${lengthExpr(f.length, scope)};`);
        g.emit(`if (p + ${n} > limit) return -1;`);
        g.emit(`p += ${n};`);
        break;
      }
      case 'ints': {
        const n = g.v(`${f.key}Count`);
        const size = INT_SIZE[f.int];
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        g.emit(`if (p + ${n} * ${size} > limit) return -1;`);
        if (g.check) {
          g.emit(`p += ${n} * ${size};`);
          break;
        }
        g.emit(`for (let i = 0; i < ${n}; i++) {`);
        swapIntCode(g, f.int, 'p', undefined);
        g.emit(`p += ${size}; }`);
        break;
      }
      case 'cstrings': {
        const n = g.v(`${f.key}Count`);
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        g.emit(`for (let i = 0; i < ${n}; i++) {`);
        g.emit(`  let z = p; while (z < limit && buf[z] !== 0) z++;`);
        g.emit(`  if (z >= limit) return -1;`);
        g.emit(`  p = z + 1;`);
        g.emit(`}`);
        break;
      }
      case 'array': {
        const n = g.v(`${f.key}Count`);
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        const fixed = f.fields.every(isFixed);
        if (fixed) {
          const size = f.fields.reduce((a, h) => a + fixedSize(h), 0);
          g.emit(`if (p + ${n} * ${size} > limit) return -1;`);
          // Items without an integer wider than a byte need no work: skip them whole.
          if (g.check || !f.fields.some((h) => h.kind === 'int' && INT_SIZE[h.int] > 1)) {
            g.emit(`p += ${n} * ${size};`);
            break;
          }
        }
        g.emit(`for (let i = 0; i < ${n}; i++) {`);
        genFields(g, f.fields, new Map(), referenced(f.fields), bodyStart, fixed);
        g.emit(`}`);
        break;
      }
      case 'align': {
        const n = g.v(`${f.key}Len`);
        g.emit(`${n} = (${f.to} - ((p - ${bodyStart}) % ${f.to})) % ${f.to};`);
        g.emit(`if (p + ${n} > limit) return -1;`);
        g.emit(`p += ${n};`);
        break;
      }
      case 'optional': {
        const on = scope.get(f.when.key);
        if (on === undefined) throw new Error(`optional group refers to ${f.when.key} before it is read`);
        g.emit(`if ((${on} & ${f.when.mask}) !== 0) {`);
        genFields(g, f.fields, scope, refs, bodyStart);
        g.emit(`}`);
        break;
      }
      case 'switch': {
        const tag = scope.get(f.on);
        if (tag === undefined) throw new Error(`switch refers to ${f.on} before it is read`);
        Object.entries(f.cases).forEach(([value, c], k) => {
          g.emit(`${k === 0 ? '' : 'else '}if (${tag} === ${Number(value)}) {`);
          genFields(g, c.fields, new Map(), referenced(c.fields), bodyStart);
          g.emit(`}`);
        });
        g.emit(`else {`);
        genFields(g, f.default.fields, new Map(), referenced(f.default.fields), bodyStart);
        g.emit(`}`);
        break;
      }
      default:
        throw new Error(`no byte swap for field kind ${(f as Field).kind}`);
    }
  }
}

/**
 * The source of a body swapper for `layout`, from the byte order `little`; with `check`, of a
 * function that only checks that the body fits (exported for inspection).
 */
export function bodySwapperSource(layout: RecordLayout, little: boolean, check = false): string {
  const g = new Gen(little, check);
  const start = g.v('bodyStart');
  g.emit(`${start} = p;`);
  genFields(g, layout.fields, new Map(), referenced(layout.fields), start);
  g.emit('return p;');
  return [
    `// ${layout.type}, ${check ? 'bounds only' : 'swapped'}, ${little ? 'little' : 'big'}-endian source (generated from wire/layout.ts)`,
    `var ${g.vars.join(', ')};`,
    ...g.lines,
  ].join('\n');
}

function compile(layout: RecordLayout, little: boolean, check: boolean): BodySwapper {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(`return function ${check ? 'check' : 'swap'}_${layout.type}(buf, view, p, limit) {\n${bodySwapperSource(layout, little, check)}\n};`);
  return make() as BodySwapper;
}

/** Swappers by type code (undefined: not a known type), compiled on first use. */
function swapperTable(little: boolean, check: boolean): (BodySwapper | undefined)[] {
  const t: (BodySwapper | undefined)[] = [];
  for (const [name, code] of Object.entries(RecordType)) {
    t[code] = (buf, view, p, limit) => (t[code] = compile(LAYOUTS[name as keyof typeof RecordType], little, check))(buf, view, p, limit);
  }
  return t;
}
/** [from little, from big, check little, check big] */
const TABLES = [swapperTable(true, false), swapperTable(false, false), swapperTable(true, true), swapperTable(false, true)];
const SHORT: (BodySwapper | undefined)[] = [];
const slot = (little: boolean, check: boolean): number => (little ? 0 : 1) + (check ? 2 : 0);

/**
 * The body swapper of record type `typeCode` from byte order `little` (with `check`: the bounds
 * check alone, for a copy in the same byte order); undefined for an unknown type.
 */
export function bodySwapper(typeCode: number, little: boolean, check = false): BodySwapper | undefined {
  return TABLES[slot(little, check)]![typeCode];
}

/** The same for the Xen 4.22 short-header WATCH_DATA_EXTENDED (wpath at +8). */
export function shortHeaderSwapper(little: boolean, check = false): BodySwapper {
  const i = slot(little, check);
  return (SHORT[i] ??= compile(WATCH_DATA_EXTENDED_SHORT, little, check));
}
