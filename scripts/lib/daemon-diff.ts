// Comparison BY MEANING of what a xenstored was fed (as predicted by the restore model) with
// what it wrote again on its next live update (its re-dump), for scripts/fuzz-daemon.ts.
//
// Compared: committed nodes (path, value, permissions with their flags), ring connections by
// domid (tdomid, unique-id), the watches of ring connections (the connection's domid, wpath,
// token, depth), domains (features when the fed stream is version 2, and each quota the fed
// stream set), global quotas (each name the fed stream set).
// Normalised away, as the rig changes them and they mean nothing in a new process: the header
// version, GLOBAL_DATA's fds, socket connections with their watches (the rig drops them all),
// pending data, event-channel ports, conn-ids (ring connections are matched by domid),
// transactions; domains and quota names the daemon adds with its defaults (the fed stream set
// none for them); a unique-id the daemon fills in from the hypervisor for a ring connection
// that had none.
// Writer defects: the project's checker runs on the re-dump for the target; every error
// finding, every `defect.*` finding and every refusal of the target is a difference.

import { checkStream } from '../../src/check/index.js';
import type { TargetName } from '../../src/check/types.js';
import type { ConnectionData, RingSpec, Stream } from '../../src/model/types.js';

export interface Difference {
  /** What differs: `node-value`, `watch-missing`, `writer`, `died`, ... */
  kind: string;
  /** A rule or message class that refines the kind (checker rule id, daemon message), if any. */
  rule?: string;
  /** One line for the terminal. */
  message: string;
}

/** The class of a difference that the fuzzer shrinks once: kind plus rule. */
export const signatureOf = (d: Difference): string => (d.rule ? `${d.kind}:${d.rule}` : d.kind);

