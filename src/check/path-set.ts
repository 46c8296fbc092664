// The committed node paths the checker must remember (for the duplicate and parent rules), kept
// as a tree of interned path components in typed arrays instead of a Set of whole path strings.
// A stream of a million nodes holds a million paths: as strings they cost about 100 MiB and keep
// every decoded path alive (the garbage collector copies each one twice); as tree nodes they cost
// under 30 bytes each, and the decoded strings die young.
//
// A path "/c1/c2/.../ck" is the node reached by the components c1..ck (split on '/', empty
// components included, so "/" is the node of one empty component and "/a/" that of "a", ""):
// distinct strings are distinct nodes, and the parent of a node is what parentOf() in the
// checker names. Nodes made only to reach a deeper one are not committed.
//
// Streams list nodes in tree order, so most paths share all but their last component with the
// previous one: the nodes along the previous path are kept, and only the components past the
// common prefix are looked up. A node's children are a list (nodes made one after the other lie
// side by side in the arrays, so the list stays in cache); a node with many children also gets
// a Map from component to child. There is no table over all nodes: a lookup in one would miss
// the processor's cache for nearly every node of a large stream.

/** What commit() found; the path is committed afterwards in every case. */
export const PATH_NEW = 0;
/** The path was committed before. */
export const PATH_DUPLICATE = 1;
/** The path's parent (by parentOf(): up to its last '/') is neither "/" nor committed. */
export const PATH_PARENT_MISSING = 2;
/** commitIfClean: the path is not clean; nothing was committed. */
export const PATH_NOT_CLEAN = -1;

const SLASH = 0x2f;
const ROOT = 0;
/** Children a node may have before its list gets a Map. */
const LIST_MAX = 32;
/** FNV-1a, over the characters of a component. */
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

export class CommittedPaths {
  /** Interned components: text and hash by number, and an open-addressing table (number + 1, 0: empty) by hash. */
  private readonly compText: string[] = [];
  private compHash = new Int32Array(1024);
  private compSlots = new Int32Array(2048);
  /**
   * Per node: component number, first child and next sibling (0: none; node 0, the root, is no
   * one's child), number of children, committed (1) or only on the way to a deeper node (0).
   */
  private comp = new Int32Array(1024);
  private firstChild = new Int32Array(1024);
  private nextSibling = new Int32Array(1024);
  private children = new Int32Array(1024);
  private committed = new Uint8Array(1024);
  private nodes = 1;
  /** Component -> child, for nodes with more than LIST_MAX children. */
  private readonly wide = new Map<number, Map<number, number>>();
  /** The previous path, and the node of each of its first d components at stack[d]. */
  private prev = '';
  private readonly stack: number[] = [ROOT];
  /** The previous path was clean: the part a new path shares with it need not be looked at again. */
  private prevClean = false;
  /** Set by sharedPrefix(): components shared with `prev`, and where the next one starts. */
  private shared = 0;
  private start = 0;

  /**
   * `accepted`: by latin1 code, 1 for the characters besides '/' a clean path may hold;
   * `maxLength`: the longest clean path. (A clean path also starts with '/', and holds no "//"
   * and no final '/' unless it is "/".)
   */
  constructor(private readonly accepted: Uint8Array, private readonly maxLength: number) {}

  /** Number of committed paths. */
  size = 0;

  /** Commits `path` (which starts with '/') and says whether it was new, a duplicate, or lacks its parent. */
  commit(path: string): number {
    this.sharedPrefix(path);
    this.prevClean = false;
    return this.walk(path, false);
  }

  /**
   * commit(), for a path that is clean; PATH_NOT_CLEAN (nothing committed) for one that is not.
   * Only the characters past the part shared with the previous clean path are looked at.
   */
  commitIfClean(path: string): number {
    const n = path.length;
    if (n === 0 || n > this.maxLength || path.charCodeAt(0) !== SLASH) return PATH_NOT_CLEAN;
    if (!this.prevClean) this.prev = ''; // look at every component
    this.sharedPrefix(path);
    const r = this.walk(path, true);
    this.prevClean = r !== PATH_NOT_CLEAN;
    return r;
  }

  /** Compares `path` with the previous one: sets shared and start. */
  private sharedPrefix(path: string): void {
    const prev = this.prev;
    const n = path.length;
    // Each '/' of the common prefix ends a shared component, and so does the prefix's end
    // when both paths end a component there.
    const m = n < prev.length ? n : prev.length;
    let shared = 0;
    let lastSlash = 0;
    let i = 1;
    for (; i < m; i++) {
      const c = path.charCodeAt(i);
      if (c !== prev.charCodeAt(i)) break;
      if (c === SLASH) {
        shared++;
        lastSlash = i;
      }
    }
    if (prev.length > 0 && (i === n || path.charCodeAt(i) === SLASH) && (i === prev.length || prev.charCodeAt(i) === SLASH)) {
      this.shared = shared + 1;
      this.start = i + 1;
    } else {
      this.shared = shared;
      this.start = lastSlash + 1;
    }
  }

