// dump's plain text, rendered straight into the output buffer as bytes. On a large stream dump
// prints about 336 bytes of text per record; building a JS string per record and encoding it
// afterwards cost about 3 s for 1.25 million records (issue 6). Here, for each record layout
// in wire/layout.ts, a renderer is generated once (with `new Function`, as fast-decode.ts
// generates decoders) that writes the record's block into BlockWriter's buffer: the constant
// text (field names, separators) as stores of immediate words, integers formatted as digits
// in place, strings and values copied with the escape scan, meanings taken from the tables the
// general renderer uses (record.ts), and a line whose value repeats from record to record
// (a committed node's conn-id, tx-id and access; its permissions) copied whole. There is no
// second list of fields: the generated code walks the layout declaration.
//
// Two forms per layout: one over a whole model record (renderRecordBytes), and one over a record
// the reader built in part (DUMP_SELECTION, renderSelectedRecordBytes): strings as spans of the
// input chunk, arrays and bytes read from the chunk at positions that follow from the layout.
//
// The text is ASCII by construction (every other byte is escaped), so bytes and latin1 chars
// are the same. It prints exactly what renderRecord prints without colour; what it does not
// cover (anomalies: a declared len, non-zero padding or internal pad, unterminated strings;
// the Xen 4.22 short header; unknown record types and conn-types; pending wire data; anything
// too large for the buffer) makes the renderer return false, having written nothing, and the
// caller uses the general renderer. test/dump-bytes.test.ts holds the two against each other.

import { INT_SIZE, LAYOUTS, type Field, type RecordLayout } from '../../wire/layout.js';
import { RECORD_HEADER_SIZE, reservedDomidName, type ByteOrder, type RecordTypeName } from '../../wire/constants.js';
import { decodeRecordFast, viewOf, type FieldSelection } from '../../model/fast-decode.js';
import type { Permission, RecordLocation, XsRecord } from '../../model/types.js';
import type { BlockWriter } from '../output.js';
import { HEX_INT_KEYS, INT_MEANINGS, isCommittedNode, permMeaningOf, quotaList, quotaMeaning } from './record.js';

/** Where a renderer writes: BlockWriter's direct-write interface. */
export type ByteOut = Pick<BlockWriter, 'reserve' | 'buffer' | 'commit'>;

/** Renders one record's block (the blank line before it included); false: not covered, nothing written. */
export type RecordBytesRenderer = (r: XsRecord, loc: RecordLocation, out: ByteOut, maxBytes: number) => boolean;

// ---------------------------------------------------------------------------------------------
// Byte primitives (plain functions the generated code calls; TurboFan inlines them)

