// A set of byte strings, kept in one byte pool with an open-addressing table: what the checker
// remembers of each watch (for the duplicate rule) without a JavaScript string per watch. Adding
// a key copies its bytes once; looking one up allocates nothing.
//
// A key is hashed four bytes at a time (MurmurHash3's 32-bit mixing steps and finaliser), and a
// slot of the table holds the key's number and its hash side by side, so a probe that meets
// another key's slot is told apart without reading more. (Byte-at-a-time FNV-1a, with the hashes
// in an array of their own, took about a third of the time the checker spends on a stream's
// watches.)

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593;

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Whether a[at, at + n) equals b[s, s + n), four bytes at a time (`av`, `bv`: views of each from its first byte). */
export function equalBytes(a: Uint8Array, av: DataView, at: number, b: Uint8Array, bv: DataView, s: number, n: number): boolean {
  let k = 0;
  for (; k + 4 <= n; k += 4) if (av.getInt32(at + k, true) !== bv.getInt32(s + k, true)) return false;
  for (; k < n; k++) if (a[at + k] !== b[s + k]) return false;
  return true;
}

/** MurmurHash3 (x86, 32-bit, seed 0) of buf[s, e); `view` a view of `buf` from its first byte. */
export function hashBytes(buf: Uint8Array, view: DataView, s: number, e: number): number {
  let h = 0;
  let i = s;
  for (; i + 4 <= e; i += 4) {
    let k = Math.imul(view.getInt32(i, true), C1);
    k = Math.imul((k << 15) | (k >>> 17), C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The last one to three bytes, as a little-endian word.
  const rest = e - i;
  if (rest > 0) {
    let k = buf[i]!;
    if (rest > 1) k |= buf[i + 1]! << 8;
    if (rest > 2) k |= buf[i + 2]! << 16;
    k = Math.imul(k, C1);
    k = Math.imul((k << 15) | (k >>> 17), C2);
    h ^= k;
  }
  h ^= e - s;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

export class ByteSet {
  // (Sized for a few thousand keys at once, and grown four times over: a large stream holds
  // tens of thousands, and each growth is a pass over all of them.)
  private pool = new Uint8Array(1 << 16);
  private poolView = new DataView(this.pool.buffer);
  private used = 0;
  private start = new Int32Array(1 << 11);
  private len = new Int32Array(1 << 11);
  /** Slot t: key number + 1 (0: empty) at 2t, the key's hash at 2t + 1. */
  private slots = new Int32Array(2 << 12);

  /** Number of keys. */
  size = 0;

  /**
   * Adds the key buf[s, e) (`view`: a view of `buf` from its first byte) and returns false, or
   * returns true when it is in the set already (and changes nothing).
   */
  add(buf: Uint8Array, view: DataView, s: number, e: number): boolean {
    const h = hashBytes(buf, view, s, e);
    const n = e - s;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let t = h & mask;
    for (let v = slots[2 * t]!; v !== 0; t = (t + 1) & mask, v = slots[2 * t]!) {
      if (slots[2 * t + 1] !== h) continue;
      const id = v - 1;
      if (this.len[id] === n && equalBytes(this.pool, this.poolView, this.start[id]!, buf, view, s, n)) return true;
    }
    const id = this.size++;
    if (id === this.len.length) {
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
    this.used += n;
    slots[2 * t] = id + 1;
    slots[2 * t + 1] = h;
    if (2 * this.size > mask + 1) this.rehash();
    return false;
  }

  /** Four times the slots: each key placed again by the hash kept in its slot. */
  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 4);
    const mask = (slots.length >> 1) - 1;
    for (let u = 0; u < old.length; u += 2) {
      const v = old[u]!;
      if (v === 0) continue;
      const h = old[u + 1]!;
      let t = h & mask;
      while (slots[2 * t] !== 0) t = (t + 1) & mask;
      slots[2 * t] = v;
      slots[2 * t + 1] = h;
    }
    this.slots = slots;
  }
}
