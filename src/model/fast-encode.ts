// Fast encoder: for every record layout in wire/layout.ts and each byte order it generates (once,
// with `new Function`) a specialised writer that goes straight from a model record to bytes.
// A first pass reads and checks every field of the record and adds up the body size; a second
// writes the envelope, the body and the padding into the writer's reused block in one go
// (BinaryWriter.reserve/commit). Padding is written as explicit zeros: the block is reused.
//
// It knows only how to succeed. Whenever a record is anything but plainly valid (a value out of
// range, a field of the wrong type, an explicit length field in the model, a `len` shorter than
// the body, padding of the wrong size...) it writes nothing and returns false, and encode.ts
// writes the record with the generic layout-driven path, which then produces the same bytes or
// the same EncodeError. test/fast-encode.test.ts checks both paths give identical bytes.

import { RecordType } from '../wire/constants.js';
import type { BinaryWriter } from '../wire/writer.js';
import { INT_SIZE, LAYOUTS, WATCH_DATA_EXTENDED_SHORT, type Field, type IntType, type LengthRef, type RecordLayout } from '../wire/layout.js';
import type { XsRecord } from './types.js';

/** Writes one whole record, or returns false having written nothing. */
type RecordEncoder = (rec: XsRecord, src: Record<string, unknown>, w: BinaryWriter) => boolean;

/** Model lists of quota pairs -> the layout's parallel lists (see wire-model.ts modelToWire). */
const QUOTA_LISTS: Partial<Record<string, { key: string; count: string }[]>> = {
  GLOBAL_QUOTA_DATA: [
    { key: 'domQuotas', count: 'nDomQuota' },
    { key: 'globQuotas', count: 'nGlobQuota' },
  ],
  DOMAIN_DATA: [{ key: 'quotas', count: 'nQuota' }],
};

class Gen {
  private n = 0;
  readonly vars: string[] = [];
  readonly check: string[] = [];
  readonly size: string[] = [];
  readonly write: string[] = [];
  constructor(readonly little: boolean) {}
  v(hint: string): string {
    const name = `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.n++}`;
    this.vars.push(name);
    return name;
  }
}

/** Per field: the locals that hold what the first pass found. */
interface Slot {
  value: string;
  /** Byte length (bytes, cstring, cstrings) or element count (ints, array). */
  count?: string;
  /** For cstring: whether it is written without its NUL. */
  unterminated?: string;
}
type Scope = Map<string, Slot>;

const FAIL = 'return false;';

/** True when `v` holds a value of the type (a number in range, no fraction; a bigint for u64). */
function intCheck(int: IntType, v: string): string {
  // (typeof first: bitwise operators throw on a bigint)
  switch (int) {
    case 'u8': return `typeof ${v} === 'number' && (${v} & 0xff) === ${v}`;
    case 'u16': return `typeof ${v} === 'number' && (${v} & 0xffff) === ${v}`;
    case 'u32': return `typeof ${v} === 'number' && (${v} >>> 0) === ${v}`;
    case 'i32': return `typeof ${v} === 'number' && (${v} | 0) === ${v}`;
    case 'u64': return `typeof ${v} === 'bigint' && ${v} >= 0n && ${v} <= 0xffffffffffffffffn`;
  }
}

function intWrite(g: Gen, int: IntType, v: string): string {
  const le = g.little ? 'true' : 'false';
  switch (int) {
    case 'u8': return `u8[p] = ${v};`;
    case 'u16': return `dv.setUint16(p, ${v}, ${le});`;
    case 'u32': return `dv.setUint32(p, ${v}, ${le});`;
    case 'i32': return `dv.setInt32(p, ${v}, ${le});`;
    case 'u64': return `dv.setBigUint64(p, ${v}, ${le});`;
  }
}

