// Fast decode path for bulk work. For every record layout in wire/layout.ts and each byte order
// it generates (once, with `new Function`) a specialised JavaScript decoder: straight-line
// DataView reads at offsets that follow from the declarations, latin1 slices for strings,
// Uint8Array views for bytes, and one object literal per record with the key order of
// wireToModel. There is no second table of offsets: change a layout and both decoders follow.
//
// The generated code only knows how to succeed. When anything does not fit (a length that runs
// past `len`, a missing NUL, a record cut by the end of the input) it gives up on that record
// and the binary-parser path (decodeRecordAt) decodes it again, which throws the exact
// DecodeError (offset, record index, type, field) or, should it succeed, returns its record.
// test/fast-decode.test.ts checks that both paths agree on captures, fixtures and generated
// streams, failures included.
//
// Byte fields are plain Uint8Array views of the input (the model's type), not Buffers: making
// a Buffer view costs two to three times as much per record. (decodeStreamDetailed, the
// binary-parser path, returns Buffer views: both are Uint8Array with the same bytes.)
//
// Users: decodeStream (decode.ts) is decodeStreamFast; the StreamReader decodes every record
// that lies whole in a chunk with decodeRecordsFast, in place.

import { HEADER_SIZE, RECORD_HEADER_SIZE, RecordType, type ByteOrder, type RecordTypeName } from '../wire/constants.js';
import { CodeGen, lengthExpr, type Scope } from '../wire/codegen.js';
import { INT_SIZE, LAYOUTS, WATCH_DATA_EXTENDED_SHORT, type Field, type IntType, type RecordLayout } from '../wire/layout.js';
import { decodeHeader, decodeRecordAt, shortHeaderBodySize } from './decode.js';
import { SHORT_HEADER_DEFECT, type RecordLocation, type Stream, type XsRecord } from './types.js';

/** Written by a generated decoder: where the body it read ended (absolute offset). */
interface DecodeState {
  end: number;
}
/**
 * A generated body decoder: reads the body at `buf[p, limit)` (absolute offsets; `view` covers
 * `buf` from its first byte). Returns the model record (without `len`/`padding`), or null when
 * the body does not fit its layout.
 */
type BodyDecoder = (buf: Buffer, view: DataView, p: number, limit: number, st: DecodeState) => XsRecord | null;

// ---------------------------------------------------------------------------------------------
// Code generation

/**
 * How the quota records' parallel lists (values, then names) become one list of pairs in the
 * model, as wireToModel does: each model list takes as many pairs as its count field says.
 * The count fields themselves are not kept (the lists' lengths give them).
 */
const QUOTA_LISTS: Partial<Record<string, { key: string; count: string }[]>> = {
  GLOBAL_QUOTA_DATA: [
    { key: 'domQuotas', count: 'nDomQuota' },
    { key: 'globQuotas', count: 'nGlobQuota' },
  ],
  DOMAIN_DATA: [{ key: 'quotas', count: 'nQuota' }],
};

/** One property of a model object: its key, the expression of its value, when it is present. */
interface Entry {
  key: string;
  expr: string;
  cond?: string;
}

class Gen extends CodeGen {
  /** A field was selected as a span: the record carries `source`. */
  spans = false;
  constructor(readonly little: boolean) {
    super();
  }
}


function readIntExpr(g: Gen, int: IntType, at: string): string {
  const le = g.little ? 'true' : 'false';
  switch (int) {
    case 'u8': return `buf[${at}]`;
    case 'u16': return `view.getUint16(${at}, ${le})`;
    case 'u32': return `view.getUint32(${at}, ${le})`;
    case 'i32': return `view.getInt32(${at}, ${le})`;
    case 'u64': return `view.getBigUint64(${at}, ${le})`;
  }
}

