import type { Argv, CommandModule } from 'yargs';
import { headerAnomalies, recordAnomalies, type Anomaly } from '../../model/anomalies.js';
import type { FieldSelection } from '../../model/fast-decode.js';
import type { StreamHandlers } from '../../model/stream-reader.js';
import type { Quota, RecordLocation, RingSpec, SocketSpec, StreamHeader, XsRecord } from '../../model/types.js';
import { DOMID, featureNames, RecordType, type RecordTypeName } from '../../wire/constants.js';
import { palette, useColor, type Palette } from '../color.js';
import { inputSize, resolveInput } from '../input.js';
import { CheckReader } from '../../check/check-reader.js';
import { BlockWriter } from '../output.js';
import { domidText, headerLine } from '../render/names.js';
import { parsePlainArgs } from '../plain-args.js';
import { runCommand } from '../run.js';
import { checkSalvaged, faultLines, salvageInput, salvageJson, salvageVerdict } from '../salvage.js';
import { streamInput } from '../stream-input.js';

interface Args { file?: string; json?: boolean; all?: boolean; salvage?: boolean }

/**
 * Rows of the connections and domains tables that `info` shows unless given --all: it is a
 * one-screen summary, and a host's stream can hold tens of thousands of each (the tables then
 * say how many more there are; --all and --json give every one). Only the rows shown are kept.
 */
export const INFO_TABLE_ROWS = 20;

/** The version of `info --json` (spec/schemas/info.schema.json). */
const INFO_SCHEMA = 'xsmig-info/1';

interface ConnInfo {
  connId: number;
  type: 'ring' | 'socket' | string;
  domid?: number;
  target?: number;
  evtchn?: number;
  socketFd?: number;
  inData: number;
  outData: number;
  watches: number;
  depthWatches: number;
  transactions: number;
  uniqueId?: string;
}
/**
 * A domain as `info` keeps it: only the quotas that differ from the per-domain defaults of an
 * earlier GLOBAL_QUOTA_DATA (all of them when there was none), so that memory stays small
 * for thousands of domains with default quotas.
 */
interface DomainInfo {
  domid: number;
  features: number;
  featureNames: string[];
  quotaCount: number;
  quotasDiffering: { name: string; value: number; default?: number }[];
}

/**
 * Rows of u32 numbers in blocks of 1024 rows: a stream of a big host has tens of thousands of
 * connections and domains, and a row of numbers costs a fraction of an object with its strings
 * (blocks rather than one array grown by doubling: no half-empty tail; measured 7 MiB of peak
 * memory less for 23,000 connections). Rows are made into objects only to be shown.
 */
class U32Rows<K extends string> {
  length = 0;
  private readonly blocks: Uint32Array[] = [];
  private readonly at: Record<K, number>;
  private readonly width: number;
  /** The row read() gives (one array, reused). */
  private readonly scratch: Uint32Array;
  constructor(keys: readonly K[]) {
    this.width = keys.length;
    this.at = indexOf(keys);
    this.scratch = new Uint32Array(keys.length);
  }
  /** Appends a row of zeros; returns its index. */
  push(): number {
    if ((this.length & 1023) === 0) this.blocks.push(new Uint32Array(1024 * this.width));
    return this.length++;
  }
  set(i: number, k: K, v: number): void {
    this.blocks[i >> 10]![(i & 1023) * this.width + this.at[k]] = v;
  }
  add(i: number, k: K, d: number): void {
    this.blocks[i >> 10]![(i & 1023) * this.width + this.at[k]]! += d;
  }
  /** Row `i` in column order, in an array reused by the next call (the renderer reads tens of thousands of rows). */
  read(i: number): Uint32Array {
    const b = this.blocks[i >> 10]!;
    const o = (i & 1023) * this.width;
    for (let k = 0; k < this.width; k++) this.scratch[k] = b[o + k]!;
    return this.scratch;
  }
}