/** Text (ASCII, or one char per byte) as bytes. */
function enc(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Copies a short piece of pre-encoded text (a loop: TypedArray#set costs more below ~50 bytes). */
function putBytes(o: Uint8Array, p: number, c: Uint8Array): number {
  const n = c.length;
  for (let i = 0; i < n; i++) o[p + i] = c[i]!;
  return p + n;
}

const EMPTY = new Uint8Array(0);

/** A DataView of the output buffer (made again only when the buffer changes). */
let viewBuf: Uint8Array = EMPTY;
let view: DataView = new DataView(EMPTY.buffer);
function viewFor(o: Uint8Array): DataView {
  if (o !== viewBuf) {
    viewBuf = o;
    view = new DataView(o.buffer, o.byteOffset, o.byteLength);
  }
  return view;
}

/** A line of text kept to be written again: its bytes packed four to a word, first byte lowest. */
interface Line {
  words: Uint32Array;
  n: number;
}
const NO_LINE: Line = { words: new Uint32Array(0), n: 0 };

/** o[start, end) as a Line. */
function lineOf(o: Uint8Array, start: number, end: number): Line {
  const n = end - start;
  const words = new Uint32Array((n + 3) >> 2);
  for (let i = 0; i < n; i++) words[i >> 2]! |= o[start + i]! << (8 * (i & 3));
  return { words, n };
}

/**
 * Writes a kept line a word at a time (measured: a third faster than a byte loop for these
 * 20-40 byte lines). It may write up to 3 bytes past the line's end: within the room reserved
 * (the bound has SLACK for it), and overwritten by what follows or never committed.
 */
function putLine(dv: DataView, p: number, line: Line): number {
  const w = line.words;
  for (let i = 0; i < w.length; i++) dv.setUint32(p + 4 * i, w[i]!, true);
  return p + line.n;
}

/** Copies an ASCII string (meanings come from the general renderer's tables as strings). */
function putAscii(o: Uint8Array, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) o[p + i] = s.charCodeAt(i);
  return p + n;
}

/** Decimal digits of a non-negative integer below 2^53. */
function putUint(o: Uint8Array, p: number, v: number): number {
  if (v < 10) {
    o[p] = 48 + v;
    return p + 1;
  }
  let d = 2;
  for (let t = 100; t <= v && d < 16; t *= 10) d++;
  const end = p + d;
  let q = end;
  if (v <= 0x7fffffff) {
    let x = v | 0;
    while (x !== 0) {
      const y = (x / 10) | 0;
      o[--q] = 48 + x - y * 10;
      x = y;
    }
  } else {
    let x = v;
    while (x !== 0) {
      const y = Math.floor(x / 10);
      o[--q] = 48 + (x - y * 10);
      x = y;
    }
  }
  return end;
}

/** Decimal of any integer below 2^53 in magnitude (i32 fields may be negative). */
function putInt(o: Uint8Array, p: number, v: number): number {
  if (v < 0) {
    o[p] = 45; // '-'
    return putUint(o, p + 1, -v);
  }
  return putUint(o, p, v);
}

const HEX = enc('0123456789abcdef');

/** Lowercase hex digits of a non-negative integer below 2^53, without a prefix. */
function putHex(o: Uint8Array, p: number, v: number): number {
  let d = 1;
  for (let t = v; t >= 16; t = Math.floor(t / 16)) d++;
  const end = p + d;
  let q = end;
  let x = v;
  if (x <= 0xffffffff) {
    x >>>= 0;
    do {
      o[--q] = HEX[x & 15]!;
      x >>>= 4;
    } while (x !== 0);
  } else {
    do {
      const y = Math.floor(x / 16);
      o[--q] = HEX[x - y * 16]!;
      x = y;
    } while (x !== 0);
  }
  return end;
}

/** One byte that xsEscape does not show as itself (escape.ts). */
function putEscaped(o: Uint8Array, p: number, c: number): number {
  o[p] = 92; // '\'
  if (c === 92) {
    o[p + 1] = 92;
    return p + 2;
  }
  if (c === 9 || c === 10 || c === 13) {
    o[p + 1] = c === 9 ? 116 : c === 10 ? 110 : 114; // t n r
    return p + 2;
  }
  if (c < 8) {
    o[p + 1] = 48;
    o[p + 2] = 48;
    o[p + 3] = 48 + c;
    return p + 4;
  }
  o[p + 1] = 120; // x
  o[p + 2] = HEX[c >> 4]!;
  o[p + 3] = HEX[c & 15]!;
  return p + 4;
}

/** True for a char xsEscape does not show as itself (not printable ASCII, or a backslash). */
function needsEscape(c: number): boolean {
  return c < 0x20 || c > 0x7e || c === 92;
}

/** xsEscapeString: a model string (one char per byte), escaped. At most 4 bytes per char. */
function putEscStr(o: Uint8Array, dv: DataView, p: number, s: string): number {
  const n = s.length;
  let i = 0;
  // Four plain chars per store while there are: measured 20% faster than the char loop on
  // the bench stream's paths (the path is the largest piece of a node's text).
  for (; i + 4 <= n; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if (needsEscape(c0) || needsEscape(c1) || needsEscape(c2) || needsEscape(c3)) break;
    dv.setUint32(p + i, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), true);
  }
  p += i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) & 0xff;
    if (c >= 0x20 && c <= 0x7e && c !== 92) o[p++] = c;
    else p = putEscaped(o, p, c);
  }
  return p;
}

/** putEscStr of the string whose bytes are b[start, end) (a field the reader gave as a span). */
function putEscBytes(o: Uint8Array, dv: DataView, p: number, b: Uint8Array, start: number, end: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const c0 = b[i]!;
    const c1 = b[i + 1]!;
    const c2 = b[i + 2]!;
    const c3 = b[i + 3]!;
    if (needsEscape(c0) || needsEscape(c1) || needsEscape(c2) || needsEscape(c3)) break;
    dv.setUint32(p, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), true);
    p += 4;
  }
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x20 && c <= 0x7e && c !== 92) o[p++] = c;
    else p = putEscaped(o, p, c);
  }
  return p;
}

const CUT_OPEN = enc(' ... (');
const CUT_CLOSE = enc(' bytes; --max-bytes 0 shows all)');
const HEX_SP = enc('hex ');

/** showBytes (escape.ts): at most 4 * min(length, max) + 64 bytes. */
function putShowBytes(o: Uint8Array, p: number, b: Uint8Array, max: number): number {
  return putShowBytesAt(o, p, b, 0, b.length, max);
}

/** putShowBytes of b[at, at + len). */
function putShowBytesAt(o: Uint8Array, p: number, b: Uint8Array, at: number, len: number, max: number): number {
  if (len === 0) {
    o[p] = 34;
    o[p + 1] = 34;
    return p + 2;
  }
  const n = max > 0 && max < len ? max : len;
  let escaped = 0;
  const end = at + n;
  for (let i = at; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) escaped++;
  }
  if (escaped * 3 <= n) {
    o[p++] = 34;
    for (let i = at; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x20 && c <= 0x7e && c !== 92) o[p++] = c;
      else p = putEscaped(o, p, c);
    }
    o[p++] = 34;
  } else {
    p = putBytes(o, p, HEX_SP);
    for (let i = at; i < end; i++) {
      const c = b[i]!;
      o[p] = HEX[c >> 4]!;
      o[p + 1] = HEX[c & 15]!;
      p += 2;
    }
  }
  if (n < len) {
    p = putBytes(o, p, CUT_OPEN);
    p = putUint(o, p, len);
    p = putBytes(o, p, CUT_CLOSE);
  }
  return p;
}

