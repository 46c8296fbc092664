// The committed node paths the checker must remember (for the duplicate and parent rules), kept
// as a tree of interned path components in typed arrays instead of a Set of whole path strings.
// A stream of a million nodes holds a million paths: as strings they cost about 100 MiB; as
// tree nodes they cost 13 bytes each (plus the distinct components, once each).
//
// A path "/c1/c2/.../ck" is the node reached by the components c1..ck (split on '/', empty
// components included, so "/" is the node of one empty component and "/a/" that of "a", ""):
// distinct paths are distinct nodes, and the parent of a node is what parentOf() in the checker
// names. Nodes made only to reach a deeper one are not committed.
//
// The set works on bytes: the checker's fast path hands it a path as it lies in the input (no
// string is made), and a JavaScript string is first written into a scratch buffer, one byte per
// character. Characters that are not one non-zero byte (NUL, above U+00FF: never in a clean path,
// possible only from API callers) are written as a NUL and four hex digits; no other byte
// sequence starts with a NUL, and none of these bytes is '/', so distinct strings stay distinct
// paths with the same components.
//
// Streams list nodes in tree order: a path is nearly always a child of the previous one, or of
// one of its ancestors (a sibling, or moving back up). The set keeps the nodes along the previous
// path, and where that path's bytes lie (in the caller's buffer, not copied: the caller says
// when that buffer is about to change, see detach()), so a path's parent is found by comparing
// the bytes before its last '/' with the previous path's, four at a time, and only its last
// component is read byte by byte (hashed and checked).
// A node's children are a list (nodes made one after the other lie side by side in the arrays,
// so the list stays in cache); a node with many children also gets a Map from component to
// child. There is no table over all nodes: a lookup in one would miss the processor's cache for
// nearly every node of a large stream.

import { equalBytes } from './byte-set.js';

/** What commit() found; the path is committed afterwards in every case. */
export const PATH_NEW = 0;
/** The path was committed before. */
export const PATH_DUPLICATE = 1;
/** The path's parent (by parentOf(): up to its last '/') is neither "/" nor committed. */
export const PATH_PARENT_MISSING = 2;
/** commitClean(): the path is not clean; nothing was committed. */
export const PATH_NOT_CLEAN = -1;

const SLASH = 0x2f;
const ROOT = 0;
/** Children a node may have before its list gets a Map. */
const LIST_MAX = 32;
/** Node flags: committed (else only on the way to a deeper node); children in a Map. */
const COMMITTED = 1;
const WIDE = 2;
/** FNV-1a over the bytes of a component (last to first), for interning it. */
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;
const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

export class CommittedPaths {
  /** Interned components: bytes in `pool`, start, length and hash by number; an open-addressing table (number + 1, 0: empty) by hash. */
  private pool = new Uint8Array(1 << 14);
  private poolView = new DataView(this.pool.buffer);
  private poolLen = 0;
  private compStart = new Int32Array(1024);
  private compLen = new Int32Array(1024);
  private compHash = new Int32Array(1024);
  private comps = 0;
  private compSlots = new Int32Array(2048);
  /**
   * Per node (13 bytes): component number, first child and next sibling (0: none; node 0, the
   * root, is no one's child), flags.
   */
  private comp: Int32Array;
  private firstChild: Int32Array;
  private nextSibling: Int32Array;
  private flags: Uint8Array;
  private nodes = 1;
  /** Component -> child, for nodes with more than LIST_MAX children. */
  private readonly wide = new Map<number, Map<number, number>>();
  /**
   * The previous path: its bytes at prev[prevAt...] (`prevView` a view of `prev` from its first
   * byte); stack[d] is the node of its first d components (the root at 0, the path's own node
   * at `depth`), dirEnd[d] where that node's path ends (0 for the root, relative to prevAt) and
   * dirClean[d] whether that path is clean (the root counts as clean).
   */
  // (Buffers, as the input the checker reads is: element access sees one kind of array.)
  private prev: Uint8Array = Buffer.alloc(0);
  private prevView: DataView = viewOf(this.prev);
  private prevAt = 0;
  /** Where detach() keeps the previous path. */
  private own: Uint8Array = Buffer.alloc(256);
  private stack = new Int32Array(64);
  private dirEnd = new Int32Array(64);
  private dirClean = new Uint8Array(64);
  private depth = 0;
  /** String paths written as bytes (see the module comment): two, the previous path may lie in one. */
  private scratch: Uint8Array[] = [Buffer.alloc(256), Buffer.alloc(256)];
  private scratchView = [viewOf(this.scratch[0]!), viewOf(this.scratch[1]!)];

