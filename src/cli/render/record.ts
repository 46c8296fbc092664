// One record as text for `dump`: the fields in wire order with their format names (taken from
// the layout declarations through the span walker), each with its decoded meaning, and
// optionally the record's bytes as an annotated hex dump whose every line names its field.

import { hexy } from 'hexy';
import {
  DEPTH_UNLIMITED, DOMID, type ByteOrder, accessName, connTypeName, featureNames,
  recordTypeLabel, reservedDomidName, PERM_LETTERS, PERM_FLAG_STALE,
} from '../../wire/constants.js';
import { LAYOUTS, WATCH_DATA_EXTENDED_SHORT, camelToFormatName, type RecordLayout } from '../../wire/layout.js';
import { walkSpans, type Span } from '../../wire/spans.js';
import type { Permission, Quota, RecordLocation, XsRecord } from '../../model/types.js';
import type { Palette } from '../color.js';
import { showBytes, xsEscapeString } from './escape.js';
import { domidText } from './names.js';
import { countMessages, eachMessage, messageSpans, splitMessages, WIRE_HEADER_SIZE } from './messages.js';

export interface RenderOptions {
  order: ByteOrder;
  /** Cut long values after this many bytes; 0 shows all. */
  maxBytes: number;
  hex: boolean;
  color: Palette;
}

export function layoutOf(r: XsRecord): RecordLayout | undefined {
  if (r.type === 'UNKNOWN') return undefined;
  if (r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect) return WATCH_DATA_EXTENDED_SHORT;
  return LAYOUTS[r.type];
}

/** Every byte of the record as spans with absolute offsets: envelope, body fields, padding. */
export function recordSpans(r: XsRecord, loc: RecordLocation, bytes: Uint8Array, order: ByteOrder): Span[] {
  const abs = loc.offset;
  const spans: Span[] = [
    { path: 'type', name: 'type', doc: 'record type', start: abs, end: abs + 4, value: loc.typeCode },
    { path: 'len', name: 'len', doc: 'body length', start: abs + 4, end: abs + 8, value: loc.len },
  ];
  const layout = layoutOf(r);
  let end = 8;
  if (layout) {
    const limit = r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect ? bytes.length : Math.min(bytes.length, 8 + loc.len);
    const w = walkSpans(layout, bytes, 8, limit, order, { recordIndex: loc.index, recordType: loc.typeCode }, abs);
    // (a loop, not push(...w.spans): a NODE_DATA may hold 65,535 permissions, a quota record
    // 65,535 quotas, and a spread of that many arguments overflows the stack)
    for (const s of w.spans) spans.push(s);
    end = w.end;
  } else if (r.type === 'UNKNOWN') {
    spans.push({ path: 'body', name: 'body', doc: 'body of an unknown record type', start: abs + 8, end: abs + 8 + r.body.length });
    end = 8 + r.body.length;
  }
  if (end < loc.wireLen) {
    spans.push({ path: 'padding', name: 'padding', doc: 'zero padding to the next 8-byte boundary', start: abs + end, end: abs + loc.wireLen });
  }
  return spans;
}


/**
 * Whether `r` is a committed node (NODE_DATA with conn-id 0): the only thing besides its own
 * value that an integer field's meaning depends on (its conn-id, tx-id and access are unused).
 */
export function isCommittedNode(r: XsRecord): boolean {
  return r.type === 'NODE_DATA' && r.connId === 0;
}

type IntMeaning = (v: number | bigint, committedNode: boolean) => string | undefined;
const num = (v: number | bigint): number => v as number;

/**
 * Meanings of integer fields by their layout key; a key not listed has none. Shared by the
 * general renderer and the generated one (dump-bytes.ts), which asks this table which fields
 * have a meaning at all.
 */