/** Longest meaning the bound allows for; a longer one (none known) goes the general way. */
const MEANING_MAX = 240;
const MEAN_OPEN = enc('  (');

/** `  (meaning)` of an integer field, when it has one; -1 when too long for the bound. */
function putMeaning(o: Uint8Array, p: number, m: string | undefined): number {
  if (m === undefined) return p;
  if (m.length > MEANING_MAX) return -1;
  p = putBytes(o, p, MEAN_OPEN);
  p = putAscii(o, p, m);
  o[p] = 41; // ')'
  return p + 1;
}

/**
 * `  (owner; others: none)`: permMeaningOf's text, kept as bytes per combination of what it
 * depends on (a stream holds a handful); entries naming a reserved domain are not kept.
 */
const permMeanings = new Map<number, Uint8Array>();
function putPermMeaning(o: Uint8Array, p: number, q: Permission, owner: boolean): number {
  return putPermMeaningOf(o, p, q.perm, q.flags, q.domid, owner);
}
function putPermMeaningOf(o: Uint8Array, p: number, perm: string, flags: number, domid: number, owner: boolean): number {
  const dn = reservedDomidName(domid);
  const code = perm.length === 1 ? perm.charCodeAt(0) : -1;
  const key = code >= 0 && code < 256 && dn === undefined ? code | (flags << 8) | (owner ? 1 << 16 : 0) : -1;
  let b = key >= 0 ? permMeanings.get(key) : undefined;
  if (b === undefined) {
    b = enc(`  (${permMeaningOf(perm, flags, owner, dn)})`);
    if (key >= 0 && permMeanings.size < 4096) permMeanings.set(key, b);
  }
  return putBytes(o, p, b);
}

/** One byte escaped as xsEscape shows it. */
function putEscByte(o: Uint8Array, p: number, c: number): number {
  if (c >= 0x20 && c <= 0x7e && c !== 92) {
    o[p] = c;
    return p + 1;
  }
  return putEscaped(o, p, c);
}

