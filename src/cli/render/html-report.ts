// `dump --html`: one self-contained page (inline CSS and script, no network) that shows a stream
// as a filterable record list and, for the selected record, its fields and its bytes.
//
// Built to stay usable on a 100 MB stream: the page embeds, in chunks of records,
//   - the record index (type, offset, len, connection, domain, path, a short description),
//   - the field details (recordFields/recordSpans: the same data as `dump --hex`),
//   - the raw bytes,
// each as base64 of gzip; the page decompresses the index at load and the other two only for
// the chunk of the selected record, and renders the list and the hex view virtualised (DOM nodes
// for the visible rows only).
//
// `check` runs in the same pass (its StreamChecker) and its findings are marked on their records.
//
// Nothing from the stream reaches the markup unescaped: text goes through escapeHtml, JSON in a
// script element through jsonForScript, chunk data is base64, and the page script puts values
// into the DOM with textContent only. A Content-Security-Policy admits only the page's own script
// (by hash) and no network at all.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { RULES, StreamChecker, type Finding } from '../../check/index.js';
import { recordAnomalies } from '../../model/anomalies.js';
import { StreamReader } from '../../model/stream-reader.js';
import type { RecordLocation, StreamHeader, XsRecord } from '../../model/types.js';
import { ALL_RECORD_TYPE_NAMES, RecordType, reservedDomidName, type ByteOrder } from '../../wire/constants.js';
import { DecodeError } from '../../wire/errors.js';
import { palette } from '../color.js';
import { checkSummaryOf, renderSummary, summaryCollector } from '../commands/info.js';
import { DomainTracker, globToRegExp, makeFilter, recordConnId, recordPath } from '../filters.js';
import { REPORT_BODY, REPORT_CSS, reportScript } from './html-assets.js';
import { escapeHtml, jsonForScript, xsEscape, xsEscapeString } from './escape.js';
import { recordFields, recordSpans, spanLabel } from './record.js';

export interface HtmlReportOptions {
  /** How the input is named (file name or <stdin>). */
  label: string;
  /** Cut field values after this many bytes (0: all); the hex view always has every byte. */
  maxBytes: number;
  /** Run `check` in the same pass and mark its findings on their records (default true). */
  check?: boolean;
  /** Filters preset in the page (from dump's --type, --path, --conn, --domid). */
  filter?: { types?: string[] | undefined; path?: string | undefined; conn?: number | undefined; domid?: number | undefined };
  /**
   * Bytes of record data the page embeds at most (default HTML_BUDGET). Above it the page holds
   * the overview (summary, findings), the records with anomalies or findings, and the records
   * that `filter` and `range` select (no filter: the first ones), up to the budget, and says
   * what it left out and how to get it.
   */
  budget?: number;
  /** Above the budget: only records with index in [first, last] (with the filter, if any). */
  range?: [first: number, last: number];
  /** Records per chunk and stream bytes per chunk (a chunk closes at whichever comes first). */
  chunkRecords?: number;
  chunkBytes?: number;
}

export interface HtmlReportResult {
  records: number;
  chunks: number;
  /** The decode error that stopped the report part-way (the page shows the records before it). */
  error?: DecodeError;
}

/** Index columns of one chunk (see the page script: loadIndex). */
export interface IndexChunk {
  first: number;
  offset: number;
  /** type code, wire length, declared len */
  t: number[];
  w: number[];
  l: number[];
  /** connection id, domain id: null when the record has none */
  c: (number | null)[];
  d: (number | null)[];
  /** path (nodes, watches) as its one-char-per-byte string, for the path filter */
  p: (string | null)[];
  /** a short description for the list, escaped as dump escapes */
  s: string[];
  /** 1 when the decoder kept an anomaly on the record */
  a: number[];
  /** Above the budget: the record index of each (`first` then counts the kept records). */
  x?: number[];
}

/**
 * The record data (stream bytes) a page embeds in full: a 16 MB stream gives a page of about
 * 10 MB that a browser opens in a few seconds; a 443 MB stream once gave a 502 MB page that
 * none opened (issue 16).
 */