type FixedField = Extract<Field, { kind: 'int' | 'char' }>;
function isFixed(f: Field | undefined): f is FixedField {
  return f !== undefined && (f.kind === 'int' || f.kind === 'char');
}
function fixedSize(f: Field): number | undefined {
  if (f.kind === 'int') return INT_SIZE[f.int];
  if (f.kind === 'char') return 1;
  return undefined;
}

/** `{ k: v, ... }` then conditional assignments, keeping the entries' order. */
function objectCode(g: Gen, target: string, head: string[], entries: Entry[]): void {
  const lit = [...head];
  let i = 0;
  for (; i < entries.length && entries[i]!.cond === undefined; i++) lit.push(`${JSON.stringify(entries[i]!.key)}: ${entries[i]!.expr}`);
  g.emit(`${target} = { ${lit.join(', ')} };`);
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    const set = `${target}[${JSON.stringify(e.key)}] = ${e.expr};`;
    g.emit(e.cond === undefined ? set : `if (${e.cond}) ${set}`);
  }
}

/**
 * Emits the reads of `fields` (advancing `p`) and returns the model entries they make, in the
 * order fieldsToModel (wire-model.ts) gives them.
 */
function genFields(g: Gen, fields: readonly Field[], scope: Scope, bodyStart: string, checked = false, sel?: ReadonlySet<string>): Entry[] {
  const entries: Entry[] = [];
  const want = (key: string): boolean => sel === undefined || sel.has(key);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    // A run of fixed-size fields: one bound check for all of them.
    if (isFixed(f)) {
      let j = i;
      let size = 0;
      while (isFixed(fields[j])) size += fixedSize(fields[j++]!)!;
      if (!checked) g.emit(`if (p + ${size} > limit) return null;`);
      let at = 0;
      for (let k = i; k < j; k++) {
        const h = fields[k] as FixedField;
        const v = g.v(h.key);
        scope.set(h.key, v);
        if (h.kind === 'int') {
          g.emit(`${v} = ${readIntExpr(g, h.int, at ? `p + ${at}` : 'p')};`);
          if (h.reserved) entries.push({ key: h.key, expr: v, cond: `${v} !== ${h.int === 'u64' ? '0n' : '0'}` });
          // A size or count field is derived in the full model; a selection may ask for it.
          else if (sel !== undefined ? sel.has(h.key) : !h.sizeOf && !h.countOf) entries.push({ key: h.key, expr: v });
          at += INT_SIZE[h.int];
        } else {
          g.emit(`${v} = buf[${at ? `p + ${at}` : 'p'}];`);
          if (want(h.key)) entries.push({ key: h.key, expr: `String.fromCharCode(${v})` });
          at += 1;
        }
      }
      g.emit(`p += ${size};`);
      i = j - 1;
      continue;
    }
    switch (f.kind) {
      case 'bytes': {
        const n = g.v(`${f.key}Len`);
        const v = g.v(f.key);
        g.emit(`${n} = ${lengthExpr(f.length, scope)};`);
        g.emit(`if (p + ${n} > limit) return null;`);
        if (want(f.key)) {
          g.emit(`${v} = ${n} === 0 ? EMPTY : new Uint8Array(ab, bo + p, ${n});`);
          entries.push({ key: f.key, expr: v });
        }
        g.emit(`p += ${n};`);
        break;
      }
      case 'cstring': {
        const n = g.v(`${f.key}Len`);
        const v = g.v(f.key);
        g.emit(`${n} = ${lengthExpr(f.length, scope)};`);
        g.emit(`if (p + ${n} > limit) return null;`);
        if (want(f.key)) {
          g.emit(`if (${n} > 0 && buf[p + ${n} - 1] === 0) ${v} = buf.latin1Slice(p, p + ${n} - 1);`);
          g.emit(`else { ${v} = buf.latin1Slice(p, p + ${n}); (unt === null ? (unt = []) : unt).push(${JSON.stringify(f.key)}); }`);
          entries.push({ key: f.key, expr: v });
        } else if (sel?.has(`${f.key}:span`)) {
          // Selected as a span: where its bytes lie in `source` (the NUL excluded), no string.
          const start = g.v(`${f.key}Start`);
          g.emit(`${start} = p;`);
          g.emit(`${v} = p + ${n};`);
          g.emit(`if (${n} > 0 && buf[p + ${n} - 1] === 0) ${v}--;`);
          g.emit(`else (unt === null ? (unt = []) : unt).push(${JSON.stringify(f.key)});`);
          entries.push({ key: `${f.key}Start`, expr: start });
          entries.push({ key: `${f.key}End`, expr: v });
          g.spans = true;
        } else {
          // Not selected: no string, but a missing NUL is still marked (it is an anomaly).
          g.emit(`if (${n} === 0 || buf[p + ${n} - 1] !== 0) (unt === null ? (unt = []) : unt).push(${JSON.stringify(f.key)});`);
        }
        g.emit(`p += ${n};`);
        break;
      }
      case 'ints': {
        const n = g.v(`${f.key}Count`);
        const v = g.v(f.key);
        const size = INT_SIZE[f.int];
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        g.emit(`if (p + ${n} * ${size} > limit) return null;`);
        if (want(f.key)) {
          g.emit(`${v} = new Array(${n});`);
          g.emit(`for (let i = 0; i < ${n}; i++) { ${v}[i] = ${readIntExpr(g, f.int, 'p')}; p += ${size}; }`);
          entries.push({ key: f.key, expr: v });
        } else g.emit(`p += ${n} * ${size};`);
        break;
      }
      case 'cstrings': {
        const n = g.v(`${f.key}Count`);
        const v = g.v(f.key);
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        g.emit(`${v} = [];`);
        g.emit(`for (let i = 0; i < ${n}; i++) {`);
        g.emit(`  let z = p; while (z < limit && buf[z] !== 0) z++;`);
        g.emit(`  if (z >= limit) return null;`);
        g.emit(`  ${v}.push(buf.latin1Slice(p, z)); p = z + 1;`);
        g.emit(`}`);
        entries.push({ key: f.key, expr: v });
        break;
      }
      case 'array': {
        const n = g.v(`${f.key}Count`);
        const v = g.v(f.key);
        const it = g.v(`${f.key}Item`);
        g.emit(`${n} = ${lengthExpr(f.count, scope)};`);
        // Items of fixed size: one bound check for the whole array.
        const fixed = f.fields.every(isFixed);
        if (fixed) {
          const size = f.fields.reduce((a, h) => a + fixedSize(h)!, 0);
          g.emit(`if (p + ${n} * ${size} > limit) return null;`);
          if (!want(f.key)) {
            // Not selected: its items are not read at all.
            g.emit(`p += ${n} * ${size};`);
            break;
          }
        }
        // Preallocated: `[]` grown by push holds room for 17 entries (190 bytes per record).
        g.emit(`${v} = new Array(${n});`);
        g.emit(`for (let i = 0; i < ${n}; i++) {`);
        const inner = genFields(g, f.fields, new Map(), bodyStart, fixed);
        objectCode(g, it, [], inner);
        g.emit(`${v}[i] = ${it};`);
        g.emit(`}`);
        entries.push({ key: f.key, expr: v });
        break;
      }
      case 'align': {
        const n = g.v(`${f.key}Len`);
        const v = g.v(f.key);
        g.emit(`${n} = (${f.to} - ((p - ${bodyStart}) % ${f.to})) % ${f.to};`);
        g.emit(`if (p + ${n} > limit) return null;`);
        g.emit(`${v} = undefined;`);
        g.emit(`for (let z = p; z < p + ${n}; z++) if (buf[z] !== 0) { ${v} = new Uint8Array(ab, bo + p, ${n}); break; }`);
        g.emit(`p += ${n};`);
        // Kept only when not all zero, like the binary-parser path.
        entries.push({ key: f.key, expr: v, cond: `${v} !== undefined` });
        break;
      }
      case 'optional': {
        const on = scope.get(f.when.key);
        if (on === undefined) throw new Error(`optional group refers to ${f.when.key} before it is read`);
        const cond = `(${on} & ${f.when.mask}) !== 0`;
        g.emit(`if (${cond}) {`);
        const inner = genFields(g, f.fields, scope, bodyStart, false, sel);
        g.emit(`}`);
        for (const e of inner) entries.push({ key: e.key, expr: e.expr, cond: e.cond === undefined ? cond : `${cond} && ${e.cond}` });
        break;
      }
      case 'switch': {
        const tag = scope.get(f.on);
        if (tag === undefined) throw new Error(`switch refers to ${f.on} before it is read`);
        const v = g.v(f.key);
        const cases = Object.entries(f.cases);
        cases.forEach(([value, c], k) => {
          g.emit(`${k === 0 ? '' : 'else '}if (${tag} === ${Number(value)}) {`);
          objectCode(g, v, [], genFields(g, c.fields, new Map(), bodyStart));
          g.emit(`}`);
        });
        g.emit(`else {`);
        objectCode(g, v, [], genFields(g, f.default.fields, new Map(), bodyStart));
        g.emit(`}`);
        entries.push({ key: f.key, expr: v });
        break;
      }
      default:
        throw new Error(`no fast decoder for field kind ${(f as Field).kind}`);
    }
  }
  return entries;
}

