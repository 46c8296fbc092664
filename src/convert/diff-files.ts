// diffStreams for two stream files in bounded memory (issue 16): the same result, without
// holding either stream. Two 443 MB streams once took 5 GB this way round.
//
// Pass 1 reads each file once with the streaming reader and keeps, per record (END aside), a
// 64-bit hash of its item (section and key, as recordIdentity gives them) and its offset:
// 16 bytes a record, plus 8 while sorting. A stable radix sort by hash puts equal items
// together in record order, so the nth record of an item in A meets the nth of the same item
// in B (diffStreams' `key #n`). Pass 2 walks A in order, re-reads each record and its match in
// B (through a window: sequential when the streams share their order, as after a conversion),
// and compares them as diffStreams does; then B's records that have no match, then the order.
//
// Hashes may collide. Every pair compared has its real keys checked, and so has every member
// of a group of equal hashes (repeated items, rare): a collision (about 1 in 10^5 for two
// streams of 12 M records each) is detected, and then diffFiles falls back to diffStreams of
// the two streams decoded whole. The result is always exactly diffStreams'.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { decodeStream } from '../model/decode.js';
import { decodeRecordFast, viewOf, type FieldSelection } from '../model/fast-decode.js';
import { StreamReader } from '../model/stream-reader.js';
import type { StreamHeader, XsRecord } from '../model/types.js';
import type { ByteOrder } from '../wire/constants.js';
import { DecodeError } from '../wire/errors.js';
import { compareFacets, diffStreams, entry, recordFacets, recordIdentity, sameNodeRecord, sameValue, type DiffEntry, type DiffResult, type Section } from './diff.js';
import { readAt } from './file-access.js';

export interface FileSide {
  header: StreamHeader;
  /** Records read, END included (as Stream.records.length). */
  records: number;
}

export interface FileDiff extends DiffResult {
  a: FileSide;
  b: FileSide;
  /** A hash collision was met and the streams were compared whole, in memory (diffStreams). */
  fellBack?: boolean;
}

class HashCollision extends Error {}

/** Two 32-bit string hashes (FNV-1a and a multiplicative one with another seed): 64 bits. */
function hashKey(section: string, key: string, out: Uint32Array): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < section.length; i++) {
    const c = section.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ 0xff, 0x01000193);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  out[0] = (h2 ^ (h2 >>> 16)) >>> 0;
  out[1] = h1 >>> 0;
}

/** Per record of one stream (END aside; item i is record i): hash (hi, lo) and offset. */
class ItemTable {
  n = 0;
  hi: Uint32Array;
  lo: Uint32Array;
  off: Float64Array;
  constructor(capacity: number) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.off = new Float64Array(capacity);
  }
  add(hi: number, lo: number, off: number): void {
    if (this.n === this.hi.length) this.grow();
    this.hi[this.n] = hi;
    this.lo[this.n] = lo;
    this.off[this.n] = off;
    this.n++;
  }
  private grow(): void {
    const cap = Math.max(1024, Math.ceil(this.hi.length * 1.5));
    const hi = new Uint32Array(cap);
    hi.set(this.hi);
    this.hi = hi;
    const lo = new Uint32Array(cap);
    lo.set(this.lo);
    this.lo = lo;
    const off = new Float64Array(cap);
    off.set(this.off);
    this.off = off;
  }
}

interface Indexed {
  header: StreamHeader;
  records: number;
  items: ItemTable;
  /** Offset after END (where trailing bytes start), and the file's size. */
  endAt: number;
  size: number;
}

/** The fields recordIdentity reads: pass 1 builds only these (values and permissions are not needed yet). */
const IDENTITY_FIELDS: FieldSelection = {
  NODE_DATA: ['connId', 'txId', 'path'],
  WATCH_DATA: ['connId', 'wpath', 'token'],
  WATCH_DATA_EXTENDED: ['connId', 'wpath', 'token'],
  TRANSACTION_DATA: ['connId', 'txId'],
  CONNECTION_DATA: ['connId'],
  DOMAIN_DATA: ['domainId'],
};