export const INT_MEANINGS: Readonly<Record<string, IntMeaning>> = {
  type: (v) => recordTypeLabel(num(v)),
  connType: (v) => connTypeName(num(v)),
  fields: (v) => (num(v) & 1 ? 'unique-id present' : 'no unique-id'),
  domid: (v) => reservedDomidName(num(v)),
  domainId: (v) => reservedDomidName(num(v)),
  tdomid: (v) => (v === DOMID.INVALID ? 'DOMID_INVALID: no target' : `acts for domain ${domidText(num(v))}`),
  rwSocketFd: (v) => (v === -1 ? 'unused' : undefined),
  evtchnFd: (v) => (v === -1 ? 'unused' : undefined),
  socketFd: (v) => (v === -1 ? 'unused' : undefined),
  depth: (v) => (v === DEPTH_UNLIMITED ? 'unlimited' : `${v} level${v === 1 ? '' : 's'} below wpath`),
  access: (v, committed) => (committed ? 'not used: committed node' : accessName(num(v))),
  txId: (_v, committed) => (committed ? 'ignored: committed node' : undefined),
  connId: (v, committed) => (committed && v === 0 ? 'committed node' : undefined),
  features: (v) => {
    const names = featureNames(num(v));
    return names.length ? names.join(', ') : 'none';
  },
  uniqueId: (v) => `0x${(v as bigint).toString(16).padStart(16, '0')}`,
  pad: (v) => (v ? 'not zero' : undefined),
  outRespLen: (v) => (v ? `the first ${v} bytes of out-data: rest of a partly sent response` : undefined),
};

function intMeaning(key: string, v: number | bigint, r: XsRecord): string | undefined {
  return Object.hasOwn(INT_MEANINGS, key) ? INT_MEANINGS[key]!(v, isCommittedNode(r)) : undefined;
}

/** Integer fields shown in hex (bit sets); every other integer is shown in decimal. */
export const HEX_INT_KEYS: ReadonlySet<string> = new Set(['fields', 'features']);

function fmtInt(key: string, v: number | bigint): string {
  if (HEX_INT_KEYS.has(key)) return `0x${v.toString(16)}`;
  return v.toString();
}

const leafKeys = new Map<string, string>();
/** `perms[1].domid` -> `domid`, `quotaVal[3]` -> `quotaVal` (memoised: dump calls it per field). */
function leafKey(path: string): string {
  let k = leafKeys.get(path);
  if (k === undefined) {
    k = path.replace(/^.*[.\]]/, '').replace(/\[\d+\]$/, '');
    if (leafKeys.size < 100_000) leafKeys.set(path, k);
  }
  return k;
}

function permValue(p: Permission): string {
  return `${xsEscapeString(p.perm)}${p.domid}`;
}

/** What a permission entry means: owner or access, stale, reserved domain. */
function permMeaning(p: Permission, i: number): string {
  return permMeaningOf(p.perm, p.flags, i === 0, reservedDomidName(p.domid));
}

/**
 * permMeaning by everything it depends on (so that the generated renderer can keep the text
 * of the few combinations a stream holds): the letter, the flags, owner or not, and the
 * domain's reserved name.
 */
export function permMeaningOf(perm: string, flags: number, owner: boolean, domidName: string | undefined): string {
  const notes = [owner ? 'owner' : PERM_LETTERS[perm] ?? 'invalid letter'];
  if (owner) notes.push(PERM_LETTERS[perm] ? `others: ${PERM_LETTERS[perm]}` : 'invalid letter');
  if (flags & PERM_FLAG_STALE) notes.push('stale, ignored');
  if (flags & ~PERM_FLAG_STALE) notes.push(`flags 0x${flags.toString(16)}`);
  if (domidName) notes.push(domidName);
  return notes.join('; ');
}

/** The quotas of a GLOBAL_QUOTA_DATA (per-domain defaults, then global) or DOMAIN_DATA record. */
export function quotaList(r: XsRecord): Quota[] {
  return r.type === 'GLOBAL_QUOTA_DATA' ? [...r.domQuotas, ...r.globQuotas] : r.type === 'DOMAIN_DATA' ? r.quotas : [];
}

/** What the `i`th quota of quotaList(r) means: unlimited, and which kind (GLOBAL_QUOTA_DATA). */
export function quotaMeaning(r: XsRecord, i: number, value: number): string | undefined {
  const scope = r.type === 'GLOBAL_QUOTA_DATA' ? (i < r.domQuotas.length ? 'per-domain default' : 'global') : '';
  return [value === 0 ? 'unlimited' : '', scope].filter(Boolean).join('; ') || undefined;
}