/** The source of a body decoder for `layout` in one byte order (exported for inspection). */
export function bodyDecoderSource(layout: RecordLayout, little: boolean, select?: readonly string[]): string {
  const g = new Gen(little);
  const start = g.v('bodyStart');
  g.emit(`${start} = p;`);
  const scope: Scope = new Map();
  const type = layout.type === 'WATCH_DATA_EXTENDED_SHORT' ? 'WATCH_DATA_EXTENDED' : layout.type;
  const lists = QUOTA_LISTS[type];
  // (The quota records pair two wire lists into one model list: always decoded whole.)
  const sel = select === undefined || lists ? undefined : new Set(select);
  let entries = genFields(g, layout.fields, scope, start, false, sel);
  if (lists) {
    // Values and names are read into two arrays; the model pairs them up.
    const vals = entries.find((e) => e.key === 'quotaVal')!.expr;
    const names = entries.find((e) => e.key === 'quotaNames')!.expr;
    const counts = new Set(lists.map((l) => l.count));
    entries = entries.filter((e) => e.key !== 'quotaVal' && e.key !== 'quotaNames' && !counts.has(e.key));
    let from = '0';
    for (const l of lists) {
      const q = g.v(l.key);
      const to = `${from} + ${scope.get(l.count)!}`;
      g.emit(`${q} = new Array(${to} - ${from});`);
      g.emit(`for (let i = ${from}; i < ${to}; i++) ${q}[i - ${from}] = { name: ${names}[i], value: ${vals}[i] };`);
      entries.push({ key: l.key, expr: q });
      from = `(${to})`;
    }
  }
  if (g.spans) entries.push({ key: 'source', expr: 'buf' });
  g.emit('st.end = p;');
  const o = g.v('rec');
  objectCode(g, o, [`type: ${JSON.stringify(type)}`], entries);
  g.emit(`if (unt !== null) ${o}.unterminated = unt;`);
  g.emit(`return ${o};`);
  return [
    `// ${layout.type}, ${little ? 'little' : 'big'}-endian (generated from wire/layout.ts)`,
    `const ab = buf.buffer, bo = buf.byteOffset;`,
    `let unt = null;`,
    `var ${g.vars.join(', ')};`,
    ...g.lines,
  ].join('\n');
}