/** Pass 1 over one file: header, record count, each item's hash and offset. */
function indexFile(fd: number, mask = -1): Indexed {
  const size = fstatSync(fd).size;
  // (A typical record is 50-100 bytes; the table grows when the stream has smaller ones.)
  const items = new ItemTable(Math.max(1024, Math.ceil(size / 64)));
  const h = new Uint32Array(2);
  let header: StreamHeader | undefined;
  let records = 0;
  let endAt = size;
  const reader = new StreamReader({
    onHeader: (hd) => {
      header = hd;
    },
    onRecord: (r, loc) => {
      records++;
      const ident = recordIdentity(r);
      if (!ident) {
        endAt = loc.offset + loc.wireLen;
        return;
      }
      hashKey(ident.section, ident.key, h);
      items.add(mask === -1 ? h[0]! : 0, (h[1]! & mask) >>> 0, loc.offset);
    },
  }, { reuseLocation: true, chunksReused: true, select: IDENTITY_FIELDS });
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let at = 0; ; ) {
    const n = readAt(fd, buf, at, buf.length);
    if (n === 0) break;
    reader.push(n === buf.length ? buf : buf.subarray(0, n));
    at += n;
  }
  reader.end();
  // (Every record but the last, END, is an item, and item i is record i: decoding stops at END.)
  return { header: header!, records, items, endAt, size };
}

/** The permutation of items sorted by (hi, lo), stable: LSD radix, 16 bits a pass. */
function sortedOrder(t: ItemTable): Uint32Array {
  const n = t.n;
  let perm = new Uint32Array(n);
  let tmp = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const count = new Uint32Array(65537);
  const keys: [Uint32Array, number][] = [[t.lo, 0], [t.lo, 16], [t.hi, 0], [t.hi, 16]];
  for (const [arr, shift] of keys) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((arr[i]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 0; d < 65536; d++) count[d + 1]! += count[d]!;
    for (let i = 0; i < n; i++) {
      const it = perm[i]!;
      tmp[count[(arr[it]! >>> shift) & 0xffff]!++] = it;
    }
    const swap = perm;
    perm = tmp;
    tmp = swap;
  }
  return perm;
}

/** Reads records of a file at their offsets through a window (sequential reads cost one read a window). */
class RecordsAt {
  private buf = Buffer.allocUnsafe(1 << 20);
  private view = viewOf(this.buf);
  private start = 0;
  private end = 0;
  private readonly little: boolean;
  constructor(private readonly fd: number, private readonly order: ByteOrder, private readonly size: number) {
    this.little = order === 'little';
  }
  /** The record at `offset` (record number `index`); its byte fields are valid until the next call. */
  at(offset: number, index: number): XsRecord {
    if (offset < this.start || offset + 8 > this.end) this.fill(offset, 8);
    const len = this.little ? this.buf.readUInt32LE(offset - this.start + 4) : this.buf.readUInt32BE(offset - this.start + 4);
    const need = Math.min(this.size - offset, 8 + Math.ceil(len / 8) * 8);
    if (offset + need > this.end) this.fill(offset, need);
    return decodeRecordFast(this.buf, this.view, offset - this.start, index, this.order, this.start).record;
  }
  private fill(offset: number, need: number): void {
    if (need > this.buf.length) {
      this.buf = Buffer.allocUnsafe(need);
      this.view = viewOf(this.buf);
    }
    this.start = offset;
    this.end = offset + readAt(this.fd, this.buf, offset, this.buf.length);
  }
}

function trailingHex(fd: number, ix: Indexed): string | null {
  const n = ix.size - ix.endAt;
  if (n <= 0 || ix.records === 0) return null;
  const b = Buffer.allocUnsafe(n);
  readAt(fd, b, ix.endAt, n);
  return b.toString('hex');
}

export interface DiffFilesOptions {
  /** For tests: keep only these bits of each hash (0x7: collisions everywhere). */
  hashMask?: number;
}

/**
 * diffStreams of the streams in files `pathA` and `pathB`, in memory bounded by their record
 * counts (about 25 bytes a record at the peak), not their sizes. Throws SideDecodeError when
 * a file is not a decodable stream. (A stream with many repeated items also keeps a few
 * dozen bytes per repeat: such a stream is anomalous.)
 */
