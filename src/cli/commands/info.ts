import type { Argv, CommandModule } from 'yargs';
import { headerAnomalies, recordAnomalies, type Anomaly } from '../../model/anomalies.js';
import type { FieldSelection } from '../../model/fast-decode.js';
import type { StreamHandlers } from '../../model/stream-reader.js';
import type { Quota, RingSpec, SocketSpec, StreamHeader } from '../../model/types.js';
import { DOMID, featureNames, RecordType, type RecordTypeName } from '../../wire/constants.js';
import { palette, useColor, type Palette } from '../color.js';
import { resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { domidText } from '../render/record.js';
import { parsePlainArgs } from '../plain-args.js';
import { runCommand } from '../run.js';
import { streamInput } from '../stream-input.js';
import { headerLine } from './dump.js';

interface Args { file?: string; json?: boolean }

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
}

/** What info reads of a NODE_DATA record (see INFO_SELECTION). */
interface SelectedNode {
  connId: number;
  path: string;
  valueLen?: number;
}

/**
 * The fields info reads of its bulk records; the reader builds no others (no permissions,
 * value views, watch paths or tokens): measured about a fifth faster on a 100 MB stream.
 */
export const INFO_SELECTION: FieldSelection = {
  NODE_DATA: ['connId', 'path', 'valueLen'],
  WATCH_DATA: ['connId'],
  TRANSACTION_DATA: ['connId'],
};

/** Gathers a StreamSummary from the handlers of a stream pass (shared by `info` and `dump --html`). */
export function summaryCollector(): { summary: StreamSummary; handlers: Required<StreamHandlers> } {
  const s: StreamSummary = {
    bytes: 0, records: 0, byType: {}, connections: [], domains: [],
    nodes: { committed: 0, inTransactions: 0, valueBytes: 0, special: [] }, anomalies: [], trailingBytes: 0,
  };
  const conns = new Map<number, ConnInfo>();
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
      s.bytes = 16;
      s.anomalies.push(...headerAnomalies(h));
    },
    onRecord: (r, loc) => {
      s.records++;
      s.bytes = loc.offset + loc.wireLen;
      if (r.type === 'UNKNOWN') {
        if (unknown++ === 0) seen.push('UNKNOWN');
      } else if (++counts[loc.typeCode]! === 1) seen.push(r.type);
      const anomalies = recordAnomalies(r, loc);
      for (let i = 0; i < anomalies.length; i++) s.anomalies.push(anomalies[i]!);
      switch (r.type) {
        case 'CONNECTION_DATA': {
          const c: ConnInfo = { connId: r.connId, type: r.connType === 0 ? 'ring' : r.connType === 1 ? 'socket' : `type ${r.connType}`, inData: r.inData.length, outData: r.outData.length, watches: 0, depthWatches: 0, transactions: 0 };
          if (r.connType === 0) {
            const spec = r.connSpec as RingSpec;
            c.domid = spec.domid;
            if (spec.tdomid !== DOMID.INVALID) c.target = spec.tdomid;
            c.evtchn = spec.evtchn;
          } else if (r.connType === 1) c.socketFd = (r.connSpec as SocketSpec).socketFd;
          if (r.uniqueId !== undefined) c.uniqueId = `0x${r.uniqueId.toString(16).padStart(16, '0')}`;
          conns.set(r.connId, c);
          s.connections.push(c);
          break;
        }
        case 'WATCH_DATA':
        case 'WATCH_DATA_EXTENDED': {
          const c = conns.get(r.connId);
          if (c) {
            c.watches++;
            if (r.type === 'WATCH_DATA_EXTENDED') c.depthWatches++;
          }
          break;
        }
        case 'TRANSACTION_DATA': {
          const c = conns.get(r.connId);
          if (c) c.transactions++;
          break;
        }
        case 'DOMAIN_DATA':
        {
          const diff: DomainInfo['quotasDiffering'] = [];
          for (const q of r.quotas) {
            const d = defaults.get(q.name);
            if (d !== q.value) diff.push(d === undefined ? { name: q.name, value: q.value } : { name: q.name, value: q.value, default: d });
          }
          s.domains.push({ domid: r.domainId, features: r.features, featureNames: featureNames(r.features), quotaCount: r.quotas.length, quotasDiffering: diff });
          break;
        }
        case 'GLOBAL_QUOTA_DATA':
          s.globalQuotas = { perDomainDefaults: r.domQuotas, global: r.globQuotas };
          for (const q of r.domQuotas) defaults.set(q.name, q.value);
          break;
        case 'NODE_DATA': {
          // Decoded with INFO_SELECTION (conn-id, path and value-len only) or whole (dump --html).
          const n = r as unknown as SelectedNode;
          if (n.connId !== 0) {
            nodes.inTransactions++;
            break;
          }
          const p = n.path;
          if (p.charCodeAt(0) !== 0x2f) {
            nodes.special.push(p);
            break;
          }
          nodes.committed++;
          const valueLen = n.valueLen ?? r.value.length;
          nodes.valueBytes += valueLen;
          // Depth is the number of '/' (the scan is about a tenth of info's time; a tree walk's
          // prefix compares measured no cheaper). A path shorter than 2 * (deepest + 1) cannot beat it.
          if (p.length >= minDeeper) {
            let depth = 0;
            if (p !== '/') for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) depth++;
            if (!nodes.deepest || depth > nodes.deepest.depth) {
              nodes.deepest = { path: p, depth };
              minDeeper = 2 * (depth + 1);
            }
          }
          if (valueLen > largest) {
            largest = valueLen;
            nodes.largest = { path: p, bytes: largest };
          } else if (!nodes.largest) nodes.largest = { path: p, bytes: 0 };
          break;
        }
        default:
          break;
      }
    },
    onTrailing: (count) => {
      s.trailingBytes = count;
      s.bytes += count;
      s.anomalies.push({ kind: 'trailing', message: `${count} bytes after the END record` });
    },
  };
  return { summary: s, handlers };
}