  /**
   * Finds or makes the nodes of the components past the shared ones, and commits the last.
   * With `clean`, gives up (PATH_NOT_CLEAN, the last path forgotten) at a character or an
   * empty component a clean path cannot have.
   */
  private walk(path: string, clean: boolean): number {
    const stack = this.stack;
    const accepted = this.accepted;
    const n = path.length;
    let depth = this.shared;
    let start = this.start;
    let node = stack[depth]!;
    // The remaining components, from `start` (past the end when there are none).
    while (start <= n) {
      let h = HASH_SEED;
      let end = start;
      for (; end < n; end++) {
        const c = path.charCodeAt(end);
        if (c === SLASH) break;
        if (clean && (c > 0xff || accepted[c] === 0)) return this.unclean();
        h = Math.imul(h ^ c, HASH_PRIME);
      }
      if (clean && end === start && n > 1) return this.unclean(); // "//" or a final '/'
      node = this.child(node, this.intern(path, start, end, h));
      stack[++depth] = node;
      start = end + 1;
    }
    this.prev = path;

    let result = PATH_NEW;
    if (this.committed[node] === 1) result = PATH_DUPLICATE;
    else {
      // (The parent of "//x" is "/" by name, which the rule takes as the root, always there.)
      if (depth >= 2 && this.committed[stack[depth - 1]!] === 0 && !(depth === 2 && path.charCodeAt(1) === SLASH)) result = PATH_PARENT_MISSING;
      this.committed[node] = 1;
      this.size++;
    }
    return result;
  }

  /** Nodes made on the way stay (not committed); the stack no longer matches `prev`. */
  private unclean(): number {
    this.prev = '';
    return PATH_NOT_CLEAN;
  }

  /** Number of the component path[start, end) (hash `h`), interned if new: no string made for a known one. */
  private intern(path: string, start: number, end: number, h: number): number {
    const slots = this.compSlots;
    const mask = slots.length - 1;
    const len = end - start;
    let s = h & mask;
    for (let v = slots[s]!; v !== 0; s = (s + 1) & mask, v = slots[s]!) {
      const id = v - 1;
      if (this.compHash[id] !== h) continue;
      const text = this.compText[id]!;
      if (text.length !== len) continue;
      let i = 0;
      while (i < len && text.charCodeAt(i) === path.charCodeAt(start + i)) i++;
      if (i === len) return id;
    }
    const id = this.compText.length;
    this.compText.push(path.slice(start, end));
    if (id === this.compHash.length) this.compHash = grown(this.compHash);
    this.compHash[id] = h;
    slots[s] = id + 1;
    if ((id + 1) * 2 > slots.length) {
      const more = new Int32Array(slots.length * 2);
      const m = more.length - 1;
      for (let i = 0; i <= id; i++) {
        let t = this.compHash[i]! & m;
        while (more[t] !== 0) t = (t + 1) & m;
        more[t] = i + 1;
      }
      this.compSlots = more;
    }
    return id;
  }

  /** The node of component `comp` under `parent`, made (not committed) if new. */
  private child(parent: number, comp: number): number {
    const count = this.children[parent]!;
    let map: Map<number, number> | undefined;
    if (count <= LIST_MAX) {
      for (let c = this.firstChild[parent]!; c !== 0; c = this.nextSibling[c]!) if (this.comp[c] === comp) return c;
    } else {
      map = this.wide.get(parent)!;
      const c = map.get(comp);
      if (c !== undefined) return c;
    }
    const node = this.nodes++;
    if (node === this.comp.length) {
      this.comp = grown(this.comp);
      this.firstChild = grown(this.firstChild);
      this.nextSibling = grown(this.nextSibling);
      this.children = grown(this.children);
      const committed = new Uint8Array(node * 2);
      committed.set(this.committed);
      this.committed = committed;
    }
    this.comp[node] = comp;
    this.nextSibling[node] = this.firstChild[parent]!;
    this.firstChild[parent] = node;
    this.children[parent] = count + 1;
    if (map) map.set(comp, node);
    else if (count === LIST_MAX) {
      map = new Map();
      for (let c = node; c !== 0; c = this.nextSibling[c]!) map.set(this.comp[c]!, c);
      this.wide.set(parent, map);
    }
    return node;
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
