// dump's plain text, rendered straight into the output buffer as bytes. On a large stream dump
// prints about 336 bytes of text per record; building a JS string per record and encoding it
// afterwards cost about 3 s for 1.25 million records (issue 6). Here, for each record layout
// in wire/layout.ts, a renderer is generated once (with `new Function`, as fast-decode.ts
// generates decoders) that writes the record's block into BlockWriter's buffer: the constant
// text (field names, separators) pre-encoded once as bytes, integers formatted as digits in
// place, paths and values copied with the escape scan, meanings taken from the tables the
// general renderer uses (record.ts). There is no second list of fields: the generated code
// walks the layout declaration.
//
// The text is ASCII by construction (every other byte is escaped), so bytes and latin1 chars
// are the same. It prints exactly what renderRecord prints without colour; what it does not
// cover (anomalies: a declared len, non-zero padding or internal pad, unterminated strings;
// the Xen 4.22 short header; unknown record types and conn-types; pending wire data; anything
// too large for the buffer) makes the renderer return false, having written nothing, and the
// caller uses the general renderer. test/dump-bytes.test.ts holds the two against each other.

import { LAYOUTS, type Field, type RecordLayout } from '../../wire/layout.js';
import { reservedDomidName, type RecordTypeName } from '../../wire/constants.js';
import type { FieldSelection } from '../../model/fast-decode.js';
import type { Permission, RecordLocation, XsRecord } from '../../model/types.js';
import type { BlockWriter } from '../output.js';
import { HEX_INT_KEYS, INT_MEANINGS, isCommittedNode, permMeaningOf, quotaList, quotaMeaning } from './record.js';

/** Where a renderer writes: BlockWriter's direct-write interface. */
export type ByteOut = Pick<BlockWriter, 'reserve' | 'buffer' | 'commit'>;

/** Renders one record's block (the blank line before it included); false: not covered, nothing written. */
export type RecordBytesRenderer = (r: XsRecord, loc: RecordLocation, out: ByteOut, maxBytes: number) => boolean;