const DEPTH_UNLIMITED = 0xffff;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const show = (s: string) => JSON.stringify(s);
const showValue = (h: string) => {
  const b = Buffer.from(h, 'hex');
  const text = /^[\x20-\x7e]*$/.test(b.toString('latin1')) ? show(b.toString('latin1')) : `0x${h}`;
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

export interface Meaning {
  nodes: Map<string, { value: string; perms: string }>;
  /** domid -> ring connection */
  rings: Map<number, { tdomid: number; uniqueId: bigint | undefined }>;
  /** `domid\0wpath\0token` -> depth (`null`: unknown, the writer lost it) */
  watches: Map<string, number | null>;
  domains: Map<number, { features: number; quotas: Map<string, number> }>;
  domQuotas: Map<string, number>;
  globQuotas: Map<string, number>;
}

const permsText = (perms: { perm: string; flags: number; domid: number }[]) =>
  perms.map((p) => `${p.perm}${p.domid}${p.flags ? `/${p.flags}` : ''}`).join(',');

/** What a stream means to a daemon, without what the rig changes (see the header). */
export function meaningOf(s: Stream): Meaning {
  const m: Meaning = { nodes: new Map(), rings: new Map(), watches: new Map(), domains: new Map(), domQuotas: new Map(), globQuotas: new Map() };
  const ringOf = new Map<number, number>();
  for (const r of s.records) {
    switch (r.type) {
      case 'NODE_DATA':
        if (r.connId === 0) m.nodes.set(r.path, { value: hex(r.value), perms: permsText(r.perms) });
        break;
      case 'CONNECTION_DATA':
        if (r.connType === 0) {
          const spec = (r as ConnectionData).connSpec as RingSpec;
          ringOf.set(r.connId, spec.domid);
          m.rings.set(spec.domid, { tdomid: spec.tdomid, uniqueId: r.fields & 1 ? r.uniqueId : undefined });
        } else ringOf.delete(r.connId);
        break;
      case 'WATCH_DATA':
      case 'WATCH_DATA_EXTENDED': {
        const d = ringOf.get(r.connId);
        if (d === undefined) break;
        const depth = r.type === 'WATCH_DATA' ? DEPTH_UNLIMITED : r.depth;
        m.watches.set(`${d}\0${r.wpath}\0${r.token}`, depth);
        break;
      }
      case 'DOMAIN_DATA':
        m.domains.set(r.domainId, { features: r.features, quotas: new Map(r.quotas.map((q) => [q.name, q.value])) });
        break;
      case 'GLOBAL_QUOTA_DATA':
        for (const q of r.domQuotas) m.domQuotas.set(q.name, q.value);
        for (const q of r.globQuotas) m.globQuotas.set(q.name, q.value);
        break;
      default:
        break;
    }
  }
  return m;
}

export interface CompareOptions {
  target: TargetName;
  /** The version of the stream the daemon was fed: features are compared only when it is 2. */
  fedVersion: number;
  /** The hypervisor's unique-ids (a daemon may fill a missing one in from here). */
  hostIds?: ReadonlyMap<number, bigint>;
}

/** Differences between what the daemon should hold (`expected`) and its re-dump (`dump`). */
export function compareMeaning(expected: Stream, dump: Stream, o: CompareOptions): Difference[] {
  const e = meaningOf(expected);
  const g = meaningOf(dump);
  const out: Difference[] = [];
  for (const [path, n] of e.nodes) {
    const h = g.nodes.get(path);
    if (!h) out.push({ kind: 'node-missing', message: `node ${show(path)} (${n.perms}) is not in the re-dump` });
    else {
      if (h.value !== n.value) out.push({ kind: 'node-value', message: `node ${show(path)}: value ${showValue(h.value)}, expected ${showValue(n.value)}` });
      if (h.perms !== n.perms) out.push({ kind: 'node-perms', message: `node ${show(path)}: permissions (${h.perms}), expected (${n.perms})` });
    }
  }
  for (const [path, h] of g.nodes) if (!e.nodes.has(path)) out.push({ kind: 'node-extra', message: `node ${show(path)} (${h.perms}) is in the re-dump, not expected` });

  for (const [d, c] of e.rings) {
    const h = g.rings.get(d);
    if (!h) {
      out.push({ kind: 'ring-missing', message: `ring connection of domain ${d} is not in the re-dump` });
      continue;
    }
    if (h.tdomid !== c.tdomid) out.push({ kind: 'ring-tdomid', message: `ring connection of domain ${d}: tdomid ${h.tdomid}, expected ${c.tdomid}` });
    const want = c.uniqueId ?? o.hostIds?.get(d);
    if (h.uniqueId !== undefined && h.uniqueId !== want) {
      out.push({ kind: 'ring-unique-id', message: `ring connection of domain ${d}: unique-id 0x${h.uniqueId.toString(16)}, expected ${want === undefined ? 'none' : `0x${want.toString(16)}`}` });
    } else if (h.uniqueId === undefined && c.uniqueId !== undefined && dump.header.version >= 2) {
      out.push({ kind: 'ring-unique-id', message: `ring connection of domain ${d}: no unique-id in the version-2 re-dump, expected 0x${c.uniqueId.toString(16)}` });
    }
  }
  for (const d of g.rings.keys()) if (!e.rings.has(d)) out.push({ kind: 'ring-extra', message: `ring connection of domain ${d} is in the re-dump, not expected` });

  const depthText = (x: number | null) => (x === null ? 'lost' : x === DEPTH_UNLIMITED ? 'unlimited' : String(x));
  const watchText = (k: string) => {
    const [d, p, t] = k.split('\0');
    return `watch ${show(p!)} token ${show(t!)} of domain ${d}`;
  };
  for (const [k, depth] of e.watches) {
    if (!g.watches.has(k)) out.push({ kind: 'watch-missing', message: `${watchText(k)} (depth ${depthText(depth)}) is not in the re-dump` });
    else {
      const h = g.watches.get(k)!;
      // (a depth the writer lost is the checker's finding, not counted twice)
      if (h !== null && depth !== null && h !== depth) out.push({ kind: 'watch-depth', message: `${watchText(k)}: depth ${depthText(h)}, expected ${depthText(depth)}` });
    }
  }
  for (const [k, depth] of g.watches) if (!e.watches.has(k)) out.push({ kind: 'watch-extra', message: `${watchText(k)} (depth ${depthText(depth)}) is in the re-dump, not expected` });

  for (const [d, dom] of e.domains) {
    const h = g.domains.get(d);
    const featuresCompared = o.fedVersion >= 2 && dump.header.version >= 2;
    if (!h) {
      // (a DOMAIN_DATA that sets nothing compared, e.g. version 1 without quotas, means the defaults)
      if (dom.quotas.size || featuresCompared) out.push({ kind: 'domain-missing', message: `DOMAIN_DATA of domain ${d} is not in the re-dump` });
      continue;
    }
    if (featuresCompared && h.features !== dom.features) {
      out.push({ kind: 'domain-features', message: `domain ${d}: features 0x${h.features.toString(16)}, expected 0x${dom.features.toString(16)}` });
    }
    for (const [name, v] of dom.quotas) {
      const got = h.quotas.get(name);
      if (got !== v) out.push({ kind: 'domain-quota', message: `domain ${d}: quota ${show(name)} ${got ?? 'absent'}, expected ${v}` });
    }
  }
  for (const [which, em, gm] of [['per-domain default', e.domQuotas, g.domQuotas], ['global', e.globQuotas, g.globQuotas]] as const) {
    for (const [name, v] of em) {
      const got = gm.get(name);
      if (got !== v) out.push({ kind: 'global-quota', message: `${which} quota ${show(name)} ${got ?? 'absent'}, expected ${v}` });
    }
  }
  return out;
}

/** Warnings that are writer defects too: a writer must zero its padding (a daemon that does not leaks memory). */
const WRITER_WARNINGS = new Set(['framing.padding-not-zero', 'framing.reserved-not-zero']);

/** The writer defects the project's checker finds in a re-dump, for the target. */
export function writerDefects(dump: Stream, target: TargetName): Difference[] {
  const report = checkStream(dump, { target });
  const out: Difference[] = [];
  for (const f of report.findings) {
    if (f.severity === 'error' || f.rule.startsWith('defect.') || WRITER_WARNINGS.has(f.rule)) out.push({ kind: 'writer', rule: f.rule, message: `re-dump: ${f.message} [${f.rule}]` });
  }
  for (const l of report.losses ?? []) {
    if (l.kind === 'refuse') out.push({ kind: 'writer-refused', rule: l.recordType ?? 'stream', message: `re-dump: ${target} refuses it: ${l.message}` });
  }
  return out;
}

/** A message without its numbers, quoted names and paths: the class of a daemon or checker message. */
export function messageClass(line: string): string {
  return line
    .replace(/"[^"]*"/g, '"…"')
    .replace(/0x[0-9a-fA-F]+/g, 'N')
    .replace(/\d+/g, 'N')
    .replace(/\/[^\s,;:)]*/g, '/…')
    .trim()
    .slice(0, 70);
}

/** The line of a daemon's output that says why it stopped (or its last line). */
export function fatalLine(lines: string[]): string {
  const pick = [...lines].reverse().find((l) => /FATAL|fatal|error|abort|Segmentation|assert/i.test(l)) ?? lines.at(-1) ?? '';
  return pick.trim() || '(no output)';
}
