// Bytes after END, as convert's diff names them (shared by the verify stage's two threads).

/** The hex of the bytes kept (`head`), and their count when some were not. */
export function trailingText(head: Uint8Array, count: number): string {
  const hex = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('hex');
  return `${hex}${count > head.length ? ` (${count} bytes)` : ''}`;
}

/** How many bytes after END the diff keeps (the rest are counted). */
export const TRAILING_KEPT = 1 << 20;
