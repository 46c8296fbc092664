// Comparable form of model values: byte arrays (Buffer or Uint8Array alike) become tagged hex
// strings, so that deep equality does not depend on which of the two the decoder returned;
// bigints become strings (so that the result can go through JSON.stringify).

export function comparable(x: unknown): unknown {
  if (x instanceof Uint8Array) return { bytes: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') };
  if (typeof x === 'bigint') return `${x}n`;
  if (Array.isArray(x)) return x.map(comparable);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = comparable(v);
    return out;
  }
  return x;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
