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
// Streams list nodes in tree order: a path is nearly always a child of the previous one, or
// of one of its ancestors (a sibling, or moving back up). The checker keeps the nodes along the
// previous path and their path strings, and recognises the parent with one native string
// comparison (lastIndexOf(x, 0)), far cheaper than a loop over the characters in JavaScript.
// A node's children are a list (nodes made one after the other lie side by side in the arrays,
// so the list stays in cache); a node with many children also gets a Map from component to
// child. There is no table over all nodes: a lookup in one would miss the processor's cache for
// nearly every node of a large stream.

/** What commit() found; the path is committed afterwards in every case. */
export const PATH_NEW = 0;
/** The path was committed before. */
export const PATH_DUPLICATE = 1;
/** The path's parent (by parentOf(): up to its last '/') is neither "/" nor committed. */
export const PATH_PARENT_MISSING = 2;

const SLASH = 0x2f;
const ROOT = 0;
/** Children a node may have before its list gets a Map. */
const LIST_MAX = 32;
/** Node flags: committed (else only on the way to a deeper node); children in a Map. */
const COMMITTED = 1;
const WIDE = 2;
/** FNV-1a over the characters of a component (last to first), for interning it without making a string. */
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

export class CommittedPaths {
  /** Interned components: text and hash by number, and an open-addressing table (number + 1, 0: empty) by hash. */
  private readonly compText: string[] = [];
  private compHash = new Int32Array(1024);
  private compSlots = new Int32Array(2048);
  /**
   * Per node (13 bytes): component number, first child and next sibling (0: none; node 0, the
   * root, is no one's child), flags.
   */
  private comp = new Int32Array(1024);
  private firstChild = new Int32Array(1024);
  private nextSibling = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private nodes = 1;
  /** Component -> child, for nodes with more than LIST_MAX children. */
  private readonly wide = new Map<number, Map<number, number>>();
  /**
   * The nodes along the previous path: stack[d] is the node of its first d components (the root
   * at 0, the path's own node at `depth`) and dirs[d] that node's path (dirs[0] = "").
   */
  private readonly stack: number[] = [ROOT];
  private readonly dirs: string[] = [''];
  /** dirClean[d]: dirs[d] is a clean path (see the constructor); the root's "" counts as one. */
  private readonly dirClean: boolean[] = [true];
  private depth = 0;
  /** What probe() found for `probed`: last '/', parent's depth along the stack (-1: not there), hash of the last component. */
  private probed: string | undefined;
  private probedLast = 0;
  private probedParent = -1;
  private probedHash = 0;

  /**
   * `accepted`: by latin1 code, 1 for the characters a component of a clean path may hold;
   * `maxLength`: the longest clean path. A clean path is one or more '/' each followed by a
   * non-empty component (so not "/"), at most `maxLength` long.
   */
  constructor(private readonly accepted: Uint8Array, private readonly maxLength: number) {}

  /** Number of committed paths. */
  size = 0;

  /**
   * Looks at `path` (which starts with '/'), changing nothing: true when it is certainly clean,
   * which is decided from its last component alone when its parent is along the previous path
   * and clean (a tree-order stream); false when the caller must look at the whole path.
   */
  probe(path: string): boolean {
    const dirs = this.dirs;
    const accepted = this.accepted;
    const n = path.length;
    // The last component, from the end back to the last '/': its characters and its hash.
    let leafOk = true;
    let h = HASH_SEED;
    let last = n - 1;
    for (; last > 0; last--) {
      const c = path.charCodeAt(last);
      if (c === SLASH) break;
      if (c > 0xff || accepted[c] === 0) leafOk = false;
      h = Math.imul(h ^ c, HASH_PRIME);
    }
    // The parent's path is path[0, last): the one of dirs that long, if path starts with it.
    // (dirs grow longer with depth; lastIndexOf(x, 0) === 0 is startsWith, and cheaper in V8.)
    let d = this.depth;
    while (dirs[d]!.length > last) d--;
    if (dirs[d]!.length !== last || (d > 0 && path.lastIndexOf(dirs[d]!, 0) !== 0)) d = -1;
    const clean = leafOk && d >= 0 && this.dirClean[d]! && last + 1 < n && n <= this.maxLength;
    this.probed = path;
    this.probedLast = last;
    this.probedParent = d;
    this.probedHash = h;
    return clean;
  }

  /**
   * Commits `path` (which starts with '/'; `clean`: it is a clean path) and says whether it was
   * new, a duplicate, or lacks its parent.
   */
  commit(path: string, clean: boolean): number {
    if (path !== this.probed) this.probe(path);
    this.probed = undefined;
    const stack = this.stack;
    const last = this.probedLast;
    let d = this.probedParent;
    if (d < 0) d = this.walk(path, last, clean);
    const depth = d + 1;
    const node = this.child(stack[d]!, this.intern(path, last + 1, path.length, this.probedHash));
    stack[depth] = node;
    this.dirs[depth] = path;
    this.dirClean[depth] = clean;
    this.depth = depth;

    if ((this.flags[node]! & COMMITTED) !== 0) return PATH_DUPLICATE;
    this.flags[node]! |= COMMITTED;
    this.size++;
    // The parent is "/" by name (which the rule takes as the root, always there) when the last
    // '/' is the first or the second character ("/x", "//x").
    return last > 1 && (this.flags[stack[d]!]! & COMMITTED) === 0 ? PATH_PARENT_MISSING : PATH_NEW;
  }

  /**
   * For a path whose parent is not along the previous path: keeps the nodes of the components
   * it shares with that path, finds or makes the others up to its last '/' (at `last`), and
   * returns the depth of its parent.
   */
  private walk(path: string, last: number, clean: boolean): number {
    const stack = this.stack;
    const dirs = this.dirs;
    let d = this.depth;
    // The deepest node along the previous path that is an ancestor of this one.
    while (d > 0 && !(dirs[d]!.length < last && path.charCodeAt(dirs[d]!.length) === SLASH && path.lastIndexOf(dirs[d]!, 0) === 0)) d--;
    let start = dirs[d]!.length + 1;
    let node = stack[d]!;
    while (start <= last) {
      const end = path.indexOf('/', start); // (at most `last`)
      let h = HASH_SEED;
      for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ path.charCodeAt(i), HASH_PRIME);
      node = this.child(node, this.intern(path, start, end, h));
      stack[++d] = node;
      dirs[d] = path.substring(0, end);
      this.dirClean[d] = clean; // (a clean path's ancestors are clean)
      start = end + 1;
    }
    return d;
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
    this.compText.push(path.substring(start, end));
    if (id === this.compHash.length) {
      const more = new Int32Array(id * 2);
      more.set(this.compHash);
      this.compHash = more;
    }
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

  /** Half as many again (doubling would leave up to half of a large stream's arrays unused). */
  private grow(): void {
    const size = this.comp.length + (this.comp.length >> 1);
    const more = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.comp = more(this.comp, new Int32Array(size));
    this.firstChild = more(this.firstChild, new Int32Array(size));
    this.nextSibling = more(this.nextSibling, new Int32Array(size));
    this.flags = more(this.flags, new Uint8Array(size));
  }
}