// ---------------------------------------------------------------------------------------------
// Byte primitives (plain functions the generated code calls; TurboFan inlines them)

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

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
  const len = b.length;
  if (len === 0) {
    o[p] = 34;
    o[p + 1] = 34;
    return p + 2;
  }
  const n = max > 0 && max < len ? max : len;
  let escaped = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) escaped++;
  }
  if (escaped * 3 <= n) {
    o[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = b[i]!;
      if (c >= 0x20 && c <= 0x7e && c !== 92) o[p++] = c;
      else p = putEscaped(o, p, c);
    }
    o[p++] = 34;
  } else {
    p = putBytes(o, p, HEX_SP);
    for (let i = 0; i < n; i++) {
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
  const dn = reservedDomidName(q.domid);
  const code = q.perm.length === 1 ? q.perm.charCodeAt(0) : -1;
  const key = code >= 0 && code < 256 && dn === undefined ? code | (q.flags << 8) | (owner ? 1 << 16 : 0) : -1;
  let b = key >= 0 ? permMeanings.get(key) : undefined;
  if (b === undefined) {
    b = enc(`  (${permMeaningOf(q.perm, q.flags, owner, dn)})`);
    if (key >= 0 && permMeanings.size < 4096) permMeanings.set(key, b);
  }
  return putBytes(o, p, b);
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
  /** `spans`: the record's strings come as spans of its `source` (DUMP_SELECTION). */
  constructor(readonly spans: boolean) {}
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
          if (target.kind !== 'cstring') expr = `${obj}.${f.sizeOf}.length`;
          else if (g.spans) expr = `(${obj}.${f.sizeOf}End - ${obj}.${f.sizeOf}Start + 1)`;
          else expr = `(${obj}.${f.sizeOf}.length + 1)`;
        } else if (f.countOf !== undefined) expr = `${obj}.${f.countOf}.length`;
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
function generate(layout: RecordLayout, spans: boolean): { source: string; lineCaches: number } | undefined {
  const g = new Gen(spans);
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
export function rendererSource(layout: RecordLayout, spans = false): string | undefined {
  return generate(layout, spans)?.source;
}

/** Everything the generated code calls, passed in once (constants of its closure). */
const HELPERS = {
  putBytes, putLine, lineOf, viewFor, putAscii, putUint, putInt, putHex, putEscStr, putEscBytes, putShowBytes, putMeaning, putPermMeaning,
  MEAN: INT_MEANINGS, isCommittedNode, quotaList, quotaMeaning,
};

function compile(layout: RecordLayout, spans: boolean): RecordBytesRenderer | undefined {
  const gen = generate(layout, spans);
  if (gen === undefined) return undefined;
  const names = Object.keys(HELPERS);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(...names, 'LC', 'PC', `return function render_${layout.type}(r, loc, out, maxBytes) {\n${gen.source}\n};`);
  const lineCaches = Array.from({ length: gen.lineCaches }, () => ({ v: NaN, cn: false, line: NO_LINE })); // (NaN equals no value)
  const permCaches = Array.from({ length: PERM_CACHES }, () => ({ domid: -1, perm: '', flags: -1, line: NO_LINE }));
  return make(...names.map((n) => HELPERS[n as keyof typeof HELPERS]), lineCaches, permCaches) as RecordBytesRenderer;
}

/** Renderers by type code (known types only), compiled on first use; null: no fast form. */
const RENDERERS: (RecordBytesRenderer | null | undefined)[] = [];
const SPAN_RENDERERS: (RecordBytesRenderer | null | undefined)[] = [];

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
// Strings as spans

/**
 * The types whose strings dump asks the reader for as spans (where their bytes lie in the
 * chunk) rather than as JS strings: the bulk of a stream. Measured on the bench stream: the
 * reader makes each node's path string and the renderer reads it back char by char; with spans
 * the renderer copies the bytes, and the whole dump takes about 6% less time.
 */
const SPAN_TYPES: readonly RecordTypeName[] = ['NODE_DATA', 'WATCH_DATA'];

/** The model keys a layout's records carry (sizes and counts are derived), strings as `key:span`. */
function selectionOf(layout: RecordLayout): string[] {
  const keys: string[] = [];
  for (const f of layout.fields) {
    if (f.kind === 'optional' || f.kind === 'align' || f.kind === 'switch' || f.kind === 'ints' || f.kind === 'cstrings') {
      throw new Error(`dump-bytes: no span selection for ${layout.type} (${f.kind})`);
    }
    if (f.kind === 'int' && (f.sizeOf !== undefined || f.countOf !== undefined)) continue;
    keys.push(f.kind === 'cstring' ? `${f.key}:span` : f.key);
  }
  return keys;
}

/**
 * What dump asks the StreamReader to build (its `select` option) when no filter needs the
 * records whole: the records of SPAN_TYPES with their strings as spans of `source`; other
 * types whole. Render them with renderSelectedRecordBytes; completeRecord makes one whole.
 */
export const DUMP_SELECTION: FieldSelection = Object.fromEntries(SPAN_TYPES.map((t) => [t, selectionOf(LAYOUTS[t])]));

/** The span keys of each selected type: `path` for `path:span`. */
const SPAN_KEYS: Partial<Record<string, string[]>> = Object.fromEntries(
  SPAN_TYPES.map((t) => [t, DUMP_SELECTION[t]!.filter((k) => k.endsWith(':span')).map((k) => k.slice(0, -':span'.length))]),
);

/** A record read with DUMP_SELECTION carries `source` and, per string, `keyStart`/`keyEnd`. */
type SpanRecord = Record<string, unknown> & { source?: Buffer };

/** renderRecordBytes for a record read with DUMP_SELECTION (strings as spans, or whole). */
export function renderSelectedRecordBytes(r: XsRecord, loc: RecordLocation, out: ByteOut, maxBytes: number): boolean {
  // (A record the reader decoded the slow way comes whole, without `source`.)
  if ((r as unknown as SpanRecord).source === undefined) return renderRecordBytes(r, loc, out, maxBytes);
  let f = SPAN_RENDERERS[loc.typeCode];
  if (f === undefined) SPAN_RENDERERS[loc.typeCode] = f = compile(LAYOUTS[r.type as RecordTypeName], true) ?? null;
  return f !== null && f(r, loc, out, maxBytes);
}

/** The whole model record of a record read with DUMP_SELECTION: its strings made from their spans. */
export function completeRecord(r: XsRecord): XsRecord {
  const m = r as unknown as SpanRecord;
  const keys = SPAN_KEYS[r.type];
  if (m.source === undefined || keys === undefined) return r;
  const whole: SpanRecord = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'source' && !keys.some((s) => k === `${s}Start` || k === `${s}End`)) whole[k] = v;
  for (const k of keys) whole[k] = m.source.toString('latin1', m[`${k}Start`] as number, m[`${k}End`] as number);
  return whole as unknown as XsRecord;
}