export function summarise(input: Parameters<typeof streamInput>[0]): StreamSummary {
  const { summary, handlers } = summaryCollector();
  streamInput(input, handlers, { select: INFO_SELECTION });
  return summary;
}

function table(rows: string[][], c: Palette): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r, ri) => {
    const line = `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`;
    return ri === 0 ? c.dim(line) : line;
  });
}

function quotaText(q: Quota[]): string {
  return q.length ? q.map((x) => `${x.name} ${x.value === 0 ? 'unlimited' : x.value}`).join(', ') : 'none';
}

export function renderSummary(s: StreamSummary, label: string, c: Palette): string[] {
  const out: string[] = [];
  const h = s.header!;
  out.push(`${c.bold(label)}: ${s.bytes} bytes`);
  out.push(headerLine(h));
  const counts = Object.entries(s.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`${s.records} records: ${counts}`);

  out.push('', c.bold(`Connections (${s.connections.length})`));
  if (s.connections.length) {
    const rows = [['conn-id', 'type', 'domid', 'target', 'evtchn/fd', 'in-data', 'out-data', 'watches', 'tx', 'unique-id']];
    for (const x of s.connections) {
      rows.push([
        String(x.connId), x.type, x.domid === undefined ? '-' : domidText(x.domid), x.target === undefined ? '-' : domidText(x.target),
        x.evtchn !== undefined ? `evtchn ${x.evtchn}` : x.socketFd !== undefined ? `fd ${x.socketFd}` : '-',
        String(x.inData), String(x.outData), x.depthWatches ? `${x.watches} (${x.depthWatches} with depth)` : String(x.watches),
        String(x.transactions), x.uniqueId ?? '-',
      ]);
    }
    out.push(...table(rows, c));
  }

  out.push('', c.bold(`Domains (${s.domains.length})`));
  if (s.domains.length) {
    const rows = [['domid', 'features', 'quotas that differ from the defaults']];
    for (const d of s.domains) {
      const diff = d.quotasDiffering.map((q) => `${q.name} ${q.value}${q.default !== undefined ? ` (default ${q.default})` : ''}`);
      rows.push([domidText(d.domid), `0x${d.features.toString(16)} ${d.featureNames.join(',') || 'none'}`.trim(), diff.length ? diff.join(', ') : d.quotaCount ? 'none' : 'no quotas recorded']);
    }
    out.push(...table(rows, c));
  }

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

  out.push('', c.bold(`Anomalies (${s.anomalies.length})`));
  if (!s.anomalies.length) out.push('  none: canonical framing and padding');
  for (const a of s.anomalies) {
    const where = a.recordIndex !== undefined && a.recordIndex >= 0 ? `record #${a.recordIndex} @${a.offset}: ` : '';
    out.push(`  ${c.yellow(a.kind)}: ${where}${a.message}`);
  }
  return out;
}

/**
 * `info` in its plain forms (`[FILE | -] [--json]`, each at most once) runs without loading
 * yargs (see main.ts); undefined for anything else, which yargs then parses as usual.
 */
export function plainInfoArgs(args: readonly string[]): Args | undefined {
  return parsePlainArgs(args, { flags: ['--json'] }) as Args | undefined;
}

export const infoCommand: CommandModule<object, Args> = {
  command: 'info [file]',
  describe: 'Summarise a stream: version, record counts, connections, domains, quotas, nodes, anomalies',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .option('json', { type: 'boolean', describe: 'the summary as one JSON object' })
      .example('$0 info state_dump', 'one-screen summary')
      .example('$0 info --json state_dump | jq .connections', 'the connections table as JSON') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    const out = new BlockWriter(1);
    await runCommand(input.label, () => {
      const s = summarise(input);
      if (argv.json) out.line(JSON.stringify(s, null, 2));
      else for (const l of renderSummary(s, input.label, palette(useColor()))) out.line(l);
      out.flush();
    });
  },
};