/**
 * Every empty byte field shares this one view: a view costs about 100 bytes of heap, and a
 * quarter of the nodes of a real tree (directories) have no value. It holds no bytes to change,
 * and is frozen so that nobody hangs a property on the shared object.
 */
const EMPTY = Object.freeze(new Uint8Array(0));

function compile(layout: RecordLayout, little: boolean, select?: readonly string[]): BodyDecoder {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('EMPTY', `return function decode_${layout.type}(buf, view, p, limit, st) {\n${bodyDecoderSource(layout, little, select)}\n};`);
  return make(EMPTY) as BodyDecoder;
}

/**
 * Body decoders by type code (undefined: not a known type), per byte order. Each is compiled on
 * first use (a command start-up should not pay for record types it never meets): the table
 * starts with a stub that compiles the real decoder, puts it in its place and runs it.
 */
function decoderTable(little: boolean, selection?: FieldSelection): DecoderTable {
  const t: DecoderTable = [];
  for (const [name, code] of Object.entries(RecordType)) {
    const select = selection?.[name as RecordTypeName];
    t[code] = (buf, view, p, limit, st) => (t[code] = compile(LAYOUTS[name as RecordTypeName], little, select))(buf, view, p, limit, st);
  }
  return t;
}
type DecoderTable = (BodyDecoder | undefined)[];
const DECODERS_LE = decoderTable(true);
const DECODERS_BE = decoderTable(false);

