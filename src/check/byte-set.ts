// A set of byte strings, kept in one byte pool with an open-addressing table: what the checker
// remembers of each watch (for the duplicate rule) without a JavaScript string per watch. Adding
// a key copies its bytes once; looking one up allocates nothing.

const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

export class ByteSet {
  // (Sized for a few thousand keys at once, and grown four times over: a large stream holds
  // tens of thousands, and each growth is a pass over all of them.)
  private pool = new Uint8Array(1 << 16);
  private poolView = new DataView(this.pool.buffer);
  private used = 0;
  private start = new Int32Array(1 << 11);
  private len = new Int32Array(1 << 11);
  private hash = new Int32Array(1 << 11);
  /** Key number + 1 by hash (0: empty). */
  private slots = new Int32Array(1 << 12);

  /** Number of keys. */
  size = 0;

  /**
   * Adds the key buf[s, e) (`view`: a view of `buf` from its first byte) and returns false, or
   * returns true when it is in the set already (and changes nothing).
   */
  add(buf: Uint8Array, view: DataView, s: number, e: number): boolean {
    let h = HASH_SEED;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, HASH_PRIME);
    const n = e - s;
    const slots = this.slots;
    const mask = slots.length - 1;
    let t = h & mask;
    for (let v = slots[t]!; v !== 0; t = (t + 1) & mask, v = slots[t]!) {
      const id = v - 1;
      if (this.hash[id] === h && this.len[id] === n && this.same(this.start[id]!, buf, view, s, n)) return true;
    }
    const id = this.size++;
    if (id === this.hash.length) {
      this.hash = grown(this.hash, 4 * id);
      this.start = grown(this.start, 4 * id);
      this.len = grown(this.len, 4 * id);
    }
    if (this.used + n > this.pool.length) {
      this.pool = grown(this.pool, 4 * (this.used + n));
      this.poolView = new DataView(this.pool.buffer);
    }
    const pool = this.pool;
    for (let i = 0; i < n; i++) pool[this.used + i] = buf[s + i]!;
    this.start[id] = this.used;
    this.len[id] = n;
    this.hash[id] = h;
    this.used += n;
    slots[t] = id + 1;
    if (2 * this.size > slots.length) this.rehash();
    return false;
  }

  private same(at: number, buf: Uint8Array, view: DataView, s: number, n: number): boolean {
    const pv = this.poolView;
    let k = 0;
    for (; k + 4 <= n; k += 4) if (pv.getInt32(at + k, true) !== view.getInt32(s + k, true)) return false;
    const pool = this.pool;
    for (; k < n; k++) if (pool[at + k] !== buf[s + k]) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 4);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let t = this.hash[id]! & mask;
      while (slots[t] !== 0) t = (t + 1) & mask;
      slots[t] = id + 1;
    }
    this.slots = slots;
  }
}