  /**
   * `accepted`: by byte, 1 for those a component of a clean path may hold (never NUL or '/');
   * `maxLength`: the longest clean path. A clean path is one or more '/' each followed by a
   * non-empty component, at most `maxLength` long. `capacity`: how many nodes to make room for
   * at once (see grow()).
   */
  constructor(private readonly accepted: Uint8Array, private readonly maxLength: number, capacity = 1024) {
    const n = Math.max(16, Math.min(capacity, 1 << 23)); // (at most 104 MiB of address space at once)
    this.comp = new Int32Array(n);
    this.firstChild = new Int32Array(n);
    this.nextSibling = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.dirClean[0] = 1;
  }

  /** Number of committed paths. */
  size = 0;

  /** After commit(): whether that path is clean. */
  get lastClean(): boolean {
    return this.dirClean[this.depth] === 1;
  }

  /** True when `path` (which starts with '/') is clean. Changes nothing. */
  probe(path: string): boolean {
    const i = this.encode(path);
    return this.isClean(this.scratch[i]!, 0, this.encoded);
  }

  /**
   * Commits `path` (which starts with '/') and says whether it was new, a duplicate, or lacks
   * its parent. (`clean`, whether the path is clean, is worked out here; the argument is kept
   * for callers that know it.)
   */
  commit(path: string, clean?: boolean): number {
    void clean;
    const i = this.encode(path);
    return this.run(this.scratch[i]!, this.scratchView[i]!, 0, this.encoded, false);
  }

  /**
   * The checker's fast path: the path `buf[start, end)` (bytes as read, without the NUL; `view`
   * a view of `buf` from its first byte) when it is clean and new and its parent is committed
   * (or "/"): commits it and returns PATH_NEW. Otherwise commits nothing (it may make
   * uncommitted nodes on the way) and returns PATH_NOT_CLEAN, PATH_DUPLICATE or
   * PATH_PARENT_MISSING, for the caller to take the full path. The set reads `buf` again at the
   * next call: the caller must call detach() before it changes those bytes.
   */
  commitClean(buf: Uint8Array, view: DataView, start: number, end: number): number {
    if (end <= start || buf[start] !== SLASH) return PATH_NOT_CLEAN;
    return this.run(buf, view, start, end, true);
  }

  /**
   * Whether `path` (which starts with '/') is committed; "/" always is. Changes nothing (for
   * the rare questions the daemon targets ask of transaction nodes).
   */
  has(path: string): boolean {
    if (path === '/') return true;
    const i = this.encode(path);
    const buf = this.scratch[i]!;
    const view = this.scratchView[i]!;
    const e = this.encoded;
    let node = ROOT;
    for (let start = 1; start <= e; ) {
      let end = start;
      while (end < e && buf[end] !== SLASH) end++;
      let h = HASH_SEED;
      for (let j = end - 1; j >= start; j--) h = Math.imul(h ^ buf[j]!, HASH_PRIME);
      const comp = this.lookup(buf, view, start, end, h);
      if (comp < 0) return false;
      node = this.childIf(node, comp);
      if (node < 0) return false;
      start = end + 1;
    }
    return (this.flags[node]! & COMMITTED) !== 0;
  }

