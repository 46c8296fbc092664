// The JSON form written as a stream is read: the same text as streamToJsonText (json.ts), made
// record by record, so `decode` holds one record at a time. The text goes out in blocks of
// about 1 MiB through `write`.

import type { Stream, StreamHeader, XsRecord } from './types.js';
import { headerFromJson, JSON_FORMAT, JsonFormError, recordFromJson, recordToJson, streamFromJson, toHex, trailingFromJson } from './json.js';

const FLUSH_AT = 1 << 20;

export class JsonFormWriter {
  private parts: string[] = [];
  private size = 0;
  private records = 0;
  private closed = false;
  private inTrailing = false;
  /** Input bytes seen by input(), and where END ends in them (-1: not read yet). */
  private read = 0;
  private endAt = -1;

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

  /**
   * A record as the streaming reader delivers it, at `loc` (its offset and wire length): after
   * END the records array closes and input() takes the bytes that follow from the input.
   */
  recordAt(r: XsRecord, loc: { offset: number; wireLen: number }): void {
    this.record(r);
    if (r.type === 'END') {
      this.closeRecords();
      this.endAt = loc.offset + loc.wireLen;
    }
  }

  /**
   * Each chunk of the input, in order, as it is read: the bytes after END are written from the
   * chunks themselves (the streaming reader keeps only the first MiB of them).
   */
  input(chunk: Uint8Array): void {
    const start = this.read;
    this.read += chunk.length;
    if (this.endAt >= 0 && this.read > this.endAt) this.trailing(chunk.subarray(Math.max(0, this.endAt - start)));
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

// ---------------------------------------------------------------------------------------------
// Reading a JSON form as it comes, line by line: the decode document as `decode` writes it (a
// record per line) and the NDJSON of `dump --json`. A document in another layout (pretty-printed,
// all on one line) is parsed whole, as JSON.parse would: from its start when that shows before
// the first record, else from the line where the layout stops (the records before it are already
// delivered). Errors are those of streamFromJson (JSON paths, records[i] by record index), at the
// first faulty record in order.

export interface JsonFormHandlers {
  onHeader(header: StreamHeader): void;
  onRecord(record: XsRecord, index: number): void;
  /** The bytes of `trailingHex`, after the last record. */
  onTrailing?(bytes: Uint8Array): void;
}

/** How the input was read: a record per line, dump's NDJSON, or parsed whole. */
export type JsonFormLayout = 'lines' | 'ndjson' | 'whole';

const DUMP_SCHEMA = 'xsmig-dump/1';
/** Fields dump --json adds beside the JSON form of a record (`len` is the record's own). */
const DUMP_EXTRA = ['index', 'offset', 'inDataMessages', 'outDataMessages'];
const RECORDS_OPEN = /^"records"\s*:\s*\[$/;
const ONCE = ['format', 'header', 'records'];

type Mode = 'start' | 'pre' | 'records' | 'post' | 'rest' | 'whole' | 'ndjson';

export class JsonFormReader {
  private partial: Buffer[] = [];
  private lineNo = 0;
  private mode: Mode = 'start';
  /** Text kept for a whole parse (whole, pre), or after the records (post, rest). */
  private kept: string[] = [];
  private pre: Record<string, unknown> = {};
  private index = 0;
  private prevComma = false;
  private postComma = false;
  private finished = false;

  constructor(private readonly h: JsonFormHandlers) {}

  /** The layout found (known once the first record or the end is reached). */
  get layout(): JsonFormLayout {
    return this.mode === 'ndjson' ? 'ndjson' : this.mode === 'whole' || this.mode === 'start' || this.mode === 'pre' ? 'whole' : 'lines';
  }

  push(chunk: Uint8Array): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      const piece = Buffer.from(chunk.buffer, chunk.byteOffset + from, nl - from);
      const text = this.partial.length ? Buffer.concat([...this.partial, piece]).toString('utf8') : piece.toString('utf8');
      this.partial = [];
      this.line(text);
      from = nl + 1;
    }
    if (from < chunk.length) this.partial.push(Buffer.from(chunk.subarray(from)));
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.partial.length) {
      const text = Buffer.concat(this.partial).toString('utf8');
      this.partial = [];
      this.line(text);
    }
    switch (this.mode) {
      case 'start':
      case 'pre':
      case 'whole':
        return this.whole();
      case 'records':
      case 'rest':
        return this.rest();
      case 'post':
        return this.post();
      case 'ndjson':
        return;
    }
  }

  private line(s: string): void {
    this.lineNo++;
    if (this.lineNo === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1); // (an editor's byte-order mark)
    switch (this.mode) {
      case 'start':
        return this.startLine(s);
      case 'pre':
        return this.preLine(s);
      case 'records':
        return this.recordLine(s);
      case 'ndjson':
        return this.ndjsonLine(s);
      default:
        this.kept.push(s);
    }
  }