/** One field of a record as `dump` names and shows it, with the spans that hold its bytes. */
export interface RecordField {
  /** As dump prints it: `conn-id`, `conn-spec.tdomid`, `perms[0]`, `quota nodes`. */
  label: string;
  /** The value as dump prints it (escaped text, or hex). */
  value: string;
  /** Decoded meaning, if any. */
  meaning?: string;
  /** The meaning is a warning (shown in yellow). */
  warn?: boolean;
  /** Indexes into the record's spans (recordSpans) of the bytes that hold this field. */
  spans: number[];
  /** Pending wire messages decoded from in-data/out-data: `kind` (message type) and the rest of the line. */
  messages?: { kind: string; rest: string }[];
  /** A note about the record (producer defect) rather than a field of the format. */
  note?: boolean;
  /**
   * Where it is shown: `text` only by dump's text output, `html` only by the HTML report
   * (the envelope, zero padding: dump shows them in its header line or not at all).
   */
  only?: 'text' | 'html';
}

/** Small memo for the per-span string work (a big stream repeats the same few paths). */
function memo(f: (k: string) => string): (k: string) => string {
  const cache = new Map<string, string>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      if (cache.size > 10_000) cache.clear();
      v = f(k);
      cache.set(k, v);
    }
    return v;
  };
}

/**
 * The fields of a record in wire order, each with its meaning and the spans of its bytes: the
 * data behind dump's text lines and the HTML report. Every span belongs to exactly one field.
 */
