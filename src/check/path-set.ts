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
// common prefix are looked up.

/** What commit() found; the path is committed afterwards in every case. */
export const PATH_NEW = 0;
/** The path was committed before. */
export const PATH_DUPLICATE = 1;
/** The path has a parent other than "/" (two components or more) that is not committed. */
export const PATH_PARENT_MISSING = 2;

const SLASH = 0x2f;
const ROOT = 0;

export class CommittedPaths {
  /** Component string -> its number. */
  private readonly compIds = new Map<string, number>();
  /** Per node: parent node, component number, committed (1) or only on the way (0). */
  private parent = new Int32Array(1024);
  private comp = new Int32Array(1024);
  private committed = new Uint8Array(1024);
  private nodes = 1; // node 0 is the root, the parent of every first component
  /** Open addressing: slot -> node + 1 (0: empty), keyed by (parent, component). */
  private slots = new Int32Array(2048);
  private mask = 2047;
  /** The previous path, and the node of each of its first d components at stack[d]. */
  private prev = '';
  private readonly stack: number[] = [ROOT];

  /** Number of committed paths. */
  size = 0;

  /** Commits `path` (which starts with '/') and says whether it was new, a duplicate, or lacks its parent. */
  commit(path: string): number {
    const prev = this.prev;
    const stack = this.stack;
    const n = path.length;
    // Components shared with the previous path: each '/' of the common prefix ends one, and
    // so does the prefix's end when both paths end a component there.
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
    let start: number;
    if (prev.length > 0 && (i === n || path.charCodeAt(i) === SLASH) && (i === prev.length || prev.charCodeAt(i) === SLASH)) {
      shared++;
      start = i + 1;
    } else {
      start = lastSlash + 1;
    }
    let depth = shared;
    let node = stack[depth]!;
    // The remaining components, from `start` (past the end when there are none).
    while (start <= n) {
      let end = path.indexOf('/', start);
      if (end < 0) end = n;
      node = this.child(node, path.slice(start, end));
      stack[++depth] = node;
      start = end + 1;
    }
    stack.length = depth + 1;
    this.prev = path;

    let result = PATH_NEW;
    if (this.committed[node] === 1) result = PATH_DUPLICATE;
    else {
      if (depth >= 2 && this.committed[stack[depth - 1]!] === 0) result = PATH_PARENT_MISSING;
      this.committed[node] = 1;
      this.size++;
    }
    return result;
  }

  private static hash(parent: number, comp: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ comp;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
    return h ^ (h >>> 13);
  }

  /** The node of component `name` under `parent`, made (not committed) if new. */
  private child(parent: number, name: string): number {
    let comp = this.compIds.get(name);
    if (comp === undefined) {
      comp = this.compIds.size;
      this.compIds.set(name, comp);
    }
    const slots = this.slots;
    const mask = this.mask;
    let s = CommittedPaths.hash(parent, comp) & mask;
    for (; ; s = (s + 1) & mask) {
      const v = slots[s]!;
      if (v === 0) break;
      const node = v - 1;
      if (this.parent[node] === parent && this.comp[node] === comp) return node;
    }
    const node = this.nodes++;
    if (node === this.parent.length) this.growNodes();
    this.parent[node] = parent;
    this.comp[node] = comp;
    slots[s] = node + 1;
    if (this.nodes * 2 > slots.length) this.growSlots();
    return node;
  }

  private growNodes(): void {
    const size = this.parent.length * 2;
    const parent = new Int32Array(size);
    parent.set(this.parent);
    this.parent = parent;
    const comp = new Int32Array(size);
    comp.set(this.comp);
    this.comp = comp;
    const committed = new Uint8Array(size);
    committed.set(this.committed);
    this.committed = committed;
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let node = 1; node < this.nodes; node++) {
      let s = CommittedPaths.hash(this.parent[node]!, this.comp[node]!) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = node + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
