// Streaming writer: the encoding half of a record-by-record pipeline (StreamReader -> change ->
// StreamWriter), for conversions that need not hold the stream: records are written as they
// come into one reused block, flushed to the sink as it fills. Same bytes as encodeStream of
// the same records.

import { EncodeError } from '../wire/errors.js';
import { BinaryWriter, type Sink } from '../wire/writer.js';
import { writeHeader, writeRecord } from './encode.js';
import type { StreamHeader, XsRecord } from './types.js';

export interface StreamWriterOptions {
  /** The sink writes each chunk out before it returns: it is handed views of one reused block. */
  transient?: boolean;
  /** Block size (default 1 MiB); flushed when half full. */
  blockSize?: number;
}

export class StreamWriter {
  private readonly w: BinaryWriter;
  private index = 0;
  private ended = false;

  /** Writes the header at once, in big-endian as always; records follow in `header.byteOrder`. */
  constructor(header: StreamHeader, sink: Sink, options: StreamWriterOptions = {}) {
    this.w = new BinaryWriter(header.byteOrder, sink, options.blockSize ?? 1 << 20, options.transient ?? false);
    writeHeader(this.w, header);
  }

  /** Bytes written so far (flushed or buffered). */
  get offset(): number {
    return this.w.offset;
  }

  /** Appends one record; EncodeError names it by its index in this stream. */
  write(record: XsRecord): void {
    if (this.ended) throw new EncodeError(this.index, 'record written after the stream was ended');
    writeRecord(this.w, record, this.index++);
    this.w.maybeFlush();
  }

  /** Appends `trailing` (bytes after END, if any) and flushes everything to the sink. */
  end(trailing?: Uint8Array): void {
    if (this.ended) return;
    this.ended = true;
    if (trailing) this.w.bytes(trailing);
    this.w.flush();
  }
}