export function recordFields(r: XsRecord, loc: RecordLocation, bytes: Uint8Array, order: ByteOrder, maxBytes: number, spans = recordSpans(r, loc, bytes, order)): RecordField[] {
  const fields: RecordField[] = [];
  const field = (label: string, value: string, meaning: string | undefined, spanIdx: number[], extra: Partial<RecordField> = {}): RecordField => {
    const f: RecordField = { label, value, spans: spanIdx, ...extra };
    if (meaning) f.meaning = meaning;
    fields.push(f);
    return f;
  };
  /** perms[i] and quota i gather several spans in one field. */
  const grouped = new Map<string, RecordField>();
  const quotaAll = quotaList(r);
  let paddingSpan: number | undefined;

  const m = r as unknown as Record<string, unknown>;
  spans.forEach((s, si) => {
    const key = leafKey(s.path);
    if (s.path === 'type' || s.path === 'len') {
      field(s.name, String(s.value), s.path === 'type' ? recordTypeLabel(loc.typeCode) : undefined, [si], { only: 'html' });
      return;
    }
    if (s.path === 'padding') {
      paddingSpan = si;
      return;
    }
    if (s.path.startsWith('perms[')) {
      const i = Number(/perms\[(\d+)\]/.exec(s.path)![1]);
      const group = grouped.get(`perms[${i}]`);
      if (group) {
        group.spans.push(si);
        return;
      }
      const p = (r as Extract<XsRecord, { type: 'NODE_DATA' }>).perms[i]!;
      grouped.set(`perms[${i}]`, field(`perms[${i}]`, permValue(p), permMeaning(p, i), [si]));
      return;
    }
    if (s.path.startsWith('quotaVal[') || s.path.startsWith('quotaNames[')) {
      // quota-val[i] and quota-names[i] are one quota: one field with both spans.
      const i = Number(/\[(\d+)\]/.exec(s.path)![1]);
      const group = grouped.get(`quota[${i}]`);
      if (group) {
        group.spans.push(si);
        return;
      }
      const q = quotaAll[i]!;
      grouped.set(`quota[${i}]`, field(`quota ${xsEscapeString(q.name)}`, String(q.value), quotaMeaning(r, i, q.value), [si]));
      return;
    }
    if (s.value !== undefined) {
      field(s.path.startsWith('connSpec.') ? `conn-spec.${s.name}` : s.name, fmtInt(key, s.value), intMeaning(key, s.value, r), [si]);
      return;
    }
    // Strings and bytes: the decoded value from the model.
    const v = s.path.startsWith('connSpec.') ? (m.connSpec as Record<string, unknown>)[key] : m[key];
    if (typeof v === 'string') {
      const unterminated = r.unterminated?.includes(key);
      field(s.name, `"${xsEscapeString(v)}"`, unterminated ? 'no terminating NUL' : undefined, [si]);
    } else if (v instanceof Uint8Array) {
      if ((key === 'inData' || key === 'outData') && v.length) {
        // out-data starts with the unsent rest of a partly sent response (out-resp-len bytes,
        // no header of its own); whole messages follow.
        const partial = key === 'outData' && r.type === 'CONNECTION_DATA' ? Math.min(r.outRespLen, v.length) : 0;
        // With --max-bytes N, only the messages that start in the first N bytes are listed (at
        // least one), then one line for the rest: 16 MiB of zeros is a million empty CONTROL
        // messages, a million lines otherwise.
        const lines: { kind: string; rest: string }[] = [];
        if (partial) lines.push({ kind: '', rest: `rest of a partly sent response, ${partial} bytes: ${showBytes(v.subarray(0, partial), maxBytes)}` });
        const data = v.subarray(partial);
        const reached = eachMessage(data, order, (msg, at) => {
          if (maxBytes > 0 && lines.length > 0 && partial + at >= maxBytes) return false;
          const state = msg.complete ? '' : `, ${msg.payload.length} of ${msg.len} payload bytes received`;
          lines.push({ kind: msg.typeName, rest: ` req-id ${msg.reqId} tx-id ${msg.txId} len ${msg.len}${state}: ${showBytes(msg.payload, maxBytes)}` });
          return true;
        });
        const rest = data.subarray(reached);
        if (rest.length >= WIRE_HEADER_SIZE) {
          const n = countMessages(data, order, reached);
          lines.push({ kind: '', rest: `... ${n} more message${n === 1 ? '' : 's'} in the last ${rest.length} bytes (--max-bytes 0 shows all)` });
        } else if (rest.length) lines.push({ kind: '', rest: `fragment of a message header: ${showBytes(rest, maxBytes)}` });
        field(s.name, `${v.length} bytes`, undefined, [si], { messages: lines });
      } else if (key === 'dataPad') {
        field(s.name, Buffer.from(v).toString('hex'), 'not zero', [si]);
      } else if (r.type === 'UNKNOWN' && key === 'body') {
        // shown once, with its note, after the fields
      } else {
        field(s.name, showBytes(v, maxBytes), key === 'value' ? `${v.length} byte${v.length === 1 ? '' : 's'}` : undefined, [si]);
      }
    } else if (key === 'dataPad') {
      // zero padding between data and unique-id: not shown by dump
      field(s.name, `${s.end - s.start} zero byte${s.end - s.start === 1 ? '' : 's'}`, 'padding to a multiple of 8', [si], { only: 'html' });
    } else {
      field(s.name, `${s.end - s.start} bytes`, s.doc, [si], { only: 'html' });
    }
  });
  if (r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect) {
    field('producer defect', 'Xen 4.22 short header: depth and pad were not written; the depth is lost' +
      (r.len !== undefined ? `; declared len ${loc.len} overruns the record` : ''), undefined, [], { note: true });
  }
  if (r.type === 'UNKNOWN') {
    const bodySpan = spans.findIndex((s) => s.path === 'body');
    field('body', showBytes(r.body, maxBytes), `${r.body.length} bytes, unknown type kept as is`, bodySpan >= 0 ? [bodySpan] : []);
  }
  const padSpans = paddingSpan === undefined ? [] : [paddingSpan];
  if (r.padding) field('padding', Buffer.from(r.padding).toString('hex'), 'not zero', padSpans, { warn: true });
  else if (paddingSpan !== undefined) {
    const n = spans[paddingSpan]!.end - spans[paddingSpan]!.start;
    field('padding', `${n} zero byte${n === 1 ? '' : 's'}`, 'to the next 8-byte boundary', padSpans, { only: 'html' });
  }
  return fields;
}