export const HTML_BUDGET = 16 << 20;
/** Above the budget, records with anomalies or findings are kept up to this many bytes more. */
const MARKED_BUDGET = 4 << 20;

const DESC_MAX = 160;
/**
 * Findings embedded with their whole message; past this many (a stream broken throughout can
 * have one per record) the others come as record, rule and severity only, and the page shows
 * the rule's summary for them.
 */
const FULL_FINDINGS = 5000;
const SEVERITY_CODE = { error: 3, warning: 2, info: 1 } as const;

function cut(s: string): string {
  return s.length > DESC_MAX ? `${s.slice(0, DESC_MAX)}...` : s;
}

function domidShort(d: number): string {
  const n = reservedDomidName(d);
  return n ? `${d} ${n}` : String(d);
}

/** One line for the record list: what the record is about. */
export function recordDescription(r: XsRecord): string {
  switch (r.type) {
    case 'NODE_DATA': {
      const where = r.connId !== 0 ? ` [conn ${r.connId} tx ${r.txId}]` : '';
      const v = r.value.length ? ` = "${xsEscape(r.value, 0, Math.min(r.value.length, 48))}${r.value.length > 48 ? '...' : ''}"` : '';
      return cut(`${xsEscapeString(r.path)}${v}${where}`);
    }
    case 'WATCH_DATA':
    case 'WATCH_DATA_EXTENDED':
      return cut(`conn ${r.connId} ${xsEscapeString(r.wpath)} token "${xsEscapeString(r.token)}"` +
        (r.type === 'WATCH_DATA_EXTENDED' ? ` depth ${r.depth === null ? 'lost' : r.depth === 0xffff ? 'unlimited' : r.depth}` : ''));
    case 'CONNECTION_DATA': {
      const spec = r.connSpec as unknown as Record<string, number>;
      const kind = r.connType === 0 ? `ring dom ${domidShort(spec.domid!)} evtchn ${spec.evtchn}` : r.connType === 1 ? `socket fd ${spec.socketFd}` : `conn-type ${r.connType}`;
      const pending = r.inData.length + r.outData.length;
      return `conn ${r.connId} ${kind}${pending ? `, ${pending} pending bytes` : ''}`;
    }
    case 'TRANSACTION_DATA':
      return `conn ${r.connId} tx ${r.txId}`;
    case 'DOMAIN_DATA':
      return `domain ${domidShort(r.domainId)} features 0x${r.features.toString(16)}, ${r.quotas.length} quotas`;
    case 'GLOBAL_QUOTA_DATA':
      return `${r.domQuotas.length} per-domain defaults, ${r.globQuotas.length} global`;
    case 'GLOBAL_DATA':
      return `rw-socket-fd ${r.rwSocketFd}, evtchn-fd ${r.evtchnFd}`;
    case 'UNKNOWN':
      return `${r.body.length} body bytes`;
    case 'END':
      return '';
  }
}

/** Span names (label by format names, doc) by number: a stream repeats the same few. */
class SpanNames {
  readonly table: [string, string][] = [];
  private readonly ids = new Map<string, Map<string, number>>();
  id(label: string, doc: string): number {
    let byDoc = this.ids.get(label);
    if (!byDoc) this.ids.set(label, (byDoc = new Map()));
    let id = byDoc.get(doc);
    if (id === undefined) {
      id = this.table.length;
      this.table.push([label, doc]);
      byDoc.set(doc, id);
    }
    return id;
  }
}

/** Meanings by number (from 1; 0 is none); past a bound (they are few in practice) kept inline. */
class Meanings {
  readonly table: string[] = [''];
  private readonly ids = new Map<string, number>();
  ref(m: string | undefined): number | string {
    if (m === undefined) return 0;
    let id = this.ids.get(m);
    if (id === undefined) {
      if (this.table.length >= 50_000) return m;
      id = this.table.length;
      this.table.push(m);
      this.ids.set(m, id);
    }
    return id;
  }
}

