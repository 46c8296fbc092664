// Semantic comparison of two streams. Records are matched by what they describe, not by
// position: nodes by path (and transaction), connections by conn-id, watches by connection,
// path and token, domains by domain id, transactions by conn-id and tx-id. Each record is
// reduced to named facets, and facets are compared one by one. Facets that carry no meaning
// for a reader (declared `len`, padding bytes, missing NULs, reserved bits, the defective
// short header, record order) are compared too, and listed apart.
//
// The converter reports its changes in the same vocabulary (section, key, field, old, new),
// so that `diff(input, output)` can be checked against the conversion report item by item.

import { DEPTH_UNLIMITED, recordTypeLabel, type ByteOrder } from '../wire/constants.js';
import type { NodeData, Stream, StreamHeader, XsRecord } from '../model/types.js';
import { describePending, parsePending } from './pending.js';

export type Section =
  | 'header'
  | 'global'
  | 'quota'
  | 'connection'
  | 'watch'
  | 'transaction'
  | 'node'
  | 'domain'
  | 'unknown'
  | 'framing';

export type DeltaValue = string | number | boolean | null;

/** One field of one item that differs: the shared vocabulary of diff and convert. */
export interface Delta {
  section: Section;
  /** The item: `conn 4`, `/local/domain/1`, `domain 2`, `conn 4 "/vm" token "t"`, `header`. */
  key: string;
  /** `exists` when the whole item is on one side only. */
  field: string;
  old: DeltaValue;
  new: DeltaValue;
}

export interface DiffEntry extends Delta {
  message: string;
  /** Record index in A / B, when the item is a record. */
  indexA?: number;
  indexB?: number;
}

export interface DiffResult {
  /** No difference at all (semantic or byte-level). */
  equal: boolean;
  /** Differences a reader of the stream would see. */
  semantic: DiffEntry[];
  /** Differences in representation only (section `framing`). */
  bytes: DiffEntry[];
}

type Facets = Map<string, DeltaValue>;

interface Item {
  section: Exclude<Section, 'framing'>;
  key: string;
  index: number;
  record: XsRecord;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const q = (s: string): string => JSON.stringify(s);

/** A byte value for people: quoted text when it is plain printable ASCII, else hex. */
export function showValue(b: Uint8Array): string {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) return `hex:${hex(b)}`;
  }
  return q(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));
}

/** Depth of a watch as compared: a plain watch has no limit; a lost depth is `lost`. */
export function watchDepth(r: XsRecord): DeltaValue {
  if (r.type === 'WATCH_DATA') return DEPTH_UNLIMITED;
  if (r.type === 'WATCH_DATA_EXTENDED') return r.depth === null ? 'lost' : r.depth;
  return null;
}

export function showDepth(d: DeltaValue): string {
  return d === DEPTH_UNLIMITED ? 'unlimited (0xFFFF)' : d === 'lost' ? 'lost (not written by its producer)' : String(d);
}

export function showPerms(perms: { perm: string; flags: number; domid: number }[]): string {
  return perms.map((p) => `${p.perm}${p.domid}${p.flags ? `/${p.flags}` : ''}`).join(',');
}

/** The item a record describes, without duplicate numbering. */
export function recordIdentity(r: XsRecord): { section: Exclude<Section, 'framing'>; key: string } | undefined {
  switch (r.type) {
    case 'END':
      return undefined;
    case 'GLOBAL_DATA':
      return { section: 'global', key: 'GLOBAL_DATA' };
    case 'GLOBAL_QUOTA_DATA':
      return { section: 'quota', key: 'GLOBAL_QUOTA_DATA' };
    case 'CONNECTION_DATA':
      return { section: 'connection', key: `conn ${r.connId}` };
    case 'WATCH_DATA':
    case 'WATCH_DATA_EXTENDED':
      return { section: 'watch', key: `conn ${r.connId} ${q(r.wpath)} token ${q(r.token)}` };
    case 'TRANSACTION_DATA':
      return { section: 'transaction', key: `conn ${r.connId} tx ${r.txId}` };
    case 'NODE_DATA':
      return { section: 'node', key: r.connId === 0 ? r.path : `${r.path} [conn ${r.connId} tx ${r.txId}]` };
    case 'DOMAIN_DATA':
      return { section: 'domain', key: `domain ${r.domainId}` };
    case 'UNKNOWN':
      return { section: 'unknown', key: recordTypeLabel(r.typeCode) };
  }
}