function refExpr(ref: LengthRef | number, scope: Scope): string {
  if (typeof ref === 'number') return String(ref);
  const keys = typeof ref === 'string' ? [ref] : ref;
  return `(${keys.map((k) => {
    const s = scope.get(k);
    if (s === undefined) throw new Error(`layout refers to ${k} before it is read`);
    return s.value;
  }).join(' + ')})`;
}

/** Which int field derives its value from which data field (sizeOf / countOf). */
function derivedBy(fields: readonly Field[]): Map<string, Extract<Field, { kind: 'int' }>> {
  const m = new Map<string, Extract<Field, { kind: 'int' }>>();
  for (const f of fields) if (f.kind === 'int' && (f.sizeOf ?? f.countOf)) m.set((f.sizeOf ?? f.countOf)!, f);
  return m;
}

/**
 * First pass over `fields` read from the object `src`: loads and checks each field, computes
 * lengths, and (in `g.size`) adds the body size up in order. Then the second pass (`g.write`).
 */
function genFields(g: Gen, fields: readonly Field[], src: string, scope: Scope, sz: string): void {
  const derived = derivedBy(fields);
  // 1. Data fields: their lengths give the size fields that precede them on the wire.
  for (const f of fields) {
    switch (f.kind) {
      case 'bytes': {
        const v = g.v(f.key);
        const n = g.v(`${f.key}Len`);
        g.check.push(`${v} = ${src}.${f.key}; if (!(${v} instanceof Uint8Array)) ${FAIL} ${n} = ${v}.length;`);
        scope.set(f.key, { value: v, count: n });
        break;
      }
      case 'cstring': {
        const v = g.v(f.key);
        const n = g.v(`${f.key}Len`);
        const t = g.v(`${f.key}Unterminated`);
        g.check.push(`${v} = ${src}.${f.key}; if (typeof ${v} !== 'string') ${FAIL}`);
        g.check.push(`${t} = unt != null && unt.includes(${JSON.stringify(f.key)}); ${n} = ${v}.length + (${t} ? 0 : 1);`);
        scope.set(f.key, { value: v, count: n, unterminated: t });
        break;
      }
      case 'ints': {
        const v = g.v(f.key);
        const n = g.v(`${f.key}Count`);
        g.check.push(`${v} = ${src}.${f.key}; if (!Array.isArray(${v})) ${FAIL} ${n} = ${v}.length;`);
        g.check.push(`for (let i = 0; i < ${n}; i++) { const x = ${v}[i]; if (!(${intCheck(f.int, 'x')})) ${FAIL} }`);
        scope.set(f.key, { value: v, count: n });
        break;
      }
      case 'cstrings': {
        const v = g.v(f.key);
        const n = g.v(`${f.key}Count`);
        const b = g.v(`${f.key}Bytes`);
        g.check.push(`${v} = ${src}.${f.key}; if (!Array.isArray(${v})) ${FAIL} ${n} = ${v}.length; ${b} = 0;`);
        // A name may not hold a NUL byte (a char whose low byte is 0 is written as one).
        g.check.push(`for (let i = 0; i < ${n}; i++) { const s = ${v}[i]; if (typeof s !== 'string') ${FAIL} for (let k = 0; k < s.length; k++) if ((s.charCodeAt(k) & 0xff) === 0) ${FAIL} ${b} += s.length + 1; }`);
        scope.set(f.key, { value: v, count: n, unterminated: b });
        break;
      }
      case 'array': {
        if (!f.fields.every((h) => h.kind === 'int' || h.kind === 'char')) throw new Error(`array ${f.key}: only fixed items`);
        const v = g.v(f.key);
        const n = g.v(`${f.key}Count`);
        g.check.push(`${v} = ${src}.${f.key}; if (!Array.isArray(${v})) ${FAIL} ${n} = ${v}.length;`);
        g.check.push(`for (let i = 0; i < ${n}; i++) { const it = ${v}[i]; if (it === null || typeof it !== 'object') ${FAIL}`);
        for (const h of f.fields) {
          if (h.kind === 'char') g.check.push(`  { const c = it.${h.key}; if (typeof c !== 'string' || c.length !== 1 || c.charCodeAt(0) > 0xff) ${FAIL} }`);
          else if (h.kind === 'int') {
            if (h.sizeOf || h.countOf) throw new Error(`array ${f.key}: derived field in an item`);
            g.check.push(`  { let x = it.${h.key}; ${h.reserved ? `if (x === undefined) x = ${h.int === 'u64' ? '0n' : '0'}; ` : ''}if (!(${intCheck(h.int, 'x')})) ${FAIL} }`);
          }
        }
        g.check.push(`}`);
        scope.set(f.key, { value: v, count: n });
        break;
      }
      default:
        break;
    }
  }
  // 2. Integer and char fields.
  for (const f of fields) {
    if (f.kind === 'int') {
      const v = g.v(f.key);
      const target = f.sizeOf ?? f.countOf;
      if (target !== undefined) {
        // Derived; a model that carries the field itself goes the generic way.
        const t = scope.get(target);
        if (!t || t.count === undefined) throw new Error(`${f.key} sizes ${target}, not a data field here`);
        g.check.push(`if (${src}.${f.key} !== undefined) ${FAIL} ${v} = ${t.count}; if (!(${intCheck(f.int, v)})) ${FAIL}`);
      } else if (f.reserved) {
        g.check.push(`${v} = ${src}.${f.key}; if (${v} === undefined) ${v} = ${f.int === 'u64' ? '0n' : '0'}; if (!(${intCheck(f.int, v)})) ${FAIL}`);
      } else {
        g.check.push(`${v} = ${src}.${f.key}; if (!(${intCheck(f.int, v)})) ${FAIL}`);
      }
      scope.set(f.key, { value: v });
    } else if (f.kind === 'char') {
      const v = g.v(f.key);
      g.check.push(`${v} = ${src}.${f.key}; if (typeof ${v} !== 'string' || ${v}.length !== 1 || ${v}.charCodeAt(0) > 0xff) ${FAIL}`);
      scope.set(f.key, { value: v });
    }
  }
  // 3. Lengths and counts given by other fields must match the data.
  for (const f of fields) {
    if (f.kind !== 'bytes' && f.kind !== 'cstring' && f.kind !== 'ints' && f.kind !== 'cstrings' && f.kind !== 'array') continue;
    const ref = f.kind === 'bytes' || f.kind === 'cstring' ? f.length : f.count;
    if (derived.has(f.key)) continue;
    const s = scope.get(f.key)!;
    g.check.push(`if (${s.count} !== ${refExpr(ref, scope)}) ${FAIL}`);
  }
  // 4. Size in wire order; groups are checked as they come.
  for (const f of fields) {
    switch (f.kind) {
      case 'int':
        g.size.push(`${sz} += ${INT_SIZE[f.int]};`);
        break;
      case 'char':
        g.size.push(`${sz} += 1;`);
        break;
      case 'bytes':
      case 'cstring':
        g.size.push(`${sz} += ${scope.get(f.key)!.count};`);
        break;
      case 'ints':
        g.size.push(`${sz} += ${scope.get(f.key)!.count} * ${INT_SIZE[f.int]};`);
        break;
      case 'cstrings':
        g.size.push(`${sz} += ${scope.get(f.key)!.unterminated};`);
        break;
      case 'array': {
        const item = f.fields.reduce((a, h) => a + (h.kind === 'int' ? INT_SIZE[h.int] : 1), 0);
        g.size.push(`${sz} += ${scope.get(f.key)!.count} * ${item};`);
        break;
      }
      case 'align': {
        const v = g.v(f.key);
        const n = g.v(`${f.key}Len`);
        g.check.push(`${v} = ${src}.${f.key}; if (${v} !== undefined && !(${v} instanceof Uint8Array)) ${FAIL}`);
        g.size.push(`${n} = (${f.to} - (${sz} % ${f.to})) % ${f.to}; ${sz} += ${n};`);
        g.size.push(`if (${v} !== undefined && ${v}.length !== ${n}) ${FAIL}`);
        scope.set(f.key, { value: v, count: n });
        break;
      }
      case 'optional': {
        const on = scope.get(f.when.key);
        if (!on) throw new Error(`optional group refers to ${f.when.key} before it is read`);
        const cond = `(${on.value} & ${f.when.mask}) !== 0`;
        // A value given for a field that is not written: the generic path refuses it.
        const keys = f.fields.map((h) => ('key' in h ? `${src}.${h.key} !== undefined` : 'false'));
        g.check.push(`if (!(${cond}) && (${keys.join(' || ')})) ${FAIL}`);
        g.check.push(`if (${cond}) {`);
        g.size.push(`if (${cond}) {`);
        g.write.push(`if (${cond}) {`);
        genFields(g, f.fields, src, scope, sz);
        g.check.push('}');
        g.size.push('}');
        g.write.push('}');
        continue; // its writes are already emitted
      }
      case 'switch': {
        const tag = scope.get(f.on);
        if (!tag) throw new Error(`switch refers to ${f.on} before it is read`);
        const nested = g.v(f.key);
        g.check.push(`${nested} = ${src}.${f.key}; if (${nested} === null || typeof ${nested} !== 'object') ${FAIL}`);
        const branches = [...Object.entries(f.cases).map(([value, c]) => ({ test: `${tag.value} === ${Number(value)}`, fields: c.fields })), { test: undefined, fields: f.default.fields }];
        branches.forEach((b, k) => {
          const open = b.test === undefined ? 'else {' : `${k === 0 ? '' : 'else '}if (${b.test}) {`;
          g.check.push(open);
          g.size.push(open);
          g.write.push(open);
          genFields(g, b.fields, nested, new Map(), sz);
          g.check.push('}');
          g.size.push('}');
          g.write.push('}');
        });
        continue;
      }
    }
    genWrite(g, f, scope);
  }
}