/** The text lines of one record (without a trailing blank line). */
export function renderRecord(r: XsRecord, loc: RecordLocation, bytes: Uint8Array, o: RenderOptions): string[] {
  const c = o.color;
  const lines: string[] = [];
  const typeName = r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type;
  lines.push(
    `${c.bold(`#${loc.index}`)} ${c.dim(`@${loc.offset} (0x${loc.offset.toString(16)})`)} ${c.cyan(c.bold(typeName))} len ${loc.len}` +
      (r.len !== undefined ? c.yellow('  (non-canonical len)') : ''),
  );
  const spans = recordSpans(r, loc, bytes, o.order);
  for (const f of recordFields(r, loc, bytes, o.order, o.maxBytes, spans)) {
    if (f.only === 'html') continue;
    if (f.note) {
      lines.push(`  ${c.yellow(f.label)}: ${f.value}`);
      continue;
    }
    const meaning = f.meaning === undefined ? '' : c.dim(`  (${f.warn ? c.yellow(f.meaning) : f.meaning})`);
    lines.push(`  ${c.magenta(f.label)}: ${f.value}${meaning}`);
    for (const msg of f.messages ?? []) lines.push(`    ${msg.kind ? c.green(msg.kind) : ''}${msg.rest}`);
  }
  if (o.hex) for (const l of hexLines(r.type === 'CONNECTION_DATA' ? withMessageSpans(r, spans, o.order) : spans, bytes, loc.offset, c, o.maxBytes)) lines.push(l);
  return lines;
}

/** A connection's spans with in-data and out-data cut into their wire messages' fields (the hex view). */
function withMessageSpans(r: Extract<XsRecord, { type: 'CONNECTION_DATA' }>, spans: Span[], order: ByteOrder): Span[] {
  return spans.flatMap((s) => {
    if ((s.path !== 'inData' && s.path !== 'outData') || s.end <= s.start) return [s];
    const data = s.path === 'inData' ? r.inData : r.outData;
    const name = s.path === 'inData' ? 'in-data' : 'out-data';
    return messageSpans(name, data, s.start, order, s.path === 'outData' ? r.outRespLen : 0).map((m) => ({ ...s, start: m.start, end: m.end, label: m.label }));
  });
}

/** A span's label by format names: `perms[1].domid`, `conn-spec.evtchn`, `quota-val[3]`. */
export function spanLabel(s: Span): string {
  return labelOf(`${s.path}\0${s.name}`);
}
const labelOf = memo((key: string) => {
  const [path, name] = key.split('\0') as [string, string];
  const parts = path.split('.');
  const last = parts.pop()!;
  const index = /(\[\d+\])$/.exec(last)?.[1] ?? '';
  return [...parts.map((p) => camelToFormatName(p)), `${name}${index}`].join('.');
});

/**
 * The record's bytes, one hexy block per field span, each line tagged with the field: the
 * offsets are absolute, so they match `xxd` of the whole file.
 */
export function hexLines(spans: Span[], bytes: Uint8Array, base: number, c: Palette, maxBytes = 0): string[] {
  const out: string[] = [];
  for (const s of spans) {
    if (s.end <= s.start) continue;
    const size = s.end - s.start;
    const shown = maxBytes > 0 ? Math.min(size, Math.max(16, maxBytes)) : size;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset + (s.start - base), shown);
    const text = hexy(chunk, { bytesPerLine: 16, bytesPerGroup: 1, showAddress: true, displayOffset: s.start, annotate: 'ascii', caps: 'lower' });
    for (const line of text.replace(/\n$/, '').split('\n')) {
      // hexy's text column passes DEL (0x7f) through; never send a control byte to a terminal.
      out.push(`    ${c.dim(line.replace(/\x7f/g, '.').trimEnd().padEnd(76))}  ${s.label ?? spanLabel(s)}`);
    }
    if (shown < size) out.push(`    ${c.dim(`... ${size - shown} more bytes of ${s.label ?? spanLabel(s)} (--max-bytes 0 shows all)`)}`);
  }
  return out;
}