/**
 * Which model keys to build, per record type; a type left out is decoded whole. The fields not
 * named are still bounds-checked and walked (a record that does not fit its layout fails exactly
 * as before) but no string, view or array is made for them: `info` needs a node's path and value
 * size, not its permissions and bytes, and building them is about a third of the decode time.
 * A record so decoded carries `type`, the keys named (which may name a size or count field such
 * as `valueLen`, absent from the full model), and every extra that marks an anomaly (`len`,
 * `padding`, `unterminated`, reserved fields, CONNECTION_DATA's conn-spec, which may hold one);
 * nothing else. The quota records and a record the
 * fast path hands to binary-parser (a malformed one) come whole.
 */
export type FieldSelection = { readonly [T in RecordTypeName]?: readonly string[] };
// A string field may also be named as `path:span`: the record then gets `pathStart` and
// `pathEnd`, where the string's bytes (its NUL excluded) lie in `source`, the buffer the record
// was decoded from (a chunk of the input, valid during the onRecord call only), and no string
// is made: for a pass that looks at a few bytes of a path (info counts its '/') on a million
// nodes, making the strings was a third of its time.

/** Decoders for a selection: compile once per selection and pass to decodeRecordsFast. */
export interface Decoders {
  readonly le: DecoderTable;
  readonly be: DecoderTable;
}
const FULL: Decoders = { le: DECODERS_LE, be: DECODERS_BE };
export function selectionDecoders(selection?: FieldSelection): Decoders {
  return selection === undefined ? FULL : { le: decoderTable(true, selection), be: decoderTable(false, selection) };
}
/** The 4.22 short-header layout, [little, big], compiled on first use. */
const SHORT: (BodyDecoder | undefined)[] = [undefined, undefined];
function shortDecoder(little: boolean): BodyDecoder {
  const i = little ? 0 : 1;
  return (SHORT[i] ??= compile(WATCH_DATA_EXTENDED_SHORT, little));
}

// ---------------------------------------------------------------------------------------------
// Records and streams

/** What one decoded record occupied; filled by decodeOne (one object reused per call site). */
interface Frame extends DecodeState {
  typeCode: number;
  len: number;
  wireLen: number;
}

// (Integer arithmetic below 2^31, where every real record is; a hostile u32 len takes the division.)
const roundUp8 = (n: number): number => (n < 0x7ffffff8 ? (n + 7) & ~7 : Math.ceil(n / 8) * 8);

/**
 * Decodes the record at `offset` of `buf` (a window whose first byte is at absolute offset
 * `base`) into `fr`. Hands the record to the binary-parser path whenever the fast path cannot
 * decode it, so that faults are reported by the same code as in decodeStreamDetailed.
 */