/**
 * The field details of one record as the page reads them (the page script's `expand` undoes the
 * compaction). A large stream has a million of these, so repeated text goes by number:
 *   s: spans, each [length, span name id (SpanNames), integer value if any], one after another
 *      from the record's first byte (o: their starts, only if they ever leave a gap);
 *   f: fields, each [label, value, meaning, flags, spans, messages?]: label a span name id when
 *      it is the label of its first span; value 0 when it is that span's integer as text;
 *      meaning a Meanings id (0 none) or the text; flags 1 warn, 2 note; spans one index or a
 *      list; messages [kind, rest] lines of pending wire messages.
 */
function recordDetail(r: XsRecord, loc: RecordLocation, bytes: Uint8Array, order: ByteOrder, maxBytes: number, names: SpanNames, meanings: Meanings, anomalies: string[]): unknown {
  const spans = recordSpans(r, loc, bytes, order);
  const fields = recordFields(r, loc, bytes, order, maxBytes, spans);
  const ids: number[] = [];
  let contiguous = true;
  const s = spans.map((sp, k) => {
    if (sp.start !== (k === 0 ? loc.offset : spans[k - 1]!.end)) contiguous = false;
    const id = names.id(spanLabel(sp), sp.doc);
    ids.push(id);
    if (sp.value === undefined) return [sp.end - sp.start, id];
    return [sp.end - sp.start, id, typeof sp.value === 'bigint' ? sp.value.toString() : sp.value];
  });
  const f: unknown[] = [];
  for (const field of fields) {
    if (field.only === 'text') continue;
    const first = field.spans[0];
    const label = first !== undefined && names.table[ids[first]!]![0] === field.label ? ids[first]! : field.label;
    const intValue = field.spans.length === 1 ? spans[first!]!.value : undefined;
    const value = intValue !== undefined && field.value === intValue.toString() ? 0 : field.value;
    const row: unknown[] = [label, value, meanings.ref(field.meaning), (field.warn ? 1 : 0) | (field.note ? 2 : 0), field.spans.length === 1 ? first : field.spans];
    if (field.messages) row.push(field.messages.map((m) => [m.kind, m.rest]));
    f.push(row);
  }
  const d: Record<string, unknown> = { s, f };
  if (!contiguous) d.o = spans.map((sp) => sp.start - loc.offset);
  if (anomalies.length) d.a = anomalies;
  if (r.len !== undefined) d.n = 1;
  return d;
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}

function b64gz(data: string | Uint8Array): string {
  return gzipSync(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { level: 6 }).toString('base64');
}

/** SHA-256 of the page script for the Content-Security-Policy. */
function scriptHash(script: string): string {
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}

/**
 * Writes the report of the stream in `input` through `write`, piece by piece (the page is never
 * held whole). Reads the records with the streaming reader over `input`, so what is kept while
 * writing is one chunk of records plus what `info` keeps (connections and domains).
 */