/** A u32 as 8 hex digits (in 16-bit halves: toString(16) of a number past 2^31 takes a slow path). */
function hex8(n: number): string {
  return (n >>> 16).toString(16).padStart(4, '0') + (n & 0xffff).toString(16).padStart(4, '0');
}

/** Column index of each key. */
function indexOf<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k, i) => [k, i])) as Record<K, number>;
}

/** `target` of a connection acting for no other domain. */
const NO_TARGET = 0xffffffff;
const CONN_COLUMNS = ['connId', 'connType', 'domidOrFd', 'target', 'evtchn', 'inData', 'outData', 'watches', 'depthWatches', 'transactions', 'hasUid', 'uidHi', 'uidLo'] as const;
const DOMAIN_COLUMNS = ['domid', 'features', 'quotaCount'] as const;
const C = indexOf(CONN_COLUMNS);
const D = indexOf(DOMAIN_COLUMNS);

/** Connections as info keeps them; rows read back as ConnInfo. */
class ConnectionTable extends U32Rows<(typeof CONN_COLUMNS)[number]> {
  /** Row of each conn-id (the last CONNECTION_DATA of that id, as a Map of objects kept it). */
  readonly byId = new Map<number, number>();
  constructor() {
    super(CONN_COLUMNS);
  }
  row(i: number): ConnInfo {
    const v = this.read(i);
    const connType = v[C.connType]!;
    const c: ConnInfo = { connId: v[C.connId]!, type: connType === 0 ? 'ring' : connType === 1 ? 'socket' : `type ${connType}`, inData: v[C.inData]!, outData: v[C.outData]!, watches: v[C.watches]!, depthWatches: v[C.depthWatches]!, transactions: v[C.transactions]! };
    if (connType === 0) {
      c.domid = v[C.domidOrFd]!;
      if (v[C.target] !== NO_TARGET) c.target = v[C.target]!;
      c.evtchn = v[C.evtchn]!;
    } else if (connType === 1) c.socketFd = v[C.domidOrFd]! | 0; // (an i32 kept as u32)
    if (v[C.hasUid]) c.uniqueId = `0x${hex8(v[C.uidHi]!)}${hex8(v[C.uidLo]!)}`;
    return c;
  }
}

/** Domains as info keeps them; the rare quotas that differ from the defaults by row. */
class DomainTable extends U32Rows<(typeof DOMAIN_COLUMNS)[number]> {
  readonly differing = new Map<number, DomainInfo['quotasDiffering']>();
  constructor() {
    super(DOMAIN_COLUMNS);
  }
  row(i: number): DomainInfo {
    const v = this.read(i);
    const features = v[D.features]!;
    return { domid: v[D.domid]!, features, featureNames: featureNames(features), quotaCount: v[D.quotaCount]!, quotasDiffering: this.differing.get(i) ?? [] };
  }
}

/** The tables behind a summary's `connections` and `domains`, for the renderer to read row by row. */
const tables = new WeakMap<StreamSummary, { conns: ConnectionTable; doms: DomainTable; connTotal: number; domTotal: number; anomalyTotal: number }>();

function rows<T>(t: { length: number; row(i: number): T }): T[] {
  return Array.from({ length: t.length }, (_, i) => t.row(i));
}

/** Everything `info` reports, gathered record by record (memory grows with connections and domains, not nodes). */
export interface StreamSummary {
  header?: StreamHeader;
  bytes: number;
  records: number;
  byType: Partial<Record<RecordTypeName | 'UNKNOWN', number>>;
  connections: ConnInfo[];
  domains: DomainInfo[];
  globalQuotas?: { perDomainDefaults: Quota[]; global: Quota[] };
  nodes: {
    committed: number;
    inTransactions: number;
    valueBytes: number;
    deepest?: { path: string; depth: number };
    largest?: { path: string; bytes: number };
    special: string[];
  };
  anomalies: Anomaly[];
  trailingBytes: number;
  /** What `xsmig check` (no target) finds: counts and the first errors (set by summarise). */
  check?: { errors: number; warnings: number; firstErrors: { rule: string; message: string }[] };
}