  private startLine(s: string): void {
    const t = s.trim();
    this.kept.push(s);
    if (t === '') return;
    if (t === '{') {
      this.mode = 'pre';
      return;
    }
    if (t.startsWith('{"schema"')) {
      let d: Record<string, unknown> | undefined;
      try {
        d = JSON.parse(t) as Record<string, unknown>;
      } catch {
        d = undefined;
      }
      if (d && typeof d === 'object' && 'header' in d && typeof d.schema === 'string' && d.schema.startsWith('xsmig-dump/')) {
        if (d.schema !== DUMP_SCHEMA) throw new JsonFormError(`line ${this.lineNo}.schema`, `expected "${DUMP_SCHEMA}" (dump --json), found ${JSON.stringify(d.schema)}`);
        this.mode = 'ndjson';
        this.kept = [];
        this.h.onHeader(headerFromJson(JSON_FORMAT, d.header));
        return;
      }
    }
    this.mode = 'whole';
  }

  private preLine(s: string): void {
    const t = s.trim();
    this.kept.push(s);
    if (t === '') return;
    if (RECORDS_OPEN.test(t)) {
      if (!('format' in this.pre) || !('header' in this.pre)) {
        this.mode = 'whole';
        return;
      }
      this.h.onHeader(headerFromJson(this.pre.format, this.pre.header));
      this.mode = 'records';
      this.kept = [];
      return;
    }
    let o: unknown;
    try {
      o = t.endsWith(',') ? JSON.parse(`{${t.slice(0, -1)}}`) : undefined;
    } catch {
      o = undefined;
    }
    if (!o || 'records' in (o as object)) {
      this.mode = 'whole';
      return;
    }
    Object.assign(this.pre, o);
  }

  private recordLine(s: string): void {
    const t = s.trim();
    if (t === '') return;
    if ((t === ']' || t === '],') && (this.index === 0 || !this.prevComma)) {
      this.mode = 'post';
      this.postComma = t === '],';
      return;
    }
    const comma = t.endsWith(',');
    const body = comma ? t.slice(0, -1) : t;
    let j: unknown;
    if (body.startsWith('{') && body.endsWith('}') && (this.index === 0 || this.prevComma)) {
      try {
        j = JSON.parse(body);
      } catch {
        j = undefined;
      }
    }
    if (j === undefined) {
      // Not a record per line from here: the rest is parsed whole.
      this.mode = 'rest';
      this.kept.push(s);
      return;
    }
    this.prevComma = comma;
    this.h.onRecord(recordFromJson(j, this.index), this.index);
    this.index++;
  }

  private ndjsonLine(s: string): void {
    const t = s.trim();
    if (t === '') return;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch (e) {
      throw new SyntaxError(`line ${this.lineNo}: ${(e as Error).message}`);
    }
    const at = `line ${this.lineNo}`;
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new JsonFormError(at, 'expected an object (a record of dump --json)');
    const r = o as Record<string, unknown>;
    if ('trailingBytes' in r) throw new JsonFormError(`${at}.trailingBytes`, 'dump --json gives only the count of the bytes after END: encode the JSON form of xsmig decode to keep them');
    for (const k of ['fault', 'salvage', 'error']) {
      if (k in r) throw new JsonFormError(`${at}.${k}`, `a dump --json that ${k === 'error' ? 'failed' : 'was salvaged'} does not hold the whole stream`);
    }
    if (r.index !== this.index) {
      throw new JsonFormError(`${at}.index`, `expected ${this.index}, found ${JSON.stringify(r.index)}: a filtered dump --json (--type, --path, --record, ...) does not hold the whole stream`);
    }
    for (const k of DUMP_EXTRA) delete r[k];
    this.h.onRecord(recordFromJson(r, this.index), this.index);
    this.index++;
  }

  private whole(): void {
    const s: Stream = streamFromJson(JSON.parse(this.kept.join('\n')));
    this.kept = [];
    this.h.onHeader(s.header);
    s.records.forEach((r, i) => this.h.onRecord(r, i));
    if (s.trailing) this.h.onTrailing?.(s.trailing);
  }

  /** The records from the line where the layout stopped, and what follows them, parsed whole. */
  private rest(): void {
    const skip = this.index > 0 ? 1 : 0;
    const text = `{"records":[${skip ? (this.prevComma ? '0,' : '0') : ''}${this.kept.join('\n')}`;
    this.kept = [];
    const o = JSON.parse(text) as Record<string, unknown>;
    this.checkOnce(o);
    const recs = o.records as unknown[];
    for (let i = skip; i < recs.length; i++) {
      this.h.onRecord(recordFromJson(recs[i], this.index), this.index);
      this.index++;
    }
    this.tail(o);
  }

  /** What follows the records: trailingHex, the document's end. */
  private post(): void {
    const o = JSON.parse(`{"records":[]${this.postComma ? ',' : ''}${this.kept.join('\n')}`) as Record<string, unknown>;
    this.kept = [];
    this.checkOnce(o);
    this.tail(o);
  }

  private checkOnce(o: Record<string, unknown>): void {
    for (const k of ONCE) {
      if (k !== 'records' && k in o) throw new JsonFormError(`$.${k}`, 'given again after the records (read as a stream, a key is taken once)');
    }
  }

  private tail(o: Record<string, unknown>): void {
    const hex = 'trailingHex' in o ? o.trailingHex : this.pre.trailingHex;
    if (hex !== undefined) this.h.onTrailing?.(trailingFromJson(hex));
  }
}