/** Second pass: the bytes of one field at `p`. */
function genWrite(g: Gen, f: Field, scope: Scope): void {
  const s = scope.get('key' in f ? f.key : '');
  switch (f.kind) {
    case 'int':
      g.write.push(`${intWrite(g, f.int, s!.value)} p += ${INT_SIZE[f.int]};`);
      break;
    case 'char':
      g.write.push(`u8[p] = ${s!.value}.charCodeAt(0); p += 1;`);
      break;
    case 'bytes':
      // (a loop beats TypedArray#set for a few bytes)
      g.write.push(`if (${s!.count} > 24) u8.set(${s!.value}, p); else for (let i = 0; i < ${s!.count}; i++) u8[p + i] = ${s!.value}[i];`);
      g.write.push(`p += ${s!.count};`);
      break;
    case 'cstring': {
      // Strings hold one char per byte; Uint8Array stores the low byte, as latin1 encoding does.
      const v = s!.value;
      // One byte per char: a char above U+00FF has no byte and is refused by the generic path
      // (checked here, while writing: nothing counts until commit). A loop beats the native
      // call for short strings.
      g.write.push(`if (${v}.length > 16) { if (WIDE.test(${v})) ${FAIL} bb.latin1Write(${v}, p, ${v}.length); }`);
      g.write.push(`else for (let i = 0; i < ${v}.length; i++) { const c = ${v}.charCodeAt(i); if (c > 0xff) ${FAIL} u8[p + i] = c; }`);
      g.write.push(`p += ${v}.length; if (!${s!.unterminated}) u8[p++] = 0;`);
      break;
    }
    case 'ints':
      g.write.push(`for (let i = 0; i < ${s!.count}; i++) { ${intWrite(g, f.int, `${s!.value}[i]`)} p += ${INT_SIZE[f.int]}; }`);
      break;
    case 'cstrings':
      g.write.push(`for (let i = 0; i < ${s!.count}; i++) { const x = ${s!.value}[i]; for (let k = 0; k < x.length; k++) { const c = x.charCodeAt(k); if (c > 0xff) ${FAIL} u8[p + k] = c; } p += x.length; u8[p++] = 0; }`);
      break;
    case 'array': {
      g.write.push(`for (let i = 0; i < ${s!.count}; i++) { const it = ${s!.value}[i];`);
      for (const h of f.fields) {
        if (h.kind === 'char') g.write.push(`  u8[p] = it.${h.key}.charCodeAt(0); p += 1;`);
        else if (h.kind === 'int') g.write.push(`  { const x = it.${h.key}${h.reserved ? ` ?? ${h.int === 'u64' ? '0n' : '0'}` : ''}; ${intWrite(g, h.int, 'x')} p += ${INT_SIZE[h.int]}; }`);
      }
      g.write.push('}');
      break;
    }
    case 'align':
      // Given padding is kept when it has the right size, else zeros (as encode-body.ts does).
      g.write.push(`if (${s!.value} !== undefined) u8.set(${s!.value}, p); else for (let i = 0; i < ${s!.count}; i++) u8[p + i] = 0;`);
      g.write.push(`p += ${s!.count};`);
      break;
    default:
      break;
  }
}