const NODE_CODE = RecordType.NODE_DATA;

/** What info reads of a NODE_DATA record (see INFO_SELECTION). */
interface SelectedNode {
  connId: number;
  valueLen?: number;
  pathStart?: number;
  pathEnd?: number;
  source?: Buffer;
}

/**
 * The fields info reads of its bulk records; the reader builds no others (no permissions,
 * value views, watch paths or tokens): measured about a fifth faster on a 100 MB stream.
 */
export const INFO_SELECTION: FieldSelection = {
  NODE_DATA: ['connId', 'path:span', 'valueLen'],
  WATCH_DATA: ['connId'],
  TRANSACTION_DATA: ['connId'],
};

/** Gathers a StreamSummary from the handlers of a stream pass (shared by `info` and `dump --html`). */
export function summaryCollector(options: { tableRows?: number } = {}): { summary: StreamSummary; handlers: Required<StreamHandlers> } {
  const keep = options.tableRows ?? Infinity;
  const s: StreamSummary = {
    bytes: 0, records: 0, byType: {}, connections: [], domains: [],
    nodes: { committed: 0, inTransactions: 0, valueBytes: 0, special: [] }, anomalies: [], trailingBytes: 0,
  };
  const conns = new ConnectionTable();
  const doms = new DomainTable();
  // `connections` and `domains` are made from the tables when read (--json, the HTML report).
  // The summary's counters are kept in locals and read through accessors: accessors put `s` in
  // dictionary mode, where a property write per record costs several times a local's.
  let records = 0;
  let bytes = 0;
  Object.defineProperty(s, 'bytes', { enumerable: true, get: () => bytes });
  Object.defineProperty(s, 'records', { enumerable: true, get: () => records });
  Object.defineProperty(s, 'connections', { enumerable: true, get: () => rows(conns) });
  Object.defineProperty(s, 'domains', { enumerable: true, get: () => rows(doms) });
  const anomalies = s.anomalies;
  const noteAnomalies = (r: XsRecord, loc: RecordLocation) => {
    const found = recordAnomalies(r, loc);
    for (let i = 0; i < found.length; i++) {
      // Past the rows shown, anomalies are counted, not kept (a stream can have one per record).
      if (t.anomalyTotal++ < keep) anomalies.push(found[i]!);
    }
  };
  const t = { conns, doms, connTotal: 0, domTotal: 0, anomalyTotal: 0 };
  tables.set(s, t);
  const nodes = s.nodes;
  let minDeeper = 0;
  let largest = 0;
  const defaults = new Map<string, number>();
  // Records counted by type code (an integer index: a string-keyed count per record cost a
  // tenth of info's time); byType is built from it in the order the types first appeared.
  const counts: number[] = new Array<number>(16).fill(0);
  const seen: (RecordTypeName | 'UNKNOWN')[] = [];
  let unknown = 0;
  Object.defineProperty(s, 'byType', {
    enumerable: true,
    get: () => {
      const out: StreamSummary['byType'] = {};
      for (const name of seen) out[name] = name === 'UNKNOWN' ? unknown : counts[RecordType[name]];
      return out;
    },
  });
  const handlers: Required<StreamHandlers> = {
    onHeader: (h) => {
      s.header = h;
      bytes = 16;
      for (const a of headerAnomalies(h)) {
        t.anomalyTotal++;
        anomalies.push(a);
      }
    },
    onRecord: (r, loc) => {
      records++;
      bytes = loc.offset + loc.wireLen;
      // Nodes are nearly all of a stream: they are told apart by the location's type code (one
      // shape) and read at sites that see only nodes, so that each property read there is
      // monomorphic; the other record kinds go through the switch below.
      if (loc.typeCode === NODE_CODE && r.type === 'NODE_DATA') {
        if (++counts[NODE_CODE]! === 1) seen.push('NODE_DATA');
        if (r.len !== undefined || r.padding !== undefined || r.unterminated !== undefined) noteAnomalies(r, loc);
        // Decoded with INFO_SELECTION (conn-id, value-len, and where the path's bytes lie) or
        // whole (dump --html, and a record the fast path handed to binary-parser).
        const n = r as unknown as SelectedNode;
        if (n.connId !== 0) {
          nodes.inTransactions++;
          return;
        }
        let src: Buffer;
        let start: number;
        let end: number;
        if (n.source !== undefined) {
          src = n.source;
          start = n.pathStart!;
          end = n.pathEnd!;
        } else {
          src = Buffer.from(r.path, 'latin1');
          start = 0;
          end = src.length;
        }
        if (end === start || src[start] !== 0x2f) {
          nodes.special.push(src.toString('latin1', start, end));
          return;
        }
        nodes.committed++;
        const valueLen = n.valueLen ?? r.value.length;
        nodes.valueBytes += valueLen;
        // Depth is the number of '/' (0 for `/`), counted in the bytes: the scan is still about
        // a tenth of info's time. A path shorter than 2 * (deepest + 1) cannot beat the deepest.
        if (end - start >= minDeeper) {
          let depth = 0;
          if (end - start > 1) for (let i = start; i < end; i++) if (src[i] === 0x2f) depth++;
          if (!nodes.deepest || depth > nodes.deepest.depth) {
            nodes.deepest = { path: src.toString('latin1', start, end), depth };
            minDeeper = 2 * (depth + 1);
          }
        }
        if (valueLen > largest) {
          largest = valueLen;
          nodes.largest = { path: src.toString('latin1', start, end), bytes: largest };
        } else if (!nodes.largest) nodes.largest = { path: src.toString('latin1', start, end), bytes: 0 };
        return;
      }
      if (r.type === 'UNKNOWN') {
        if (unknown++ === 0) seen.push('UNKNOWN');
      } else if (++counts[loc.typeCode]! === 1) seen.push(r.type);
      noteAnomalies(r, loc);
      switch (r.type) {
        case 'CONNECTION_DATA': {
          if (t.connTotal++ >= keep) break;
          const i = conns.push();
          conns.set(i, 'connId', r.connId);
          conns.set(i, 'connType', r.connType);
          conns.set(i, 'target', NO_TARGET);
          if (r.connType === 0) {
            const spec = r.connSpec as RingSpec;
            conns.set(i, 'domidOrFd', spec.domid);
            if (spec.tdomid !== DOMID.INVALID) conns.set(i, 'target', spec.tdomid);
            conns.set(i, 'evtchn', spec.evtchn);
          } else if (r.connType === 1) conns.set(i, 'domidOrFd', (r.connSpec as SocketSpec).socketFd);
          conns.set(i, 'inData', r.inData.length);
          conns.set(i, 'outData', r.outData.length);
          if (r.uniqueId !== undefined) {
            conns.set(i, 'hasUid', 1);
            conns.set(i, 'uidHi', Number(r.uniqueId >> 32n));
            conns.set(i, 'uidLo', Number(r.uniqueId & 0xffffffffn));
          }
          conns.byId.set(r.connId, i);
          break;
        }
        case 'WATCH_DATA':
        case 'WATCH_DATA_EXTENDED': {
          const i = conns.byId.get(r.connId);
          if (i !== undefined) {
            conns.add(i, 'watches', 1);
            if (r.type === 'WATCH_DATA_EXTENDED') conns.add(i, 'depthWatches', 1);
          }
          break;
        }
        case 'TRANSACTION_DATA': {
          const i = conns.byId.get(r.connId);
          if (i !== undefined) conns.add(i, 'transactions', 1);
          break;
        }
        case 'DOMAIN_DATA':
        {
          if (t.domTotal++ >= keep) break;
          const diff: DomainInfo['quotasDiffering'] = [];
          for (const q of r.quotas) {
            const d = defaults.get(q.name);
            if (d !== q.value) diff.push(d === undefined ? { name: q.name, value: q.value } : { name: q.name, value: q.value, default: d });
          }
          const i = doms.push();
          doms.set(i, 'domid', r.domainId);
          doms.set(i, 'features', r.features);
          doms.set(i, 'quotaCount', r.quotas.length);
          if (diff.length) doms.differing.set(i, diff);
          break;
        }
        case 'GLOBAL_QUOTA_DATA':
          s.globalQuotas = { perDomainDefaults: r.domQuotas, global: r.globQuotas };
          for (const q of r.domQuotas) defaults.set(q.name, q.value);
          break;
        default:
          break;
      }
    },
    onTrailing: (count) => {
      s.trailingBytes = count;
      bytes += count;
      t.anomalyTotal++;
      anomalies.push({ kind: 'trailing', message: `${count} bytes after the END record` });
    },
  };
  return { summary: s, handlers };
}