function decodeOne(buf: Buffer, view: DataView, offset: number, index: number, little: boolean, base: number, fr: Frame, decoders: Decoders = FULL): XsRecord {
  const bodyStart = offset + RECORD_HEADER_SIZE;
  if (bodyStart > buf.length) return slow(buf, offset, index, little, base, fr);
  const typeCode = view.getUint32(offset, little);
  const len = view.getUint32(offset + 4, little);
  let record: XsRecord | null;
  let bodyEnd: number;
  let wireEnd: number;
  const short =
    typeCode === RecordType.WATCH_DATA_EXTENDED
      ? shortHeaderBodySize(buf.subarray(bodyStart, Math.min(buf.length, bodyStart + len)), len, little)
      : undefined;
  if (short !== undefined) {
    // Xen 4.22's defective writer: see decode.ts. The next record starts at the real boundary.
    const m = shortDecoder(little)(buf, view, bodyStart, bodyStart + short, fr);
    wireEnd = bodyStart + roundUp8(short);
    if (m === null || wireEnd > buf.length) return slow(buf, offset, index, little, base, fr);
    const w = m as Extract<XsRecord, { type: 'WATCH_DATA_EXTENDED' }>;
    record = { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: null, wpath: w.wpath, token: w.token, producerDefect: SHORT_HEADER_DEFECT };
    bodyEnd = bodyStart + short;
    if (len !== roundUp8(12 + short - 8)) record.len = len;
  } else {
    wireEnd = bodyStart + roundUp8(len);
    if (wireEnd > buf.length) return slow(buf, offset, index, little, base, fr);
    const dec = (little ? decoders.le : decoders.be)[typeCode];
    if (dec === undefined) {
      record = { type: 'UNKNOWN', typeCode, body: new Uint8Array(buf.buffer, buf.byteOffset + bodyStart, len) };
      bodyEnd = bodyStart + len;
    } else {
      record = dec(buf, view, bodyStart, bodyStart + len, fr);
      if (record === null) return slow(buf, offset, index, little, base, fr);
      bodyEnd = fr.end;
    }
    if (len !== roundUp8(bodyEnd - bodyStart)) record.len = len;
  }
  for (let i = bodyEnd; i < wireEnd; i++) {
    if (buf[i] !== 0) {
      record.padding = new Uint8Array(buf.buffer, buf.byteOffset + bodyEnd, wireEnd - bodyEnd);
      break;
    }
  }
  fr.typeCode = typeCode;
  fr.len = len;
  fr.wireLen = wireEnd - offset;
  return record;
}