/** Source of the record encoder for `layout` (exported for inspection). */
export function recordEncoderSource(layout: RecordLayout, little: boolean): string {
  const g = new Gen(little);
  const le = little ? 'true' : 'false';
  const defect = layout.type === 'WATCH_DATA_EXTENDED_SHORT';
  const type = defect ? 'WATCH_DATA_EXTENDED' : layout.type;
  const typeCode = RecordType[type as keyof typeof RecordType];
  const sz = g.v('size');
  genFields(g, layout.fields, 'src', new Map(), sz);
  return [
    `// ${layout.type}, ${little ? 'little' : 'big'}-endian (generated from wire/layout.ts)`,
    `var ${g.vars.join(', ')};`,
    `const unt = rec.unterminated; if (unt != null && !Array.isArray(unt)) ${FAIL}`,
    ...g.check,
    `${sz} = 0;`,
    ...g.size,
    // Envelope: the declared len (or the canonical one), the padding after the body.
    defect
      ? `const canon = Math.ceil((${sz} + 4) / 8) * 8;` // what the defective writer declares
      : `const canon = Math.ceil(${sz} / 8) * 8;`,
    `const len = rec.len === undefined ? canon : rec.len; if (typeof len !== 'number' || (len >>> 0) !== len${defect ? '' : ` || len < ${sz}`}) ${FAIL}`,
    `const end = Math.ceil(${defect ? sz : 'len'} / 8) * 8;`,
    `if (end - ${sz} > 65536) ${FAIL} // a huge declared len: let the generic path deal with it`,
    `const padding = rec.padding; if (padding && (!(padding instanceof Uint8Array) || padding.length !== end - ${sz})) ${FAIL}`,
    `const at = w.reserve(8 + end); const u8 = w.block, dv = w.dataView, bb = w.blockBuffer; let p = at + 8;`,
    `dv.setUint32(at, ${typeCode}, ${le}); dv.setUint32(at + 4, len, ${le});`,
    ...g.write,
    `if (padding) u8.set(padding, p); else for (let i = p; i < at + 8 + end; i++) u8[i] = 0;`,
    `w.commit(8 + end);`,
    `return true;`,
  ].join('\n');
}