/** `tableRows`: keep only that many rows of each table (what the text shows without --all). */
export function summarise(input: Parameters<typeof streamInput>[0], tableRows?: number): StreamSummary {
  const { summary, handlers } = summaryCollector({ tableRows });
  // (The collector keeps nothing of a location or a record's bytes past its call: noteAnomalies
  // copies the location's figures, and records are read for numbers and short strings.)
  // Every chunk goes to the checker too: info says what check finds (an anomaly-free stream
  // can still hold an error that stops the daemon restoring it).
  const checker = new CheckReader({ inputSize: inputSize(input) ?? 1 << 20 });
  streamInput(input, handlers, { select: INFO_SELECTION, reuseLocation: true, chunksReused: true, tap: (chunk) => checker.push(chunk) });
  summary.check = checkSummaryOf(checker.finish().report.findings);
  return summary;
}

/** StreamSummary.check from check's findings. */
export function checkSummaryOf(findings: readonly { rule: string; severity: string; message: string }[]): NonNullable<StreamSummary['check']> {
  const errors = findings.filter((f) => f.severity === 'error');
  return {
    errors: errors.length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    firstErrors: errors.slice(0, INFO_CHECK_ERRORS).map((f) => ({ rule: f.rule, message: f.message })),
  };
}

/** How many of check's errors info lists (the count is of all of them). */
export const INFO_CHECK_ERRORS = 5;