function quotaFacets(f: Facets, prefix: string, quotas: { name: string; value: number }[]): void {
  const seen = new Map<string, number>();
  for (const qv of quotas) {
    const n = (seen.get(qv.name) ?? 0) + 1;
    seen.set(qv.name, n);
    f.set(`${prefix}${qv.name}${n > 1 ? ` #${n}` : ''}`, qv.value);
  }
}

export function recordFacets(r: XsRecord, order: ByteOrder): { facets: Facets; framing: Facets } {
  const f: Facets = new Map();
  switch (r.type) {
    case 'GLOBAL_DATA':
      f.set('rw-socket-fd', r.rwSocketFd);
      f.set('evtchn-fd', r.evtchnFd);
      break;
    case 'GLOBAL_QUOTA_DATA':
      quotaFacets(f, 'domain default ', r.domQuotas);
      quotaFacets(f, 'global ', r.globQuotas);
      break;
    case 'CONNECTION_DATA': {
      f.set('conn-type', r.connType);
      if (r.fields & ~1) f.set('fields', r.fields);
      const spec = r.connSpec as unknown as Record<string, unknown>;
      if ('raw' in spec) f.set('conn-spec', hex(spec.raw as Uint8Array));
      // (Named as the spec names them: socket-fd, not the model's socketFd.)
      else for (const k of Object.keys(spec)) if (k !== 'pad') f.set(`conn-spec.${k.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`, spec[k] as number);
      f.set('unique-id', r.uniqueId === undefined ? null : `0x${r.uniqueId.toString(16)}`);
      f.set('out-resp-len', r.outRespLen);
      f.set('in-data', describePending(parsePending(r.inData, order), order).join(' | '));
      f.set('out-data', describePending(parsePending(r.outData, order, r.outRespLen), order).join(' | '));
      break;
    }
    case 'WATCH_DATA':
    case 'WATCH_DATA_EXTENDED':
      f.set('record', r.type);
      f.set('depth', watchDepth(r));
      break;
    case 'TRANSACTION_DATA':
      break;
    case 'NODE_DATA':
      f.set('value', showValue(r.value));
      f.set('perms', showPerms(r.perms));
      f.set('access', r.access);
      break;
    case 'DOMAIN_DATA':
      f.set('features', r.features);
      quotaFacets(f, 'quota ', r.quotas);
      break;
    case 'UNKNOWN':
      f.set('body', hex(r.body));
      break;
    case 'END':
      break;
  }
  return { facets: f, framing: recordFraming(r) };
}

/** The representation-only facets of a record (recordFacets' `framing`), alone: cheap. */
export function recordFraming(r: XsRecord): Facets {
  const fr: Facets = new Map();
  if (r.type === 'CONNECTION_DATA') {
    const spec = r.connSpec as unknown as Record<string, unknown>;
    if ('pad' in spec && spec.pad) fr.set('conn-spec.pad', spec.pad as number);
    if (r.dataPad) fr.set('data-pad', hex(r.dataPad));
  } else if (r.type === 'WATCH_DATA_EXTENDED') {
    if (r.pad) fr.set('pad', r.pad);
    if (r.producerDefect) fr.set('producer-defect', r.producerDefect);
  } else if (r.type === 'NODE_DATA') {
    // tx-id means nothing on a committed node (conn-id 0).
    if (r.connId === 0 && r.txId !== 0) fr.set('tx-id (ignored)', r.txId);
  }
  if (r.len !== undefined) fr.set('len', r.len);
  if (r.padding) fr.set('padding', hex(r.padding));
  if (r.unterminated?.length) fr.set('unterminated', [...r.unterminated].sort().join(','));
  return fr;
}

/** Each record's item (section and key, a repeated key numbered `#2`...), undefined for END. */
export function itemKeys(s: Stream): ({ section: Exclude<Section, 'framing'>; key: string } | undefined)[] {
  return items(s, true).keys;
}

function items(s: Stream, withKeys = false): { list: Item[]; keys: ({ section: Exclude<Section, 'framing'>; key: string } | undefined)[] } {
  // Counted per section: keys of different sections never meet (no string concatenation
  // per record, which costs more than the comparison itself on a large tree).
  const seen = new Map<Section, Map<string, number>>();
  const list: Item[] = [];
  const keys: ({ section: Exclude<Section, 'framing'>; key: string } | undefined)[] = [];
  s.records.forEach((record, index) => {
    const ident = recordIdentity(record);
    if (!ident) {
      if (withKeys) keys.push(undefined);
      return;
    }
    let counts = seen.get(ident.section);
    if (!counts) seen.set(ident.section, (counts = new Map()));
    const n = (counts.get(ident.key) ?? 0) + 1;
    counts.set(ident.key, n);
    const key = n > 1 ? `${ident.key} #${n}` : ident.key;
    list.push({ section: ident.section, key, index, record });
    if (withKeys) keys.push({ section: ident.section, key });
  });
  return { list, keys };
}

/** Deep equality of model values (records, their arrays, bytes, bigints). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

class ItemIndex {
  private readonly bySection = new Map<Section, Map<string, Item>>();
  constructor(list: Item[]) {
    for (const it of list) {
      let m = this.bySection.get(it.section);
      if (!m) this.bySection.set(it.section, (m = new Map()));
      m.set(it.key, it);
    }
  }
  get(it: Item): Item | undefined {
    return this.bySection.get(it.section)?.get(it.key);
  }
}

export function showDelta(v: DeltaValue): string {
  return v === null ? 'none' : typeof v === 'string' ? v : String(v);
}

/** A delta as a diff entry: with its message, and the record indexes when it is of records. */
export function entry(d: Delta, indexA?: number, indexB?: number): DiffEntry {
  let message: string;
  // Keys of connections and domains already say what they are (`conn 4`, `domain 1`).
  const where = d.section === 'watch' || d.section === 'node' || d.section === 'transaction' ? `${d.section} ${d.key}` : d.key;
  if (d.field === 'exists') message = `${where}: only in ${d.old ? 'A' : 'B'}`;
  else if (d.field === 'depth') message = `${where}: depth ${showDepth(d.old)} -> ${showDepth(d.new)}`;
  else message = `${where}: ${d.field} ${showDelta(d.old)} -> ${showDelta(d.new)}`;
  const e: DiffEntry = { ...d, message };
  if (indexA !== undefined) e.indexA = indexA;
  if (indexB !== undefined) e.indexB = indexB;
  return e;
}

/** Calls `on` for each field whose value differs (a field missing on one side is null there). */
export function eachFacetDifference(a: Facets, b: Facets, on: (field: string, old: DeltaValue, now: DeltaValue) => void): void {
  for (const [field, va] of a) {
    const vb = b.get(field) ?? null;
    if (va !== vb) on(field, va, vb);
  }
  for (const [field, vb] of b) if (!a.has(field) && vb !== null) on(field, null, vb);
}

/** A connection's conn-spec facets as one text: `domid 1, tdomid 32756, evtchn 101`. */
function specText(f: Facets): string | null {
  const parts: string[] = [];
  for (const [k, v] of f) if (k.startsWith('conn-spec')) parts.push(k === 'conn-spec' ? `raw ${showDelta(v)}` : `${k.slice('conn-spec.'.length)} ${showDelta(v)}`);
  return parts.length ? parts.join(', ') : null;
}

export function compareFacets(section: Section, key: string, a: Facets, b: Facets, out: DiffEntry[], ia?: number, ib?: number): void {
  if (section === 'connection' && a.get('conn-type') !== b.get('conn-type')) {
    // A ring on one side, a socket on the other: one conn-spec entry with each side's whole
    // spec, not the fields of two different forms listed against each other.
    const only = (f: Facets): Facets => new Map([...f].filter(([k]) => !k.startsWith('conn-spec')));
    const sa = specText(a);
    const sb = specText(b);
    eachFacetDifference(only(a), only(b), (field, va, vb) => {
      out.push(entry({ section, key, field, old: va, new: vb }, ia, ib));
      if (field === 'conn-type' && sa !== sb) out.push(entry({ section, key, field: 'conn-spec', old: sa, new: sb }, ia, ib));
    });
    return;
  }
  eachFacetDifference(a, b, (field, va, vb) => out.push(entry({ section, key, field, old: va, new: vb }, ia, ib)));
}

export function diffStreams(a: Stream, b: Stream): DiffResult {
  const semantic: DiffEntry[] = [];
  const bytes: DiffEntry[] = [];

  if (a.header.version !== b.header.version) semantic.push(entry({ section: 'header', key: 'header', field: 'version', old: a.header.version, new: b.header.version }));
  if (a.header.byteOrder !== b.header.byteOrder) semantic.push(entry({ section: 'header', key: 'header', field: 'byte-order', old: a.header.byteOrder, new: b.header.byteOrder }));
  if (a.header.reservedFlags !== b.header.reservedFlags) {
    bytes.push(entry({ section: 'framing', key: 'header', field: 'reserved-flags', old: a.header.reservedFlags, new: b.header.reservedFlags }));
  }
  const ta = a.trailing?.length ? hex(a.trailing) : null;
  const tb = b.trailing?.length ? hex(b.trailing) : null;
  if (ta !== tb) bytes.push(entry({ section: 'framing', key: 'after END', field: 'trailing', old: ta, new: tb }));

  const ia = items(a).list;
  const ib = items(b).list;
  const mapB = new ItemIndex(ib);
  const mapA = new ItemIndex(ia);
  // Facets are built per pair and dropped at once: two large decoded streams are enough to hold.
  for (const x of ia) {
    const y = mapB.get(x);
    if (!y) {
      semantic.push(entry({ section: x.section, key: x.key, field: 'exists', old: true, new: false }, x.index));
      continue;
    }
    // Fast path: the same model record describes the same thing (pending data only when
    // both streams read it in the same byte order).
    if ((x.record.type !== 'CONNECTION_DATA' || a.header.byteOrder === b.header.byteOrder) && sameValue(x.record, y.record)) continue;
    const fx = recordFacets(x.record, a.header.byteOrder);
    const fy = recordFacets(y.record, b.header.byteOrder);
    compareFacets(x.section, x.key, fx.facets, fy.facets, semantic, x.index, y.index);
    if (fx.framing.size || fy.framing.size) compareFacets('framing', `${x.section} ${x.key}`, fx.framing, fy.framing, bytes, x.index, y.index);
  }
  for (const y of ib) {
    if (!mapA.get(y)) semantic.push(entry({ section: y.section, key: y.key, field: 'exists', old: false, new: true }, undefined, y.index));
  }

  // Record order among the items both streams hold: meaning-free here (the checker judges
  // whether an order is valid), but a difference a byte comparison would show.
  let ja = 0;
  let jb = 0;
  let position = 0;
  for (;;) {
    while (ja < ia.length && !mapB.get(ia[ja]!)) ja++;
    while (jb < ib.length && !mapA.get(ib[jb]!)) jb++;
    if (ja >= ia.length || jb >= ib.length) break;
    if (ia[ja]!.section !== ib[jb]!.section || ia[ja]!.key !== ib[jb]!.key) {
      const show = (it: Item): string => `${it.section} ${it.key} at position ${position}`;
      bytes.push(entry({ section: 'framing', key: 'records', field: 'order', old: show(ia[ja]!), new: show(ib[jb]!) }));
      break;
    }
    ja++;
    jb++;
    position++;
  }

  return { equal: semantic.length === 0 && bytes.length === 0, semantic, bytes };
}

/**
 * What ItemKeyCounter counts a record under: its section and a key that is equal for two
 * records exactly when recordIdentity's keys are (cheaper to make: no quoting); undefined for a
 * record not counted.
 */
function countKey(r: XsRecord, countNodes: boolean): { section: Section; k: string | number } | undefined {
  switch (r.type) {
    case 'END':
      return undefined;
    case 'NODE_DATA':
      return countNodes ? { section: 'node', k: recordIdentity(r)!.key } : undefined;
    case 'WATCH_DATA':
    case 'WATCH_DATA_EXTENDED':
      // (The length keeps the key unambiguous: the same pairs as recordIdentity's key.)
      return { section: 'watch', k: `${r.connId} ${r.wpath.length} ${r.wpath}${r.token}` };
    case 'CONNECTION_DATA':
      return { section: 'connection', k: r.connId };
    case 'TRANSACTION_DATA':
      return { section: 'transaction', k: `${r.connId} ${r.txId}` };
    case 'DOMAIN_DATA':
      return { section: 'domain', k: r.domainId };
    case 'UNKNOWN':
      return { section: 'unknown', k: r.typeCode };
    default:
      return { section: r.type === 'GLOBAL_DATA' ? 'global' : 'quota', k: 0 };
  }
}

/**
 * Item keys of two streams read in pairs (record i of A with record i of B), as two
 * ItemKeyCounters give them, with one count while every pair names the same item (the usual
 * case: a conversion changes no identity) and two once a pair does not.
 */
export class PairedKeyCounter {
  private readonly shared = new ItemKeyCounter(false);
  private a: ItemKeyCounter | undefined;
  private b: ItemKeyCounter | undefined;

  /** Counts a pair of equal records. */
  same(r: XsRecord): void {
    if (this.a) {
      this.a.note(r);
      this.b!.note(r);
    } else {
      this.shared.note(r);
    }
  }

  /** Counts a pair and gives the key of each. */
  keys(x: XsRecord, y: XsRecord): [ItemKey, ItemKey] {
    if (!this.a) {
      const kx = countKey(x, false);
      const ky = countKey(y, false);
      if (kx === undefined ? ky === undefined : ky !== undefined && kx.section === ky.section && kx.k === ky.k) {
        const n = this.shared.note(x);
        return [this.shared.keyOf(x, n), this.shared.keyOf(y, n)];
      }
      this.a = this.shared.clone();
      this.b = this.shared.clone();
    }
    return [this.a.keyOf(x, this.a.note(x)), this.b!.keyOf(y, this.b!.note(y))];
  }

  /** Counts a record of one side only (A: `side` 0, B: 1) and gives its key. */
  one(side: 0 | 1, r: XsRecord): ItemKey {
    if (!this.a) {
      this.a = this.shared.clone();
      this.b = this.shared.clone();
    }
    const c = side === 0 ? this.a : this.b!;
    return c.keyOf(r, c.note(r));
  }
}

/** An item as diff numbers it (`key #2` for a repeated one); undefined for END. */
export type ItemKey = { section: Exclude<Section, 'framing'>; key: string } | undefined;

/**
 * Numbers item keys record by record, as itemKeys does for a whole stream. Node keys are not
 * counted unless asked (that holds every path of the tree): a node key is then given as it is,
 * unnumbered, which is exact for a stream whose paths are unique.
 */
export class ItemKeyCounter {
  private readonly seen = new Map<Section, Map<string | number, number>>();
  constructor(private readonly countNodes = false) {}
  next(r: XsRecord): ItemKey {
    return this.keyOf(r, this.note(r));
  }

  /**
   * Counts `r` and returns how many times its item has come so far (0: not counted: END, or a
   * node), without making its key (which costs more than the count: quoted strings).
   */
  note(r: XsRecord): number {
    const ck = countKey(r, this.countNodes);
    if (!ck) return 0;
    let counts = this.seen.get(ck.section);
    if (!counts) this.seen.set(ck.section, (counts = new Map()));
    const n = (counts.get(ck.k) ?? 0) + 1;
    counts.set(ck.k, n);
    return n;
  }

  /** A counter that goes on from where this one is, on its own. */
  clone(): ItemKeyCounter {
    const c = new ItemKeyCounter(this.countNodes);
    for (const [section, counts] of this.seen) c.seen.set(section, new Map(counts));
    return c;
  }

  /** The key of `r` as the `n`th of its item (from note). */
  keyOf(r: XsRecord, n: number): ItemKey {
    const ident = recordIdentity(r);
    if (!ident || n === 0) return ident;
    return n > 1 ? { section: ident.section, key: `${ident.key} #${n}` } : ident;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality of two node records, without the generic walk (the bulk of a large stream). */
function sameNode(x: NodeData, y: NodeData): boolean {
  if (x.path !== y.path || x.connId !== y.connId || x.txId !== y.txId || x.access !== y.access || x.len !== y.len) return false;
  if (x.padding || y.padding || x.unterminated || y.unterminated) return sameValue(x, y);
  if (!sameBytes(x.value, y.value) || x.perms.length !== y.perms.length) return false;
  for (let i = 0; i < x.perms.length; i++) {
    const p = x.perms[i]!;
    const q2 = y.perms[i]!;
    if (p.perm !== q2.perm || p.flags !== q2.flags || p.domid !== q2.domid) return false;
  }
  return true;
}

/** Two node records that are equal (then a diff has nothing to say about them). */
export function sameNodeRecord(x: XsRecord, y: XsRecord): boolean {
  return x.type === 'NODE_DATA' && y.type === 'NODE_DATA' && sameNode(x, y);
}

/** Neither record is a connection with pending data (in-data or out-data). */
function noPending(x: XsRecord, y: XsRecord): boolean {
  return x.type === 'CONNECTION_DATA' && y.type === 'CONNECTION_DATA' && x.inData.length === 0 && x.outData.length === 0 && y.inData.length === 0 && y.outData.length === 0;
}

/**
 * The diff of two streams that hold the same items in the same places (a conversion that drops
 * no record), computed pair by pair as the records pass: neither stream is held. Gives what
 * diffStreams gives for such streams; a pair of different items is reported as one item only
 * in A and one only in B.
 */
export class LockstepDiff {
  private readonly semantic: DiffEntry[] = [];
  private readonly bytes: DiffEntry[] = [];
  private readonly sameOrder: boolean;

  constructor(private readonly a: StreamHeader, private readonly b: StreamHeader) {
    this.sameOrder = a.byteOrder === b.byteOrder;
    if (a.version !== b.version) this.semantic.push(entry({ section: 'header', key: 'header', field: 'version', old: a.version, new: b.version }));
    if (a.byteOrder !== b.byteOrder) this.semantic.push(entry({ section: 'header', key: 'header', field: 'byte-order', old: a.byteOrder, new: b.byteOrder }));
    if (a.reservedFlags !== b.reservedFlags) {
      this.bytes.push(entry({ section: 'framing', key: 'header', field: 'reserved-flags', old: a.reservedFlags, new: b.reservedFlags }));
    }
  }

  /** Compares A's record `x` (number `ix`, item `kx`) with B's `y`. */
  pair(x: XsRecord, ix: number, kx: ItemKey, y: XsRecord, iy: number, ky: ItemKey): void {
    if (x.type === 'NODE_DATA' && y.type === 'NODE_DATA' && sameNode(x, y)) return;
    if (!kx || !ky || kx.section !== ky.section || kx.key !== ky.key) {
      this.onlyA(ix, kx);
      this.onlyB(iy, ky);
      return;
    }
    if (x.type !== 'NODE_DATA' && this.sameValues(x, y)) return;
    const fx = recordFacets(x, this.a.byteOrder);
    const fy = recordFacets(y, this.b.byteOrder);
    compareFacets(kx.section, kx.key, fx.facets, fy.facets, this.semantic, ix, iy);
    if (fx.framing.size || fy.framing.size) compareFacets('framing', `${kx.section} ${kx.key}`, fx.framing, fy.framing, this.bytes, ix, iy);
  }

  /**
   * Whether pair() would find nothing to say of `x` and `y` (read as items of the same place,
   * each keyed by its identity without a count): what it would report is not kept.
   */
  agree(x: XsRecord, y: XsRecord): boolean {
    // (pair's own tests for a pair it has nothing to say of: equal values make equal keys.)
    if (x.type === 'NODE_DATA' && y.type === 'NODE_DATA' ? sameNode(x, y) : this.sameValues(x, y)) return true;
    const s = this.semantic.length;
    const b = this.bytes.length;
    this.pair(x, 0, recordIdentity(x), y, 0, recordIdentity(y));
    const same = this.semantic.length === s && this.bytes.length === b;
    this.semantic.length = s;
    this.bytes.length = b;
    return same;
  }

  /** Two records (not both nodes) whose values are equal, as pair() compares them. */
  private sameValues(x: XsRecord, y: XsRecord): boolean {
    // (Pending data compares byte for byte only in one byte order, or when there is none.)
    return (x.type !== 'CONNECTION_DATA' || this.sameOrder || noPending(x, y)) && sameValue(x, y);
  }

  /** A record of A with no counterpart in B. */
  onlyA(ix: number, kx: ItemKey): void {
    if (kx) this.semantic.push(entry({ section: kx.section, key: kx.key, field: 'exists', old: true, new: false }, ix));
  }

  /** A record of B with no counterpart in A. */
  onlyB(iy: number, ky: ItemKey): void {
    if (ky) this.semantic.push(entry({ section: ky.section, key: ky.key, field: 'exists', old: false, new: true }, undefined, iy));
  }

  /** The result, given the bytes after END of each (hex, null when none). */
  finish(trailingA: string | null, trailingB: string | null): DiffResult {
    if (trailingA !== trailingB) this.bytes.push(entry({ section: 'framing', key: 'after END', field: 'trailing', old: trailingA, new: trailingB }));
    return { equal: this.semantic.length === 0 && this.bytes.length === 0, semantic: this.semantic, bytes: this.bytes };
  }
}

/** A stable text form of a delta, to compare diff entries with conversion changes. */
export function deltaId(d: Delta): string {
  return JSON.stringify([d.section, d.key, d.field, d.old, d.new]);
}
