// The JSON form written as a stream is read: the same text as streamToJsonText (json.ts), made
// record by record, so `decode` holds one record at a time. The text goes out in blocks of
// about 1 MiB through `write`.

import type { StreamHeader, XsRecord } from './types.js';
import { JSON_FORMAT, recordToJson, toHex } from './json.js';

const FLUSH_AT = 1 << 20;

export class JsonFormWriter {
  private parts: string[] = [];
  private size = 0;
  private records = 0;
  private closed = false;
  private inTrailing = false;

  constructor(private readonly write: (chunk: Uint8Array) => void) {}

  private put(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const s = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.write(Buffer.from(s, 'utf8'));
  }

  header(h: StreamHeader): void {
    this.put(`{\n  "format": ${JSON.stringify(JSON_FORMAT)},\n  "header": ${JSON.stringify({ ...h })},\n  "records": [\n`);
  }

  record(r: XsRecord): void {
    this.put(`${this.records++ ? ',\n' : ''}    ${JSON.stringify(recordToJson(r))}`);
  }

  /** Closes the records array (after END; end() does it if not called). */
  closeRecords(): void {
    if (this.closed) return;
    this.closed = true;
    this.put('\n  ]');
  }

  /** Bytes after END, in as many pieces as they come. */
  trailing(b: Uint8Array): void {
    if (b.length === 0) return;
    this.closeRecords();
    if (!this.inTrailing) this.put(',\n  "trailingHex": "');
    this.inTrailing = true;
    this.put(toHex(b));
  }

  end(): void {
    this.closeRecords();
    this.put(`${this.inTrailing ? '"' : ''}\n}\n`);
    this.flush();
  }
}
