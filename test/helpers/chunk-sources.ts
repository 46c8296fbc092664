// Byte sources over a buffer in small pieces (records straddle them), for the streaming convert tests.

import type { ChunkPuller, ChunkSource } from '../../src/convert/streaming.js';

/** A source of `b` in chunks of `size` bytes, each a copy of its own. */
export function chunks(b: Uint8Array, size: number): ChunkSource {
  return (on) => {
    for (let i = 0; i < b.length; i += size) on(b.slice(i, i + size));
  };
}

/** `b` pulled `size` bytes at a time. */
export function puller(b: Uint8Array, size: number): ChunkPuller {
  let i = 0;
  return () => (i < b.length ? b.slice(i, (i += size)) : undefined);
}