/** A DataView of a record's source chunk (made again only when the chunk changes). */
let sourceBuf: Uint8Array = EMPTY;
let sourceView: DataView = new DataView(EMPTY.buffer);
function viewOfSource(b: Uint8Array): DataView {
  if (b !== sourceBuf) {
    sourceBuf = b;
    sourceView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return sourceView;
}

// ---------------------------------------------------------------------------------------------
// Code generation

/**
 * Count fields the model does not keep (it pairs quota values with their names in lists):
 * the model list whose length each one is. The model's shape, not the wire's (fast-decode.ts
 * builds those lists the same way); the differential test fails if they drift apart.
 */
const MODEL_COUNTS: Readonly<Record<string, string>> = { nDomQuota: 'domQuotas', nGlobQuota: 'globQuotas', nQuota: 'quotas' };

/** Bound on the bytes of one number (u64 decimal, sign, hex prefix). */
const NUM_MAX = 24;
/** Permission entries whose line is kept (per position in the list). */
const PERM_CACHES = 4;
/** Bytes putLine may write past the end of a record's text. */
const SLACK = 8;
/** Bound on one permission line beyond its meaning. */
const PERM_LINE_MAX = 48 + MEANING_MAX;

class Gen {
  /**
   * `spans`: a record read with DUMP_SELECTION: strings as spans of its `source`, arrays and
   * bytes not built but read from `source` where `pos` says (in the byte order `little`).
   */
  constructor(readonly spans: boolean, readonly little = true, readonly pos: ReadonlyMap<string, string> = new Map()) {}
  private n = 0;
  readonly lines: string[] = [];
  /** Constant text not yet emitted as code. */
  private pending = '';
  /** Line caches used (LC[i]: the last value, committed-node flag and line bytes). */
  lineCaches = 0;
  /** Constant bytes written, summed over every branch (a bound, not an exact count). */
  constSize = 0;
  /** Terms of the bound: numbers, or expressions over `r` and the `pre` lines' locals. */
  readonly bound: (string | number)[] = [];
  /** Lines run before the bound is taken (what it needs to know). */
  readonly pre: string[] = [];
  v(hint: string): string {
    return `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.n++}`;
  }
  /** Constant text: gathered until the next line of code, then written by one flushText. */
  text(s: string): void {
    this.pending += s;
    this.constSize += s.length;
  }
  emit(s: string): void {
    this.flushText();
    this.lines.push(s);
  }
  /** Emits the copy of the constant text gathered since the last line of code. */
  flushText(): void {
    const s = this.pending;
    if (!s) return;
    this.pending = '';
    const note = ` // ${JSON.stringify(s).slice(1, -1)}`;
    // As stores of immediate words, four chars each, then single bytes: measured on the bench
    // stream, 25% less render time than copying pre-encoded pieces with a loop or
    // TypedArray#set (about 20 pieces per node, most under 16 bytes).
    const code: string[] = [];
    let i = 0;
    for (; i + 4 <= s.length; i += 4) {
      const w = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
      code.push(`dv.setUint32(${i ? `p + ${i}` : 'p'}, 0x${w.toString(16)}, true);`);
    }
    for (; i < s.length; i++) code.push(`o[${i ? `p + ${i}` : 'p'}] = ${s.charCodeAt(i)};`);
    code.push(`p += ${s.length};`);
    this.lines.push(code.join(' ') + note);
  }
}

/** The expression of where field `key` lies in `source` (span variant). */
function sourcePos(g: Gen, key: string): string {
  const at = g.pos.get(key);
  if (at === undefined) throw new Unsupported(`no position for ${key}`);
  return at;
}

/** Size in bytes of a top-level field of a record read with DUMP_SELECTION, as an expression. */
function sizeExpr(f: Field): string | undefined {
  switch (f.kind) {
    case 'int': return String(INT_SIZE[f.int]);
    case 'char': return '1';
    case 'cstring': return `(r.${f.key}End - r.${f.key}Start + 1)`;
    case 'bytes': return typeof f.length === 'number' ? String(f.length) : typeof f.length === 'string' ? `r.${f.length}` : undefined;
    case 'array': {
      const item = f.fields.reduce<number | undefined>((a, h) => (a === undefined ? undefined : h.kind === 'int' ? a + INT_SIZE[h.int] : h.kind === 'char' ? a + 1 : undefined), 0);
      return item !== undefined && typeof f.count === 'string' ? `r.${f.count} * ${item}` : undefined;
    }
    default: return undefined;
  }
}

/**
 * Where each top-level field of `layout` lies in a record's `source` when read with
 * DUMP_SELECTION, as expressions over the spans of its strings: counted forward from the end of
 * the string before it (past its NUL: the renderer takes canonical records only), or back from
 * the start of the string after it. Key '' is where the body starts. A field with no string to
 * count from has no entry.
 */
function sourcePositions(layout: RecordLayout): Map<string, string> {
  const fields = layout.fields;
  const pos = new Map<string, string>();
  const between = (from: number, to: number): string | undefined => {
    const parts: string[] = [];
    for (let k = from; k < to; k++) {
      const e = sizeExpr(fields[k]!);
      if (e === undefined) return undefined;
      parts.push(e);
    }
    return parts.length ? parts.join(' + ') : '0';
  };
  const at = (i: number): string | undefined => {
    for (let k = i - 1; k >= 0; k--) {
      const f = fields[k]!;
      if (f.kind === 'cstring') {
        const d = between(k + 1, i);
        return d === undefined ? undefined : `(r.${f.key}End + 1 + ${d})`;
      }
    }
    for (let j = i; j < fields.length; j++) {
      const f = fields[j]!;
      if (f.kind === 'cstring') {
        const d = between(i, j);
        return d === undefined ? undefined : `(r.${f.key}Start - (${d}))`;
      }
    }
    return undefined;
  };
  fields.forEach((f, i) => {
    const e = at(i);
    if (e !== undefined && 'key' in f) pos.set(f.key, e);
  });
  const body = at(0);
  if (body !== undefined) pos.set('', body);
  return pos;
}

/** The permission lines of a record read with DUMP_SELECTION: entries read from `source`. */
function genPermsFromSource(g: Gen, f: Extract<Field, { kind: 'array' }>, obj: string): void {
  if (typeof f.count !== 'string') throw new Unsupported('perms count');
  // Each entry's fields at their offsets in the entry, from the declaration.
  const off = new Map<string, { at: number; read: (x: string) => string }>();
  let size = 0;
  for (const h of f.fields) {
    if (h.kind === 'char' || (h.kind === 'int' && h.int === 'u8')) {
      off.set(h.key, { at: size, read: (x) => `src[${x}]` });
      size += 1;
    } else if (h.kind === 'int' && h.int === 'u16') {
      off.set(h.key, { at: size, read: (x) => `sdv.getUint16(${x}, ${g.little})` });
      size += 2;
    } else throw new Unsupported(`perms field ${h.kind}`);
  }
  const field = (k: string, base: string): string => {
    const e = off.get(k);
    if (e === undefined) throw new Unsupported(`perms without ${k}`);
    return e.read(e.at ? `${base} + ${e.at}` : base);
  };
  const n = g.v('permCount');
  const at = g.v('permsAt');
  g.emit(`const ${n} = ${obj}.${f.count}; const ${at} = ${sourcePos(g, f.key)}; const src = ${obj}.source; const sdv = viewOfSource(src);`);
  g.bound.push(`${obj}.${f.count} * ${PERM_LINE_MAX}`);
  g.emit(`for (let i = 0; i < ${n}; i++) {`);
  g.emit(`  const q = ${at} + ${size} * i;`);
  g.emit(`  const perm = ${field('perm', 'q')}, flags = ${field('flags', 'q')}, domid = ${field('domid', 'q')};`);
  // (the line of each of the first entries is kept while it repeats, as in the whole-model form)
  g.emit(`  const pc = i < ${PERM_CACHES} ? PCS[i] : undefined;`);
  g.emit(`  if (pc !== undefined && domid === pc.domid && perm === pc.perm && flags === pc.flags) { p = putLine(dv, p, pc.line); continue; }`);
  g.emit(`  const lineStart = p;`);
  g.text('  perms[');
  g.emit(`  p = putUint(o, p, i);`);
  g.text(']: ');
  g.emit(`  p = putEscByte(o, p, perm); p = putUint(o, p, domid);`);
  g.emit(`  p = putPermMeaningOf(o, p, String.fromCharCode(perm), flags, domid, i === 0);`);
  g.text('\n');
  g.emit(`  if (pc !== undefined) { pc.domid = domid; pc.perm = perm; pc.flags = flags; pc.line = lineOf(o, lineStart, p); }`);
  g.emit(`}`);
}

/** Scope: layout key -> JS expression of its value. */
type Scope = Map<string, string>;

function findField(fields: readonly Field[], key: string): Field | undefined {
  for (const f of fields) {
    if (f.kind === 'optional' && findField(f.fields, key)) return findField(f.fields, key);
    if ('key' in f && f.key === key) return f;
  }
  return undefined;
}

class Unsupported extends Error {}

/**
 * Emits the text of `fields` (values read from the model object `obj`, labels after
 * `labelPrefix`); throws Unsupported for a field with no generated form (the layout then has
 * no fast renderer).
 */
function genFields(g: Gen, layout: RecordLayout, fields: readonly Field[], obj: string, scope: Scope, labelPrefix: string): void {
  for (const f of fields) {
    switch (f.kind) {
      case 'int': {
        let expr: string;
        if (f.sizeOf !== undefined) {
          const target = findField(layout.fields, f.sizeOf);
          if (!target) throw new Unsupported(`sizeOf ${f.sizeOf}`);
          // Canonical records only (no unterminated string): a string's size counts its NUL.
          if (g.spans) expr = target.kind === 'cstring' ? `(${obj}.${f.sizeOf}End - ${obj}.${f.sizeOf}Start + 1)` : `${obj}.${f.key}`;
          else expr = target.kind === 'cstring' ? `(${obj}.${f.sizeOf}.length + 1)` : `${obj}.${f.sizeOf}.length`;
        } else if (f.countOf !== undefined) expr = g.spans ? `${obj}.${f.key}` : `${obj}.${f.countOf}.length`;
        else if (MODEL_COUNTS[f.key] !== undefined) expr = `r.${MODEL_COUNTS[f.key]}.length`;
        else if (f.reserved) expr = `(${obj}.${f.key} ?? 0)`;
        else expr = `${obj}.${f.key}`;
        const v = g.v(f.key);
        g.emit(`const ${v} = ${expr};`);
        scope.set(f.key, v);
        const meaning = Object.hasOwn(INT_MEANINGS, f.key);
        // A line with a meaning is kept whole while the value (and the committed-node flag,
        // all a meaning depends on) repeats, as conn-id, tx-id and access do from node to
        // node: measured on the bench stream, 3 meaning calls per node cost about as much as
        // the rest of the node's integer lines.
        const lc = meaning && f.int !== 'u64' ? `LC[${g.lineCaches++}]` : undefined;
        const s0 = g.v('lineStart');
        if (lc) {
          g.emit(`if (${v} === ${lc}.v && cn === ${lc}.cn) p = putLine(dv, p, ${lc}.line);`);
          g.emit(`else { const ${s0} = p;`);
        }
        g.text(`  ${labelPrefix}${f.name}: `);
        if (f.int === 'u64') g.emit(`p = putAscii(o, p, ${HEX_INT_KEYS.has(f.key) ? `'0x' + ${v}.toString(16)` : `${v}.toString()`});`);
        else if (HEX_INT_KEYS.has(f.key)) {
          g.text('0x');
          g.emit(`p = putHex(o, p, ${v});`);
        } else g.emit(`p = ${f.int === 'i32' ? 'putInt' : 'putUint'}(o, p, ${v});`);
        g.bound.push(NUM_MAX);
        if (meaning) {
          g.emit(`p = putMeaning(o, p, MEAN.${f.key}(${v}, cn)); if (p < 0) return false;`);
          g.bound.push(MEANING_MAX + 4);
        }
        g.text('\n');
        if (lc) g.emit(`${lc}.v = ${v}; ${lc}.cn = cn; ${lc}.line = lineOf(o, ${s0}, p); }`);
        break;
      }
      case 'cstring':
        g.text(`  ${labelPrefix}${f.name}: "`);
        if (g.spans) {
          g.emit(`p = putEscBytes(o, dv, p, ${obj}.source, ${obj}.${f.key}Start, ${obj}.${f.key}End);`);
          g.bound.push(`4 * (${obj}.${f.key}End - ${obj}.${f.key}Start)`);
        } else {
          g.emit(`p = putEscStr(o, dv, p, ${obj}.${f.key});`);
          g.bound.push(`4 * ${obj}.${f.key}.length`);
        }
        g.text('"\n');
        break;
      case 'bytes': {
        if (g.spans) {
          // Where the bytes lie in the source chunk; their count is the selected length field.
          if (typeof f.length !== 'string' || f.key === 'inData' || f.key === 'outData') throw new Unsupported(`bytes ${f.key}`);
          const at = g.v(`${f.key}At`);
          const n = g.v(`${f.key}Len`);
          g.emit(`const ${at} = ${sourcePos(g, f.key)}; const ${n} = ${obj}.${f.length};`);
          g.text(`  ${labelPrefix}${f.name}: `);
          g.emit(`p = putShowBytesAt(o, p, ${obj}.source, ${at}, ${n}, maxBytes);`);
          g.bound.push(`4 * (maxBytes > 0 && maxBytes < ${obj}.${f.length} ? maxBytes : ${obj}.${f.length})`, 64);
          if (f.key === 'value') {
            g.text('  (');
            g.emit(`p = putUint(o, p, ${n});`);
            g.text(' byte');
            g.emit(`if (${n} !== 1) o[p++] = 115; // s`);
            g.text(')');
            g.bound.push(NUM_MAX + 1);
          }
          g.text('\n');
          break;
        }
        const v = g.v(f.key);
        g.emit(`const ${v} = ${obj}.${f.key};`);
        // Pending wire data is shown message by message: the general renderer's work.
        if (f.key === 'inData' || f.key === 'outData') g.emit(`if (${v}.length !== 0) return false;`);
        g.text(`  ${labelPrefix}${f.name}: `);
        g.emit(`p = putShowBytes(o, p, ${v}, maxBytes);`);
        g.bound.push(`4 * (maxBytes > 0 && maxBytes < ${obj}.${f.key}.length ? maxBytes : ${obj}.${f.key}.length)`, 64);
        if (f.key === 'value') {
          // (the general renderer's meaning of a node value: its size)
          g.text('  (');
          g.emit(`p = putUint(o, p, ${v}.length);`);
          g.text(' byte');
          g.emit(`if (${v}.length !== 1) o[p++] = 115; // s`);
          g.text(')');
          g.bound.push(NUM_MAX + 1);
        }
        g.text('\n');
        break;
      }
      case 'array': {
        // Only the permission list has a text form of its own (one line per entry).
        if (f.key !== 'perms') throw new Unsupported(`array ${f.key}`);
        if (g.spans) {
          genPermsFromSource(g, f, obj);
          break;
        }
        const ps = g.v('perms');
        g.emit(`const ${ps} = ${obj}.perms;`);
        g.bound.push(`${obj}.perms.length * ${PERM_LINE_MAX}`);
        // The line of each of the first entries is kept while it repeats (nodes come domain
        // by domain, with the same owner and readers): measured 25% of the node's render time.
        g.emit(`for (let i = 0; i < ${ps}.length; i++) {`);
        g.emit(`  const q = ${ps}[i];`);
        g.emit(`  const pc = i < ${PERM_CACHES} ? PC[i] : undefined;`);
        g.emit(`  if (pc !== undefined && q.domid === pc.domid && q.perm === pc.perm && q.flags === pc.flags) { p = putLine(dv, p, pc.line); continue; }`);
        g.emit(`  const lineStart = p;`);
        g.text('  perms[');
        g.emit(`  p = putUint(o, p, i);`);
        g.text(']: ');
        g.emit(`  p = putEscStr(o, dv, p, q.perm); p = putUint(o, p, q.domid);`);
        g.emit(`  p = putPermMeaning(o, p, q, i === 0);`);
        g.text('\n');
        g.emit(`  if (pc !== undefined) { pc.domid = q.domid; pc.perm = q.perm; pc.flags = q.flags; pc.line = lineOf(o, lineStart, p); }`);
        g.emit(`}`);
        // (constant text inside the loop is counted once in constSize; PERM_LINE_MAX covers each line)
        break;
      }
      case 'ints': {
        // Quota values: shown with their names, one line per quota, from the model's lists.
        if (f.key !== 'quotaVal') throw new Unsupported(`ints ${f.key}`);
        const qs = g.v('quotas');
        g.pre.push(`const ${qs} = quotaList(r);`);
        g.pre.push(`let ${qs}_names = 0; for (let i = 0; i < ${qs}.length; i++) ${qs}_names += ${qs}[i].name.length;`);
        g.bound.push(`4 * ${qs}_names + ${qs}.length * ${32 + NUM_MAX + MEANING_MAX}`);
        g.emit(`for (let i = 0; i < ${qs}.length; i++) {`);
        g.emit(`  const q = ${qs}[i];`);
        g.text('  quota ');
        g.emit(`  p = putEscStr(o, dv, p, q.name);`);
        g.text(': ');
        g.emit(`  p = putUint(o, p, q.value);`);
        g.emit(`  p = putMeaning(o, p, quotaMeaning(r, i, q.value)); if (p < 0) return false;`);
        g.text('\n');
        g.emit(`}`);
        break;
      }
      case 'cstrings':
        // Quota names: shown with their values above.
        if (f.key !== 'quotaNames') throw new Unsupported(`cstrings ${f.key}`);
        break;
      case 'align':
        // Zero padding is not shown; non-zero padding is an anomaly the general renderer shows.
        g.emit(`if (${obj}.${f.key} !== undefined) return false;`);
        break;
      case 'optional': {
        const on = scope.get(f.when.key);
        if (on === undefined) throw new Unsupported(`optional on ${f.when.key}`);
        g.emit(`if ((${on} & ${f.when.mask}) !== 0) {`);
        genFields(g, layout, f.fields, obj, scope, labelPrefix);
        g.emit(`}`);
        break;
      }
      case 'switch': {
        const tag = scope.get(f.on);
        if (tag === undefined) throw new Unsupported(`switch on ${f.on}`);
        const spec = g.v(f.key);
        g.emit(`const ${spec} = ${obj}.${f.key};`);
        Object.entries(f.cases).forEach(([value, c], k) => {
          g.emit(`${k === 0 ? '' : 'else '}if (${tag} === ${Number(value)}) {`);
          genFields(g, layout, c.fields, spec, new Map(), `${f.name}.`);
          g.emit(`}`);
        });
        // Other values: the raw conn-spec bytes, shown by the general renderer.
        g.emit(`else return false;`);
        break;
      }
      default:
        throw new Unsupported(f.kind);
    }
  }
}

/** The bound as one expression: the constant terms summed. */
function boundExpr(g: Gen): string {
  let k = g.constSize;
  const terms: string[] = [];
  for (const t of g.bound) {
    if (typeof t === 'number') k += t;
    else terms.push(t);
  }
  return [String(k), ...terms].join(' + ');
}

/** Generates the renderer of `layout`: its source and constant pieces, or undefined if not covered. */
function generate(layout: RecordLayout, spans: boolean, little = true): { source: string; lineCaches: number } | undefined {
  const g = new Gen(spans, little, spans ? sourcePositions(layout) : undefined);
  // Header line: `#index @offset (0xhex) TYPE len N`, after a blank line.
  g.text('\n#');
  g.emit('p = putUint(o, p, loc.index);');
  g.text(' @');
  g.emit('p = putUint(o, p, loc.offset);');
  g.text(' (0x');
  g.emit('p = putHex(o, p, loc.offset);');
  g.text(`) ${layout.type} len `);
  g.emit('p = putUint(o, p, loc.len);');
  g.text('\n');
  g.bound.push(4 * NUM_MAX, SLACK);
  try {
    genFields(g, layout, layout.fields, 'r', new Map(), '');
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  g.flushText();
  const source = [
    `// ${layout.type}${spans ? ', strings as spans' : ''} (generated from wire/layout.ts by dump-bytes.ts)`,
    // Anomalies the general renderer shows as such.
    `if (r.len !== undefined || r.padding !== undefined || r.unterminated !== undefined) return false;`,
    `const cn = isCommittedNode(r);`,
    ...g.pre,
    `const start = out.reserve(${boundExpr(g)});`,
    `if (start < 0) return false;`,
    `const o = out.buffer;`,
    `const dv = viewFor(o);`,
    `let p = start;`,
    ...g.lines,
    `out.commit(p);`,
    `return true;`,
  ].join('\n');
  return { source, lineCaches: g.lineCaches };
}

/** The source of the renderer for `layout` (for inspection), or undefined if it has none. */
export function rendererSource(layout: RecordLayout, spans = false, little = true): string | undefined {
  return generate(layout, spans, little)?.source;
}

/** Everything the generated code calls, passed in once (constants of its closure). */
const HELPERS = {
  putBytes, putLine, lineOf, viewFor, viewOfSource, putAscii, putUint, putInt, putHex, putEscStr, putEscBytes, putEscByte,
  putShowBytes, putShowBytesAt, putMeaning, putPermMeaning, putPermMeaningOf,
  MEAN: INT_MEANINGS, isCommittedNode, quotaList, quotaMeaning,
};

function compile(layout: RecordLayout, spans: boolean, little = true): RecordBytesRenderer | undefined {
  const gen = generate(layout, spans, little);
  if (gen === undefined) return undefined;
  const names = Object.keys(HELPERS);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(...names, 'LC', 'PC', 'PCS', `return function render_${layout.type}(r, loc, out, maxBytes) {\n${gen.source}\n};`);
  const lineCaches = Array.from({ length: gen.lineCaches }, () => ({ v: NaN, cn: false, line: NO_LINE })); // (NaN equals no value)
  const permCaches = Array.from({ length: PERM_CACHES }, () => ({ domid: -1, perm: '', flags: -1, line: NO_LINE }));
  // (the span form keeps the letter as its byte)
  const permCodeCaches = Array.from({ length: PERM_CACHES }, () => ({ domid: -1, perm: -1, flags: -1, line: NO_LINE }));
  return make(...names.map((n) => HELPERS[n as keyof typeof HELPERS]), lineCaches, permCaches, permCodeCaches) as RecordBytesRenderer;
}

/** Renderers by type code (known types only), compiled on first use; null: no fast form. */
const RENDERERS: (RecordBytesRenderer | null | undefined)[] = [];

/**
 * Writes dump's plain text of `r` (with the blank line before it) into `out`, exactly as
 * renderRecord shows it without colour and with `maxBytes`. Returns false, having written
 * nothing, for a record it does not cover: the caller renders that one the general way.
 */
export function renderRecordBytes(r: XsRecord, loc: RecordLocation, out: ByteOut, maxBytes: number): boolean {
  // Unknown types, and the short-header watch (a layout of its own, and a note), go the general way.
  if (r.type === 'UNKNOWN' || (r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect !== undefined)) return false;
  // (by type code, an array index: a Map keyed by the type name cost 5% of the render)
  let f = RENDERERS[loc.typeCode];
  if (f === undefined) RENDERERS[loc.typeCode] = f = compile(LAYOUTS[r.type], false) ?? null;
  return f !== null && f(r, loc, out, maxBytes);
}

// ---------------------------------------------------------------------------------------------
// Records read with a field selection

/**
 * The types dump asks the reader to build only in part (the bulk of a stream): their strings
 * as spans of the input chunk (where the bytes lie, no string made), their arrays and byte
 * fields not at all (the renderer reads them from the chunk, placed from the strings' spans and
 * the selected counts); their integers as usual. Measured on the bench stream: the reader's
 * path strings, permission objects and value views were a quarter of the dump's time.
 */
const SPAN_TYPES: readonly RecordTypeName[] = ['NODE_DATA', 'WATCH_DATA'];

/** The selection of a span type: integers (with the counts of arrays and bytes), strings as spans. */
function selectionOf(layout: RecordLayout): string[] {
  const keys: string[] = [];
  for (const f of layout.fields) {
    if (f.kind === 'int') {
      const target = f.sizeOf ?? f.countOf;
      const derivedFromString = target !== undefined && layout.fields.some((t) => t.kind === 'cstring' && t.key === target);
      if (!derivedFromString) keys.push(f.key);
    } else if (f.kind === 'cstring') keys.push(`${f.key}:span`);
    else if (f.kind !== 'array' && f.kind !== 'bytes') throw new Error(`dump-bytes: no selection for ${layout.type} (${f.kind})`);
  }
  return keys;
}

/**
 * What dump asks the StreamReader to build (its `select` option) when no filter needs the
 * records whole. Render them with renderSelectedRecordBytes; completeRecord makes one whole.
 */
export const DUMP_SELECTION: FieldSelection = Object.fromEntries(SPAN_TYPES.map((t) => [t, selectionOf(LAYOUTS[t])]));

/** Where the body of a selected record starts in its `source`, per span type (from the spans). */
const BODY_START: Partial<Record<string, (r: unknown) => number>> = Object.fromEntries(
  SPAN_TYPES.map((t) => {
    const at = sourcePositions(LAYOUTS[t]).get('');
    if (at === undefined) throw new Error(`dump-bytes: no body position for ${t}`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return [t, new Function('r', `return ${at};`) as (r: unknown) => number];
  }),
);

/** A record read with DUMP_SELECTION carries `source`: the chunk its spans point into. */
type SelectedRecord = XsRecord & { source?: Buffer };

const SPAN_RENDERERS: Record<ByteOrder, (RecordBytesRenderer | null | undefined)[]> = { little: [], big: [] };

/** renderRecordBytes for a record read with DUMP_SELECTION from a stream of byte order `order`. */
export function renderSelectedRecordBytes(r: XsRecord, loc: RecordLocation, out: ByteOut, maxBytes: number, order: ByteOrder): boolean {
  // (A record of another type, or one the reader decoded the slow way, comes whole.)
  if ((r as SelectedRecord).source === undefined) return renderRecordBytes(r, loc, out, maxBytes);
  const table = SPAN_RENDERERS[order];
  let f = table[loc.typeCode];
  if (f === undefined) table[loc.typeCode] = f = compile(LAYOUTS[r.type as RecordTypeName], true, order === 'little') ?? null;
  return f !== null && f(r, loc, out, maxBytes);
}

/** The whole model record of a record read with DUMP_SELECTION (decoded again from its source). */
export function completeRecord(r: XsRecord, loc: RecordLocation, order: ByteOrder): XsRecord {
  const src = (r as SelectedRecord).source;
  const bodyStart = BODY_START[r.type];
  if (src === undefined || bodyStart === undefined) return r;
  const at = bodyStart(r) - RECORD_HEADER_SIZE;
  return decodeRecordFast(src, viewOf(src), at, loc.index, order, loc.offset - at).record;
}