export function diffFiles(pathA: string, pathB: string, o: DiffFilesOptions = {}): FileDiff {
  const fa = openSync(pathA, 'r');
  const fb = openSync(pathB, 'r');
  try {
    const ia = indexSide(fa, 'A', o.hashMask);
    const ib = indexSide(fb, 'B', o.hashMask);
    const sides = { a: { header: ia.header, records: ia.records }, b: { header: ib.header, records: ib.records } };
    try {
      return { ...compareIndexed(fa, ia, fb, ib), ...sides };
    } catch (e) {
      if (!(e instanceof HashCollision)) throw e;
      // (Rare: see the module comment. The exact answer, the old way.)
      return { ...diffStreams(decodeStream(readFileSync(pathA)), decodeStream(readFileSync(pathB))), ...sides, fellBack: true };
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** A DecodeError of one side (diffFiles): which file it is about. */
export class SideDecodeError extends Error {
  constructor(readonly side: 'A' | 'B', readonly error: DecodeError) {
    super(error.message);
  }
}

function indexSide(fd: number, side: 'A' | 'B', mask?: number): Indexed {
  try {
    return indexFile(fd, mask);
  } catch (e) {
    if (e instanceof DecodeError) throw new SideDecodeError(side, e);
    throw e;
  }
}

function compareIndexed(fa: number, ia: Indexed, fb: number, ib: Indexed): DiffResult {
  const semantic: DiffEntry[] = [];
  const bytes: DiffEntry[] = [];
  const a = ia.header;
  const b = ib.header;
  if (a.version !== b.version) semantic.push(entry({ section: 'header', key: 'header', field: 'version', old: a.version, new: b.version }));
  if (a.byteOrder !== b.byteOrder) semantic.push(entry({ section: 'header', key: 'header', field: 'byte-order', old: a.byteOrder, new: b.byteOrder }));
  if (a.reservedFlags !== b.reservedFlags) {
    bytes.push(entry({ section: 'framing', key: 'header', field: 'reserved-flags', old: a.reservedFlags, new: b.reservedFlags }));
  }
  const ta = trailingHex(fa, ia);
  const tb = trailingHex(fb, ib);
  if (ta !== tb) bytes.push(entry({ section: 'framing', key: 'after END', field: 'trailing', old: ta, new: tb }));

  // Matching: runs of equal hashes, paired in record order.
  const na = ia.items.n;
  const nb = ib.items.n;
  const matchA = new Int32Array(na).fill(-1);
  const matchedB = new Uint8Array(nb);
  /** Items that are the kth (k >= 2) of their hash: k, and the first of their run (to check the real key). */
  const nthA = new Map<number, number>();
  const nthB = new Map<number, number>();
  const headA = new Map<number, number>();
  const headB = new Map<number, number>();
  {
    const pa = sortedOrder(ia.items);
    const pb = sortedOrder(ib.items);
    const runs = (p: Uint32Array, t: ItemTable, i: number): number => {
      let j = i + 1;
      while (j < p.length && t.hi[p[j]!] === t.hi[p[i]!] && t.lo[p[j]!] === t.lo[p[i]!]) j++;
      return j;
    };
    const mark = (p: Uint32Array, from: number, to: number, nth: Map<number, number>, head: Map<number, number>): void => {
      for (let k = from + 1; k < to; k++) {
        nth.set(p[k]!, k - from + 1);
        head.set(p[k]!, p[from]!);
      }
    };
    let i = 0;
    let j = 0;
    while (i < na || j < nb) {
      const ei = i < na ? runs(pa, ia.items, i) : i;
      const ej = j < nb ? runs(pb, ib.items, j) : j;
      let c: number;
      if (i >= na) c = 1;
      else if (j >= nb) c = -1;
      else {
        const x = pa[i]!;
        const y = pb[j]!;
        const hx = ia.items.hi[x]!;
        const hy = ib.items.hi[y]!;
        c = hx !== hy ? (hx < hy ? -1 : 1) : ia.items.lo[x]! === ib.items.lo[y]! ? 0 : ia.items.lo[x]! < ib.items.lo[y]! ? -1 : 1;
      }
      if (c <= 0) mark(pa, i, ei, nthA, headA);
      if (c >= 0) mark(pb, j, ej, nthB, headB);
      if (c === 0) {
        for (let k = 0; k < Math.min(ei - i, ej - j); k++) {
          matchA[pa[i + k]!] = pb[j + k]!;
          matchedB[pb[j + k]!] = 1;
        }
      }
      if (c <= 0) i = ei;
      if (c >= 0) j = ej;
    }
  }
  // (The hashes and sort orders are garbage from here: only offsets and matches are kept.)
  const offA = ia.items.off;
  const offB = ib.items.off;
  ia.items.hi = ib.items.hi = ia.items.lo = ib.items.lo = new Uint32Array(0);

  const readA = new RecordsAt(fa, a.byteOrder, ia.size);
  const readB = new RecordsAt(fb, b.byteOrder, ib.size);
  /** The real key of a record (section, key, numbered), checking that its hash group is one item. */
  const headKeys = new Map<number, string>();
  const keyOf = (r: XsRecord, item: number, nth: Map<number, number>, head: Map<number, number>, side: number): { section: Exclude<Section, 'framing'>; key: string } => {
    const ident = recordIdentity(r)!;
    const k = nth.get(item);
    if (k === undefined) {
      if (isHead(item, side)) headKeys.set(item * 2 + side, `${ident.section}\0${ident.key}`);
      return ident;
    }
    const hk = headKeys.get(head.get(item)! * 2 + side);
    if (hk !== undefined && hk !== `${ident.section}\0${ident.key}`) throw new HashCollision();
    return { section: ident.section, key: `${ident.key} #${k}` };
  };
  // Heads of runs (to remember their real key): the values of head maps.
  const headsA = new Set(headA.values());
  const headsB = new Set(headB.values());
  const isHead = (item: number, side: number): boolean => (side === 0 ? headsA : headsB).has(item);

  for (let x = 0; x < na; x++) {
    const rx = readA.at(offA[x]!, x);
    const kx = keyOf(rx, x, nthA, headA, 0);
    const y = matchA[x]!;
    if (y < 0) {
      semantic.push(entry({ section: kx.section, key: kx.key, field: 'exists', old: true, new: false }, x));
      continue;
    }
    const ry = readB.at(offB[y]!, y);
    const identY = recordIdentity(ry)!;
    const base = nthA.has(x) ? kx.key.slice(0, kx.key.lastIndexOf(' #')) : kx.key;
    if (identY.section !== kx.section || identY.key !== base) throw new HashCollision();
    // (sameNodeRecord: sameValue for two nodes, without the generic walk; the bulk of a stream)
    if (rx.type === 'NODE_DATA' ? sameNodeRecord(rx, ry) : (rx.type !== 'CONNECTION_DATA' || a.byteOrder === b.byteOrder) && sameValue(rx, ry)) continue;
    const fx = recordFacets(rx, a.byteOrder);
    const fy = recordFacets(ry, b.byteOrder);
    compareFacets(kx.section, kx.key, fx.facets, fy.facets, semantic, x, y);
    if (fx.framing.size || fy.framing.size) compareFacets('framing', `${kx.section} ${kx.key}`, fx.framing, fy.framing, bytes, x, y);
  }
  // B: its records without a match, and (to check their keys) the members of its hash groups.
  for (let y = 0; y < nb; y++) {
    if (matchedB[y] && !nthB.has(y) && !headsB.has(y)) continue;
    const ky = keyOf(readB.at(offB[y]!, y), y, nthB, headB, 1);
    if (!matchedB[y]) semantic.push(entry({ section: ky.section, key: ky.key, field: 'exists', old: false, new: true }, undefined, y));
  }

  // Record order among the items both hold (diffStreams' loop): the first place where A's next
  // matched item is not B's next matched one.
  let ja = 0;
  let jb = 0;
  let position = 0;
  for (;;) {
    while (ja < na && matchA[ja]! < 0) ja++;
    while (jb < nb && !matchedB[jb]) jb++;
    if (ja >= na || jb >= nb) break;
    if (matchA[ja] !== jb) {
      const kx = keyOf(readA.at(offA[ja]!, ja), ja, nthA, headA, 0);
      const ky = keyOf(readB.at(offB[jb]!, jb), jb, nthB, headB, 1);
      const show = (it: { section: string; key: string }): string => `${it.section} ${it.key} at position ${position}`;
      bytes.push(entry({ section: 'framing', key: 'records', field: 'order', old: show(kx), new: show(ky) }));
      break;
    }
    ja++;
    jb++;
    position++;
  }
  return { equal: semantic.length === 0 && bytes.length === 0, semantic, bytes };
}