/** A char that has no byte (above U+00FF). */
const WIDE = /[^\u0000-\u00ff]/;

function compile(layout: RecordLayout, little: boolean): RecordEncoder | undefined {
  let src: string;
  try {
    src = recordEncoderSource(layout, little);
  } catch {
    // A layout shape the generator does not handle: such records take the generic path.
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('WIDE', `return function encode_${layout.type}(rec, src, w) {\n${src}\n};`)(WIDE) as RecordEncoder;
}

const NO_ENCODER: RecordEncoder = () => false;

/** Encoders by layout name, per byte order; each compiled on first use (a stub stands in). */
function table(little: boolean): Map<string, RecordEncoder> {
  const m = new Map<string, RecordEncoder>();
  const layouts: RecordLayout[] = [...Object.keys(RecordType).map((n) => LAYOUTS[n as keyof typeof RecordType]), WATCH_DATA_EXTENDED_SHORT];
  for (const layout of layouts) {
    m.set(layout.type, (rec, src, w) => {
      const real = compile(layout, little) ?? NO_ENCODER;
      m.set(layout.type, real);
      return real(rec, src, w);
    });
  }
  return m;
}
const ENCODERS_LE = table(true);
const ENCODERS_BE = table(false);

/** The layout-keyed view of a quota record's model (as modelToWire makes it). */
function quotaSource(rec: XsRecord): Record<string, unknown> | undefined {
  const lists = QUOTA_LISTS[rec.type];
  if (!lists) return undefined;
  const m = rec as unknown as Record<string, unknown>;
  const src: Record<string, unknown> = {};
  const vals: unknown[] = [];
  const names: unknown[] = [];
  for (const l of lists) {
    const q = m[l.key];
    if (!Array.isArray(q)) return undefined;
    src[l.count] = q.length;
    for (const x of q) {
      if (x === null || typeof x !== 'object') return undefined;
      vals.push((x as Record<string, unknown>).value);
      names.push((x as Record<string, unknown>).name);
    }
  }
  src.quotaVal = vals;
  src.quotaNames = names;
  if (rec.type === 'DOMAIN_DATA') {
    src.domainId = rec.domainId;
    src.features = rec.features;
  }
  return src;
}

/**
 * Appends record `r` (envelope, body, padding) to `w` in `w`'s byte order with the generated
 * encoder. Returns false, having written nothing, when the record needs the generic path.
 */
export function writeRecordFast(w: BinaryWriter, r: XsRecord): boolean {
  const t = r.type;
  // Nodes are nearly all of a large stream: straight to their encoder.
  if (t === 'NODE_DATA') return (w.little ? ENCODERS_LE : ENCODERS_BE).get('NODE_DATA')!(r, r as unknown as Record<string, unknown>, w);
  if (t === 'UNKNOWN') return writeUnknown(w, r);
  const key = t === 'WATCH_DATA_EXTENDED' && r.producerDefect ? 'WATCH_DATA_EXTENDED_SHORT' : t;
  const enc = (w.little ? ENCODERS_LE : ENCODERS_BE).get(key);
  if (enc === undefined) return false;
  let src = r as unknown as Record<string, unknown>;
  if (t === 'GLOBAL_QUOTA_DATA' || t === 'DOMAIN_DATA') {
    const q = quotaSource(r);
    if (q === undefined) return false;
    src = q;
  }
  return enc(r, src, w);
}

function writeUnknown(w: BinaryWriter, r: Extract<XsRecord, { type: 'UNKNOWN' }>): boolean {
  const body = r.body;
  const code = r.typeCode;
  if (!(body instanceof Uint8Array) || typeof code !== 'number' || (code >>> 0) !== code) return false;
  const len = r.len === undefined ? body.length : r.len;
  if (typeof len !== 'number' || (len >>> 0) !== len || len < body.length) return false;
  const end = Math.ceil(len / 8) * 8;
  if (end - body.length > 65536) return false;
  const padding = r.padding;
  if (padding && (!(padding instanceof Uint8Array) || padding.length !== end - body.length)) return false;
  const at = w.reserve(8 + end);
  const u8 = w.block;
  const dv = w.dataView;
  dv.setUint32(at, code, w.little);
  dv.setUint32(at + 4, len, w.little);
  u8.set(body, at + 8);
  if (padding) u8.set(padding, at + 8 + body.length);
  else u8.fill(0, at + 8 + body.length, at + 8 + end);
  w.commit(8 + end);
  return true;
}