export function writeHtmlReport(input: Uint8Array, o: HtmlReportOptions, write: (s: string) => void): HtmlReportResult {
  const chunkRecords = o.chunkRecords ?? 1024;
  const chunkBytes = o.chunkBytes ?? 256 << 10;
  const script = reportScript(globToRegExp.toString());
  if (/<\/script/i.test(script) || /<!--/.test(script)) throw new Error('report script must not contain </script or <!--');

  const csp = [
    "default-src 'none'",
    `script-src '${scriptHash(script)}'`,
    "style-src 'unsafe-inline'",
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n');
  write(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">\n`);
  write('<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n');
  write(`<title>${escapeHtml(`xsmig: ${o.label}`)}</title>\n<style>${REPORT_CSS}</style>\n</head>\n<body>\n`);
  write(`<div id="app"><header id="top"><h1>xsmig <span id="label">${escapeHtml(o.label)}</span></h1><div id="headline">loading...</div><noscript>This report needs JavaScript (its own inline script; it makes no network access).</noscript></header>\n${REPORT_BODY}\n`);

  // Above the budget, which records the page keeps (see HtmlReportOptions.budget).
  const budget = o.budget ?? HTML_BUDGET;
  const reduced = input.length > budget;
  const f = o.filter ?? {};
  const selects = reduced ? makeFilter({ type: f.types?.join(','), path: f.path, conn: f.conn, domid: f.domid }) : undefined;
  const narrowed = selects !== undefined || o.range !== undefined;
  let keptBytes = 0;
  let markedBytes = 0;
  let kept = 0;
  let omitted = 0;
  let omittedBytes = 0;
  let selectedOver = 0;
  let foundHere = -1;

  const rules = new Map<string, number>();
  const marks = { r: [] as number[], k: [] as number[], s: [] as number[] };
  const { summary, handlers: summaryHandlers } = summaryCollector();
  const domains = new DomainTracker();
  const names = new SpanNames();
  const meanings = new Meanings();
  // check's rules see each record as it goes by, as `xsmig check` runs them.
  let checker: StreamChecker | undefined;
  let header: StreamHeader | undefined;
  let chunk: IndexChunk | undefined;
  // Each record's details as JSON text at once: short-lived objects die young (less GC work).
  let details: string[] = [];
  let chunkEnd = 0;
  let chunks = 0;
  let records = 0;
  let trailing = 0;

  const flush = () => {
    if (!chunk) return;
    const n = chunks++;
    write(`<script type="application/x-xsmig" data-part="index" data-chunk="${n}">${b64gz(JSON.stringify(chunk))}</script>\n`);
    write(`<script type="application/x-xsmig" data-part="detail" data-chunk="${n}">${b64gz(`[${details.join(',')}]`)}</script>\n`);
    write(`<script type="application/x-xsmig" data-part="bytes" data-chunk="${n}">${b64gz(input.subarray(chunk.offset, chunkEnd))}</script>\n`);
    chunk = undefined;
    details = [];
  };

  const reader = new StreamReader({
    onHeader: (h) => {
      header = h;
      summaryHandlers.onHeader(h);
      // (onFinding: whether the record just visited has a finding, for the reduced page)
      // Every finding is marked (record, rule, severity: three numbers) as it is found; the
      // checker keeps only the first FULL_FINDINGS whole (a stream broken throughout has one
      // per record, 420 bytes each). onFinding also tells the reduced page whether the record
      // just visited has a finding.
      if (o.check !== false) {
        checker = new StreamChecker(h, {
          keepFindings: FULL_FINDINGS,
          onFinding: (x) => {
            if (x.recordIndex !== undefined) foundHere = x.recordIndex;
            let k = rules.get(x.rule);
            if (k === undefined) rules.set(x.rule, (k = rules.size));
            marks.r.push(x.recordIndex ?? -1);
            marks.k.push(k);
            marks.s.push(SEVERITY_CODE[x.severity]);
          },
        });
      }
    },
    onRecord: (r, loc, bytes) => {
      summaryHandlers.onRecord(r, loc, bytes);
      checker?.visit(r, loc);
      const domid = domains.domidOf(r);
      const anomalies = recordAnomalies(r, loc).map((a) => a.message);
      if (reduced) {
        // (every record goes through the filter: it tracks connections for --domid)
        const inRange = o.range === undefined || (loc.index >= o.range[0] && loc.index <= o.range[1]);
        const chosen = (selects ? selects(r) : true) && inRange;
        const marked = anomalies.length > 0 || foundHere === loc.index;
        let keep = false;
        if (chosen && keptBytes + loc.wireLen <= budget) {
          keep = true;
          keptBytes += loc.wireLen;
        } else if (marked && markedBytes + loc.wireLen <= MARKED_BUDGET) {
          keep = true;
          markedBytes += loc.wireLen;
        } else if (chosen) selectedOver++;
        if (!keep) {
          omitted++;
          omittedBytes += loc.wireLen;
          records++;
          return;
        }
        kept++;
      }
      // A chunk covers consecutive bytes: close it when full (or, defensively, at a gap).
      if (chunk && (chunk.t.length >= chunkRecords || chunkEnd - chunk.offset >= chunkBytes || loc.offset !== chunkEnd)) flush();
      // (Reduced: `first` is the position among the kept records, `x` their record indexes.)
      if (!chunk) chunk = { first: reduced ? kept - 1 : loc.index, offset: loc.offset, t: [], w: [], l: [], c: [], d: [], p: [], s: [], a: [], ...(reduced ? { x: [] } : {}) };
      chunk.x?.push(loc.index);
      chunk.t.push(loc.typeCode);
      chunk.w.push(loc.wireLen);
      chunk.l.push(loc.len);
      chunk.c.push(recordConnId(r) ?? null);
      chunk.d.push(domid ?? null);
      chunk.p.push(recordPath(r) ?? null);
      chunk.s.push(recordDescription(r));
      chunk.a.push(anomalies.length ? 1 : 0);
      details.push(JSON.stringify(recordDetail(r, loc, bytes, header!.byteOrder, o.maxBytes, names, meanings, anomalies)));
      chunkEnd = loc.offset + loc.wireLen;
      records++;
    },
    onTrailing: (count, head) => {
      trailing = count;
      summaryHandlers.onTrailing(count, head);
    },
  });

  let error: DecodeError | undefined;
  try {
    // The whole input is in memory already (see dump --html): one push, records come one by one.
    reader.push(input);
    reader.end();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    error = e;
  }
  flush();
  let findings: Finding[] | undefined;
  let findingsNote: string | undefined;
  if (checker) {
    findings = checker.finish({ length: trailing }).findings;
    summary.check = checkSummaryOf(findings);
    if (error) findingsNote = 'check saw only the records before the decode error';
  } else findingsNote = o.check === false ? 'check was not run' : 'check did not run: the stream header does not decode';

  // Every finding as (record, rule, severity) in one compressed part; messages for the first ones.
  if (findings) {
    write(`<script type="application/x-xsmig" data-part="findings">${b64gz(JSON.stringify({ ...marks, rules: [...rules.keys()].map((id) => [id, RULES.get(id)?.summary ?? '']) }))}</script>\n`);
  }

  let reducedNote: string | null = null;
  if (reduced) {
    const mib = (n: number): string => `${(n / (1 << 20)).toFixed(1)} MiB`;
    const what = narrowed
      ? `the ${plural(kept, 'record')} that the filters${o.range ? ' and the record range' : ''} select${selectedOver ? ` (up to ${mib(budget)}: ${selectedOver} more selected ones did not fit)` : ''}`
      : `the first ${plural(kept, 'record')} (${mib(keptBytes)})`;
    reducedNote = `This stream holds ${mib(input.length)} of records, more than this page's budget of ${mib(budget)}: the page holds the overview (summary and every finding), ` +
      `the records with anomalies or findings (up to ${mib(MARKED_BUDGET)}), and ${what}. It leaves out ${plural(omitted, 'record')} (${mib(omittedBytes)}). ` +
      'To see others, narrow the page with dump --html --type TYPES, --path GLOB, --conn ID or --domid ID; every record is in xsmig dump (add --hex for the bytes) and dump --json.';
    write(`<div id="budget-note" style="padding:6px 12px;background:#fff8c5;border-bottom:1px solid #d4a72c">${escapeHtml(reducedNote)}</div>\n`);
  }
  const summaryText = header ? renderSummary(summary, o.label, palette(false)).join('\n') : '';
  write(`<pre id="summary-text" hidden>${escapeHtml(summaryText)}</pre>\n`);
  const typeNames: Record<number, string> = {};
  for (const n of ALL_RECORD_TYPE_NAMES) typeNames[RecordType[n]] = n;
  const config = {
    label: o.label,
    header: header ?? null,
    bytes: input.length,
    records,
    // Above the budget: how many records the page holds (their indexes are in the chunks).
    kept: reduced ? kept : null,
    reducedNote,
    chunks,
    trailing,
    typeNames,
    spanNames: names.table,
    meanings: meanings.table,
    findings: findings?.slice(0, FULL_FINDINGS).map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, recordIndex: f.recordIndex ?? null, offset: f.offset ?? null })) ?? null,
    findingsTotal: findings ? marks.r.length : null,
    findingsNote: findingsNote ?? null,
    filter: o.filter ?? {},
    error: error ? { message: error.message, offset: error.offset, recordIndex: error.recordIndex } : null,
  };
  write(`<script type="application/json" id="xsmig-config">${jsonForScript(config)}</script>\n`);
  write(`<script>${script}</script>\n</div>\n</body>\n</html>\n`);
  return error ? { records, chunks, error } : { records, chunks };
}