  /** Number of the interned component buf[start, end) (hash `h`), or -1. */
  private lookup(buf: Uint8Array, view: DataView, start: number, end: number, h: number): number {
    const slots = this.compSlots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let s = h & mask, v = slots[s]!; v !== 0; s = (s + 1) & mask, v = slots[s]!) {
      const id = v - 1;
      if (this.compHash[id] === h && this.compLen[id] === len && equalBytes(this.pool, this.poolView, this.compStart[id]!, buf, view, start, len)) return id;
    }
    return -1;
  }

  /** The node of component `comp` under `parent`, or -1. */
  private childIf(parent: number, comp: number): number {
    if ((this.flags[parent]! & WIDE) !== 0) return this.wide.get(parent)!.get(comp) ?? -1;
    for (let c = this.firstChild[parent]!; c !== 0; c = this.nextSibling[c]!) if (this.comp[c] === comp) return c;
    return -1;
  }

  /** The buffer last given to commitClean() is about to change: keep a copy of what the set needs. */
  detach(): void {
    const n = this.dirEnd[this.depth]!;
    if (this.prev === this.own) return;
    if (this.own.length < n) this.own = Buffer.alloc(2 * n);
    const own = this.own;
    for (let k = 0; k < n; k++) own[k] = this.prev[this.prevAt + k]!;
    this.setPrev(own, viewOf(own), 0);
  }

  private setPrev(buf: Uint8Array, view: DataView, at: number): void {
    this.prev = buf;
    this.prevView = view;
    this.prevAt = at;
  }

  /** Bytes written by the last encode(). */
  private encoded = 0;

  /** Writes `path` into a scratch buffer not holding the previous path; returns which. */
  private encode(path: string): number {
    const n = path.length;
    const i = this.prev === this.scratch[0] ? 1 : 0;
    if (this.scratch[i]!.length < 5 * n) {
      this.scratch[i] = Buffer.alloc(5 * n + 64);
      this.scratchView[i] = viewOf(this.scratch[i]!);
    }
    const out = this.scratch[i]!;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const c = path.charCodeAt(i);
      if (c !== 0 && c <= 0xff) out[j++] = c;
      else {
        out[j] = 0;
        out[j + 1] = HEX[c >> 12]!;
        out[j + 2] = HEX[(c >> 8) & 15]!;
        out[j + 3] = HEX[(c >> 4) & 15]!;
        out[j + 4] = HEX[c & 15]!;
        j += 5;
      }
    }
    this.encoded = j;
    return i;
  }

  /** Whether buf[s, e) is a clean path, by its definition. */
  private isClean(buf: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (n < 2 || n > this.maxLength || buf[s] !== SLASH) return false;
    return this.cleanDirs(buf, s, e) && buf[e - 1] !== SLASH;
  }

  /** Whether buf[s, e) (starting with '/') holds no "//" and only accepted bytes otherwise. */
  private cleanDirs(buf: Uint8Array, s: number, e: number): boolean {
    const accepted = this.accepted;
    for (let i = s + 1; i < e; i++) {
      const c = buf[i]!;
      if (c === SLASH) {
        if (buf[i - 1] === SLASH) return false;
      } else if (accepted[c] === 0) return false;
    }
    return true;
  }

  /** Commit (or, `onlyClean`, commitClean) the path buf[s, e), which starts with '/'. */
  private run(buf: Uint8Array, view: DataView, s: number, e: number, onlyClean: boolean): number {
    const n = e - s;
    const accepted = this.accepted;
    // The last component, from the end back to the last '/': its bytes checked and hashed.
    let leafOk = true;
    let h = HASH_SEED;
    let i = e - 1;
    for (; i > s; i--) {
      const c = buf[i]!;
      if (c === SLASH) break;
      if (accepted[c] === 0) leafOk = false;
      h = Math.imul(h ^ c, HASH_PRIME);
    }
    const last = i - s; // (the '/' before the last component)
    const leafClean = leafOk && last + 1 < n && n <= this.maxLength;
    if (onlyClean && !leafClean) return PATH_NOT_CLEAN;
    // The parent's path is buf[s, s + last): the previous path's directory that long, if the
    // bytes are the same.
    const dirEnd = this.dirEnd;
    let d = this.depth;
    while (dirEnd[d]! > last) d--;
    if (dirEnd[d] !== last || !this.samePrefix(buf, view, s, last)) d = -1;
    if (d < 0) d = this.walk(buf, view, s, last);
    const clean = leafClean && this.dirClean[d] === 1;
    if (onlyClean && !clean) return PATH_NOT_CLEAN;

    const parent = this.stack[d]!;
    const node = this.child(parent, this.intern(buf, view, s + last + 1, e, h));
    // The previous path becomes this one.
    if (d + 2 > this.stack.length) this.growStack();
    this.setPrev(buf, view, s);
    const depth = d + 1;
    this.stack[depth] = node;
    this.dirEnd[depth] = n;
    this.dirClean[depth] = clean ? 1 : 0;
    this.depth = depth;

    const flags = this.flags;
    if ((flags[node]! & COMMITTED) !== 0) return PATH_DUPLICATE;
    // The parent is "/" by name (which the rule takes as the root, always there) when the last
    // '/' is the first or the second character ("/x", "//x").
    const parentMissing = last > 1 && (flags[parent]! & COMMITTED) === 0;
    if (parentMissing && onlyClean) return PATH_PARENT_MISSING;
    flags[node]! |= COMMITTED;
    this.size++;
    return parentMissing ? PATH_PARENT_MISSING : PATH_NEW;
  }

  /** Whether buf[s, s + len) equals the first `len` bytes of the previous path. */
  private samePrefix(buf: Uint8Array, view: DataView, s: number, len: number): boolean {
    const prev = this.prev;
    const pv = this.prevView;
    const at = this.prevAt;
    // Four bytes at a time, backwards (a path that is not a sibling of the previous one most
    // often differs late); then the first len % 4.
    let k = len;
    for (; k >= 4; k -= 4) if (pv.getInt32(at + k - 4, true) !== view.getInt32(s + k - 4, true)) return false;
    for (; k > 0; k--) if (prev[at + k - 1] !== buf[s + k - 1]) return false;
    return true;
  }

  /**
   * For a path whose parent is not along the previous path: keeps the nodes of the components
   * it shares with that path, finds or makes the others up to its last '/' (at s + `last`),
   * and returns the depth of its parent, which becomes the previous path (the caller then
   * moves on to the path itself).
   */
  private walk(buf: Uint8Array, view: DataView, s: number, last: number): number {
    const stack = this.stack;
    const dirEnd = this.dirEnd;
    const prev = this.prev;
    const at = this.prevAt;
    // The bytes it shares with the previous path, then the deepest directory among them that
    // ends at a component boundary of this path.
    const lim = Math.min(dirEnd[this.depth]!, last);
    let k = 0;
    while (k < lim && prev[at + k] === buf[s + k]) k++;
    let d = this.depth;
    while (d > 0 && !(dirEnd[d]! <= k && buf[s + dirEnd[d]!] === SLASH)) d--;
    let start = dirEnd[d]! + 1;
    let node = stack[d]!;
    const accepted = this.accepted;
    while (start <= last) {
      let end = start;
      while (buf[s + end] !== SLASH) end++; // (at most `last`)
      let h = HASH_SEED;
      let ok = end > start && end <= this.maxLength ? 1 : 0;
      for (let j = s + end - 1; j >= s + start; j--) {
        const c = buf[j]!;
        if (accepted[c] === 0) ok = 0;
        h = Math.imul(h ^ c, HASH_PRIME);
      }
      node = this.child(node, this.intern(buf, view, s + start, s + end, h));
      if (d + 2 > this.stack.length) this.growStack();
      const clean = this.dirClean[d]! & ok;
      this.stack[++d] = node;
      this.dirEnd[d] = end;
      this.dirClean[d] = clean;
      start = end + 1;
    }
    // This path's directory is the previous path now (the caller moves on to the path).
    this.setPrev(buf, view, s);
    this.depth = d;
    return d;
  }

  private growStack(): void {
    const size = this.stack.length * 2;
    this.stack = grown(this.stack, size);
    this.dirEnd = grown(this.dirEnd, size);
    this.dirClean = grown(this.dirClean, size);
  }

  /** Number of the component buf[start, end) (hash `h`), interned if new. */
  private intern(buf: Uint8Array, view: DataView, start: number, end: number, h: number): number {
    const slots = this.compSlots;
    const mask = slots.length - 1;
    const len = end - start;
    let s = h & mask;
    for (let v = slots[s]!; v !== 0; s = (s + 1) & mask, v = slots[s]!) {
      const id = v - 1;
      if (this.compHash[id] === h && this.compLen[id] === len && equalBytes(this.pool, this.poolView, this.compStart[id]!, buf, view, start, len)) return id;
    }
    const id = this.comps++;
    if (id === this.compHash.length) {
      this.compHash = grown(this.compHash, id * 2);
      this.compStart = grown(this.compStart, id * 2);
      this.compLen = grown(this.compLen, id * 2);
    }
    if (this.poolLen + len > this.pool.length) {
      this.pool = grown(this.pool, 2 * (this.poolLen + len));
      this.poolView = new DataView(this.pool.buffer);
    }
    const p = this.pool;
    for (let i = 0; i < len; i++) p[this.poolLen + i] = buf[start + i]!;
    this.compStart[id] = this.poolLen;
    this.compLen[id] = len;
    this.poolLen += len;
    this.compHash[id] = h;
    slots[s] = id + 1;
    if ((id + 1) * 2 > slots.length) {
      const more = new Int32Array(slots.length * 2);
      const m = more.length - 1;
      for (let j = 0; j <= id; j++) {
        let t = this.compHash[j]! & m;
        while (more[t] !== 0) t = (t + 1) & m;
        more[t] = j + 1;
      }
      this.compSlots = more;
    }
    return id;
  }

  /** The node of component `comp` under `parent`, made (not committed) if new. */
  private child(parent: number, comp: number): number {
    let map: Map<number, number> | undefined;
    let count = 0;
    if ((this.flags[parent]! & WIDE) !== 0) {
      map = this.wide.get(parent)!;
      const c = map.get(comp);
      if (c !== undefined) return c;
    } else {
      for (let c = this.firstChild[parent]!; c !== 0; c = this.nextSibling[c]!, count++) if (this.comp[c] === comp) return c;
    }
    const node = this.nodes++;
    if (node === this.comp.length) this.grow();
    this.comp[node] = comp;
    this.nextSibling[node] = this.firstChild[parent]!;
    this.firstChild[parent] = node;
    if (map) map.set(comp, node);
    else if (count === LIST_MAX) {
      map = new Map();
      for (let c = node; c !== 0; c = this.nextSibling[c]!) map.set(this.comp[c]!, c);
      this.wide.set(parent, map);
      this.flags[parent]! |= WIDE;
    }
    return node;
  }

  /**
   * Four times as many. Pages of the arrays that no node reaches are never touched, so room
   * costs address space, not memory; the arrays left behind do cost memory until the next full
   * collection (rare in a run that makes little garbage), and growing fourfold keeps them to a
   * third of the new ones. (A caller that knows the input size gives a capacity that needs no
   * growing.)
   */
  private grow(): void {
    const size = this.comp.length * 4;
    this.comp = grown(this.comp, size);
    this.firstChild = grown(this.firstChild, size);
    this.nextSibling = grown(this.nextSibling, size);
    this.flags = grown(this.flags, size);
  }
}
