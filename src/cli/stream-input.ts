// Feeds a command's input through the streaming reader: the input is read in 64 KiB chunks and
// never held whole. On a terminal, a run longer than about a second shows progress on stderr.

import { StreamReader, type StreamHandlers, type StreamReaderOptions } from '../model/stream-reader.js';
import { inputSize, readInputChunks, type InputSpec } from './input.js';

export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;
  private readonly enabled: boolean;
  constructor(private readonly total: number | undefined, enabled = Boolean(process.stderr.isTTY)) {
    this.enabled = enabled && !process.env.XSMIG_NO_PROGRESS;
  }
  update(bytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const pct = this.total ? ` of ${mb(this.total)} MB (${Math.floor((100 * bytes) / this.total)}%)` : '';
    process.stderr.write(`\r\x1b[Kxsmig: read ${mb(bytes)} MB${pct}`);
  }
  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

/** Reads `input` through a StreamReader with `handlers`; throws DecodeError at the fault. */
export function streamInput(input: InputSpec, handlers: StreamHandlers, options?: StreamReaderOptions & { tap?: (chunk: Buffer) => void }): void {
  const reader = new StreamReader(handlers, options);
  const progress = new Progress(inputSize(input));
  let read = 0;
  try {
    readInputChunks(input, (chunk) => {
      read += chunk.length;
      reader.push(chunk);
      options?.tap?.(chunk);
      progress.update(read);
    }, undefined, options?.chunksReused);
    reader.end();
  } finally {
    progress.done();
  }
}