function quotaText(q: Quota[]): string {
  return q.length ? q.map((x) => `${x.name} ${x.value === 0 ? 'unlimited' : x.value}`).join(', ') : 'none';
}

/**
 * A table of `count` rows, emitted line by line: a first pass over the rows measures the
 * columns, a second writes them, so a table of 50,000 connections is never held whole.
 */
function emitTable(head: string[], count: number, cells: (i: number) => string[], c: Palette, emit: (line: string) => void): void {
  const widths = head.map((h) => h.length);
  for (let i = 0; i < count; i++) {
    const r = cells(i);
    for (let k = 0; k < r.length; k++) if (r[k]!.length > widths[k]!) widths[k] = r[k]!.length;
  }
  // Cells padded to their column's width and two spaces apart, the line's end trimmed; built by
  // concatenation with spaces made once (padEnd/map/join per row measured twice as slow).
  const spaces = Array.from({ length: Math.max(...widths) + 3 }, (_, n) => ' '.repeat(n));
  const last = widths.length - 1;
  const line = (r: string[]) => {
    let text = '  ';
    for (let k = 0; k < last; k++) text += r[k]! + spaces[widths[k]! - r[k]!.length + 2]!;
    text += r[last]!;
    return text.charCodeAt(text.length - 1) === 0x20 ? text.trimEnd() : text;
  };
  emit(c.dim(line(head)));
  for (let i = 0; i < count; i++) emit(line(cells(i)));
}
/** The summary as text lines, each handed to `emit` as it is made. */
export function writeSummary(s: StreamSummary, label: string, c: Palette, emit: (line: string) => void): void {
  const t = tables.get(s);
  const conns = t ? { length: t.conns.length, row: (i: number) => t.conns.row(i) } : { length: s.connections.length, row: (i: number) => s.connections[i]! };
  const doms = t ? { length: t.doms.length, row: (i: number) => t.doms.row(i) } : { length: s.domains.length, row: (i: number) => s.domains[i]! };
  const h = s.header!;
  emit(`${c.bold(label)}: ${s.bytes} bytes`);
  emit(headerLine(h));
  const counts = Object.entries(s.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  emit(`${s.records} records: ${counts}`);

  emit('');
  emit(c.bold(`Connections (${t?.connTotal ?? conns.length})`));
  if (conns.length) {
    emitTable(['conn-id', 'type', 'domid', 'target', 'evtchn/fd', 'in-data', 'out-data', 'watches', 'tx', 'unique-id'], conns.length, (i) => {
      const x = conns.row(i);
      return [
        String(x.connId), x.type, x.domid === undefined ? '-' : domidText(x.domid), x.target === undefined ? '-' : domidText(x.target),
        x.evtchn !== undefined ? `evtchn ${x.evtchn}` : x.socketFd !== undefined ? `fd ${x.socketFd}` : '-',
        String(x.inData), String(x.outData), x.depthWatches ? `${x.watches} (${x.depthWatches} with depth)` : String(x.watches),
        String(x.transactions), x.uniqueId ?? '-',
      ];
    }, c, emit);
  }
  if (t && t.connTotal > conns.length) emit(c.dim(`  ... ${t.connTotal - conns.length} more connections (--all lists every one)`));

  emit('');
  emit(c.bold(`Domains (${t?.domTotal ?? doms.length})`));
  if (doms.length) {
    emitTable(['domid', 'features', 'quotas that differ from the defaults'], doms.length, (i) => {
      const d = doms.row(i);
      const diff = d.quotasDiffering.map((q) => `${q.name} ${q.value}${q.default !== undefined ? ` (default ${q.default})` : ''}`);
      return [domidText(d.domid), `0x${d.features.toString(16)} ${d.featureNames.join(',') || 'none'}`.trim(), diff.length ? diff.join(', ') : d.quotaCount ? 'none' : 'no quotas recorded'];
    }, c, emit);
  }
  if (t && t.domTotal > doms.length) emit(c.dim(`  ... ${t.domTotal - doms.length} more domains (--all lists every one)`));

  const out = { push: (...lines: string[]) => lines.forEach((l) => emit(l)) };
  out.push('', c.bold('Global quotas'));
  if (s.globalQuotas) {
    out.push(`  per-domain defaults: ${quotaText(s.globalQuotas.perDomainDefaults)}`);
    out.push(`  global: ${quotaText(s.globalQuotas.global)}`);
  } else out.push('  no GLOBAL_QUOTA_DATA record');

  const n = s.nodes;
  out.push('', c.bold('Nodes'));
  out.push(`  ${n.committed} committed, ${n.valueBytes} value bytes; ${n.inTransactions} inside transactions`);
  if (n.deepest) out.push(`  deepest: ${n.deepest.path} (${n.deepest.depth} levels)`);
  if (n.largest) out.push(`  largest value: ${n.largest.path} (${n.largest.bytes} bytes)`);
  out.push(`  special nodes: ${n.special.length ? n.special.join(', ') : 'none'}`);

  const anomalyTotal = t?.anomalyTotal ?? s.anomalies.length;
  out.push('', c.bold(`Anomalies (${anomalyTotal})`));
  if (!s.anomalies.length) out.push('  none: canonical framing and padding');
  for (const a of s.anomalies) {
    const where = a.recordIndex !== undefined && a.recordIndex >= 0 ? `record #${a.recordIndex} @${a.offset}: ` : '';
    out.push(`  ${c.yellow(a.kind)}: ${where}${a.message}`);
  }
  if (anomalyTotal > s.anomalies.length) out.push(c.dim(`  ... ${anomalyTotal - s.anomalies.length} more anomalies (--all lists every one)`));

  if (s.check) {
    const k = s.check;
    out.push('', c.bold('Check'));
    if (k.errors === 0) out.push(`  check finds no errors${k.warnings ? `, ${k.warnings} warning(s)` : ''} (xsmig check lists everything)`);
    else {
      out.push(`  check finds ${c.red(`${k.errors} error(s)`)}, ${k.warnings} warning(s) (xsmig check lists everything):`);
      for (const f of k.firstErrors) out.push(`  ${c.red('error')} ${f.rule}: ${f.message}`);
      if (k.errors > k.firstErrors.length) out.push(c.dim(`  ... ${k.errors - k.firstErrors.length} more errors`));
    }
  }
}

export function renderSummary(s: StreamSummary, label: string, c: Palette): string[] {
  const out: string[] = [];
  writeSummary(s, label, c, (l) => out.push(l));
  return out;
}

/**
 * `info` in its plain forms (`[FILE | -] [--json]`, each at most once) runs without loading
 * yargs (see main.ts); undefined for anything else, which yargs then parses as usual.
 */
export function plainInfoArgs(args: readonly string[]): Args | undefined {
  return parsePlainArgs(args, { flags: ['--json', '--all'] }) as Args | undefined;
}

/** `info --salvage`: the summary of what could be read, then the faults and the bytes skipped. */
function infoSalvaged(input: ReturnType<typeof resolveInput>, argv: Args, out: BlockWriter): number {
  const sv = salvageInput(input);
  const { summary, handlers } = summaryCollector({ tableRows: argv.json || argv.all ? undefined : INFO_TABLE_ROWS });
  handlers.onHeader(sv.header);
  sv.records.forEach((r, i) => handlers.onRecord(r, sv.locations[i]!, sv.bytes[i]!));
  if (sv.trailing) handlers.onTrailing(sv.trailing, new Uint8Array());
  const size = sv.faults.length ? Math.max(...sv.faults.map((f) => f.skippedTo)) : sv.locations.at(-1)!.offset + sv.locations.at(-1)!.wireLen;
  summary.check = checkSummaryOf(checkSalvaged(sv, size).findings);
  if (argv.json) out.line(JSON.stringify({ schema: INFO_SCHEMA, ...summary, salvage: salvageJson(sv) }, null, 2));
  else {
    const c = palette(useColor());
    writeSummary(summary, input.label, c, (l) => out.line(l));
    out.line('');
    out.line(c.bold(`Salvage (${sv.faults.length} fault(s))`));
    const lines = faultLines(sv);
    if (!lines.length) out.line('  no fault: the stream reads whole');
    for (const l of lines) out.line(`  ${l}`);
  }
  out.flush();
  return salvageVerdict(input.label, sv);
}

export const infoCommand: CommandModule<object, Args> = {
  command: 'info [file]',
  describe: 'Summarise a stream: version, record counts, connections, domains, quotas, nodes, anomalies',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .option('json', { type: 'boolean', describe: 'the summary as one JSON object (every connection and domain)' })
      .option('salvage', { type: 'boolean', describe: 'summarise a damaged or cut-short stream past its faults, each fault and the bytes skipped listed (exit 2)' })
      .option('all', { type: 'boolean', describe: `list every connection and domain (default: the first ${INFO_TABLE_ROWS} of each)` })
      .example('$0 info state_dump', 'one-screen summary')
      .example('$0 info --json state_dump | jq .connections', 'the connections table as JSON') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    const out = new BlockWriter(1);
    await runCommand(input.label, () => {
      if (argv.salvage) return infoSalvaged(input, argv, out);
      const s = summarise(input, argv.json || argv.all ? undefined : INFO_TABLE_ROWS);
      if (argv.json) out.line(JSON.stringify({ schema: INFO_SCHEMA, ...s }, null, 2));
      else writeSummary(s, input.label, palette(useColor()), (l) => out.line(l));
      out.flush();
    }, Boolean(argv.json));
  },
};