/** The binary-parser path for one record: throws its DecodeError, or returns its record. */
function slow(buf: Buffer, offset: number, index: number, little: boolean, base: number, fr: Frame): XsRecord {
  const { record, location } = decodeRecordAt(buf, offset, index, little ? 'little' : 'big', base);
  fr.typeCode = location.typeCode;
  fr.len = location.len;
  fr.wireLen = location.wireLen;
  return record;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A DataView whose offset 0 is `buf[0]`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Decodes one record at `offset` of `buf` with the fast path (the StreamReader's entry point).
 * `buf` is a window of the stream whose first byte lies at absolute offset `base`; `view` must
 * be `viewOf(buf)` (pass it in to make it once per window). The record must lie whole inside
 * `buf`, or `buf` must run to the end of the input (then the fault is reported as in
 * decodeStreamDetailed). Same result and errors as decodeRecordAt.
 */
export function decodeRecordFast(
  buf: Buffer,
  view: DataView,
  offset: number,
  index: number,
  order: ByteOrder,
  base = 0,
): { record: XsRecord; location: RecordLocation } {
  const fr: Frame = { end: 0, typeCode: 0, len: 0, wireLen: 0 };
  const record = decodeOne(buf, view, offset, index, order === 'little', base, fr);
  return { record, location: { index, offset: base + offset, typeCode: fr.typeCode, len: fr.len, wireLen: fr.wireLen } };
}

/**
 * Calls `onRecord` for each record of `buf[offset, ...)` that lies whole inside `buf`, stopping
 * after END, at the first record that is cut by the end of `buf` (unless `final`: then that
 * record is decoded, which reports the fault), or when `onRecord` returns false. Returns the
 * offset in `buf` after the last record delivered. The StreamReader's bulk loop. `bytes` (the
 * record's envelope, body and padding) is a view of `buf` when `withBytes`, else empty.
 */
export function decodeRecordsFast(
  buf: Buffer,
  view: DataView,
  offset: number,
  firstIndex: number,
  order: ByteOrder,
  base: number,
  final: boolean,
  onRecord: (record: XsRecord, location: RecordLocation, bytes: Uint8Array) => boolean | void,
  withBytes = false,
  decoders: Decoders = FULL,
  reuse?: RecordLocation,
): { offset: number; count: number; ended: boolean } {
  const little = order === 'little';
  const fr: Frame = { end: 0, typeCode: 0, len: 0, wireLen: 0 };
  const n = buf.length;
  let index = firstIndex;
  let ended = false;
  while (!ended) {
    if (!final) {
      if (offset + RECORD_HEADER_SIZE > n) break;
      const len = view.getUint32(offset + 4, little);
      // A record whose declared size runs past the window may still be whole (the 4.22 short
      // header overstates len); wait for more input rather than guess.
      if (offset + RECORD_HEADER_SIZE + roundUp8(len) > n) break;
    }
    const record = decodeOne(buf, view, offset, index, little, base, fr, decoders);
    let location: RecordLocation;
    if (reuse === undefined) location = { index, offset: base + offset, typeCode: fr.typeCode, len: fr.len, wireLen: fr.wireLen };
    else {
      // One object for every record (the caller's promise: it keeps none past the call).
      location = reuse;
      location.index = index;
      location.offset = base + offset;
      location.typeCode = fr.typeCode;
      location.len = fr.len;
      location.wireLen = fr.wireLen;
    }
    const bytes = withBytes ? new Uint8Array(buf.buffer, buf.byteOffset + offset, fr.wireLen) : EMPTY;
    offset += fr.wireLen;
    index++;
    ended = fr.typeCode === RecordType.END; // (END is the only record of type 0)
    if (onRecord(record, location, bytes) === false) break;
  }
  return { offset, count: index - firstIndex, ended };
}

/**
 * decodeStreamDetailed by the fast path: the same stream, locations and errors; `onRecord` sees
 * each record as it is decoded.
 */
export function decodeStreamFastDetailed(
  input: Uint8Array,
  onRecord?: (record: XsRecord, location: RecordLocation) => void,
): { stream: Stream; locations: RecordLocation[] } {
  const buf = asBuffer(input);
  const header = decodeHeader(buf);
  const records: XsRecord[] = [];
  const locations: RecordLocation[] = [];
  const r = decodeRecordsFast(buf, viewOf(buf), HEADER_SIZE, 0, header.byteOrder, 0, true, (record, location) => {
    records.push(record);
    locations.push(location);
    onRecord?.(record, location);
  });
  const stream: Stream = { header, records };
  if (r.offset < buf.length) stream.trailing = buf.subarray(r.offset);
  return { stream, locations };
}

/** Decodes a whole stream held in memory (decodeStream): the model decodeStreamDetailed gives, faster. */
export function decodeStreamFast(input: Uint8Array): Stream {
  const buf = asBuffer(input);
  const header = decodeHeader(buf);
  const little = header.byteOrder === 'little';
  const view = viewOf(buf);
  const fr: Frame = { end: 0, typeCode: 0, len: 0, wireLen: 0 };
  const records: XsRecord[] = [];
  let offset = HEADER_SIZE;
  for (let index = 0; ; index++) {
    const record = decodeOne(buf, view, offset, index, little, 0, fr);
    records.push(record);
    offset += fr.wireLen;
    if (record.type === 'END') break;
  }
  const stream: Stream = { header, records };
  if (offset < buf.length) stream.trailing = buf.subarray(offset);
  return stream;
}
