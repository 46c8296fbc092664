// What a reader holds after restoring a stream: the stream as the target's losses say it comes
// back (their `effect`s), for the daemon round-trip fuzzer and the interop tests, which hold it
// to what the real daemon lists and writes again. The rules stay in the checker: this module
// only carries out what each effect says, and rebuilds the tree the way xenstored writes nodes
// (a node written again replaces the old one and its children; 4.17 lists its name twice).

import type { DomainData, GlobalQuotaData, NodeData, Stream, WatchDataExtended, XsRecord } from '../model/types.js';
import { checkStream } from './index.js';
import { PROFILES } from './profiles.js';
import type { RestoreEffect, TargetName } from './types.js';

export type RestoreOutcome = { dies: true; reasons: string[] } | { dies: false; stream: Stream };

export interface PredictOptions {
  /** The host's unique-ids (CheckOptions.hostIds). Without them the host is taken to agree. */
  hostIds?: ReadonlyMap<number, bigint>;
}

interface TreeNode {
  node: NodeData;
  /** Child names in the order they were written (4.17 may hold one twice). */
  children: string[];
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Whether `target` restores `stream` at all, and if it does, what it then holds. */
export function predictRestore(stream: Stream, target: TargetName, opts: PredictOptions = {}): RestoreOutcome {
  const profile = PROFILES[target];
  const losses = checkStream(stream, opts.hostIds ? { target, hostIds: opts.hostIds } : { target }).losses ?? [];
  const refusals = losses.filter((l) => l.kind === 'refuse');
  if (refusals.length) return { dies: true, reasons: refusals.map((l) => l.message) };

  const effects = new Map<number, RestoreEffect[]>();
  const releases: Extract<RestoreEffect, { kind: 'release-domain' }>[] = [];
  const stale: Extract<RestoreEffect, { kind: 'mark-stale' }>[] = [];
  for (const l of losses) {
    if (!l.effect || l.kind === 'host') continue;
    if (l.effect.kind === 'release-domain') releases.push(l.effect);
    else if (l.effect.kind === 'mark-stale') stale.push(l.effect);
    else if (l.recordIndex !== undefined) {
      const list = effects.get(l.recordIndex) ?? [];
      list.push(l.effect);
      effects.set(l.recordIndex, list);
    }
  }

  const tree = new Map<string, TreeNode>();
  const specials = new Map<string, NodeData>();
  const write = (n: NodeData): void => {
    const node: NodeData = { ...n, connId: 0, txId: 0, access: 0 };
    if (!n.path.startsWith('/')) {
      specials.set(n.path, node);
      return;
    }
    const had = tree.has(n.path);
    tree.set(n.path, { node, children: [] });
    if (n.path === '/') return;
    const parent = tree.get(parentOf(n.path));
    const name = n.path.slice(n.path.lastIndexOf('/') + 1);
    if (parent && (!had || profile.duplicateNode === 'relists')) parent.children.push(name);
  };

  const out: XsRecord[] = [];
  let nodesAt = -1;
  stream.records.forEach((r, i) => {
    const e = effects.get(i) ?? [];
    const has = (k: RestoreEffect['kind']) => e.find((x) => x.kind === k);
    if (has('skip-record')) return;
    // (A reader without quota records skips them even where nothing in them is lost.)
    if (!profile.quotaRecords && (r.type === 'DOMAIN_DATA' || r.type === 'GLOBAL_QUOTA_DATA')) return;
    switch (r.type) {
      case 'NODE_DATA': {
        if (nodesAt < 0) nodesAt = out.length;
        if (r.connId === 0 || has('commit-node')) write(r);
        else out.push(r); // (a reader that restores transactions keeps it pending)
        return;
      }
      case 'WATCH_DATA_EXTENDED': {
        const m = has('misread-watch') as Extract<RestoreEffect, { kind: 'misread-watch' }> | undefined;
        out.push(m ? ({ type: 'WATCH_DATA_EXTENDED', connId: r.connId, depth: m.depth, wpath: m.wpath, token: m.token } satisfies WatchDataExtended) : r);
        return;
      }
      case 'GLOBAL_QUOTA_DATA': {
        const ig = has('ignore-quotas') as Extract<RestoreEffect, { kind: 'ignore-quotas' }> | undefined;
        let g: GlobalQuotaData = ig ? { ...r, domQuotas: r.domQuotas.filter((q) => !ig.names.includes(q.name)), globQuotas: r.globQuotas.filter((q) => !ig.names.includes(q.name)) } : r;
        if (has('global-quotas-as-defaults')) {
          const merged = new Map(g.domQuotas.map((q) => [q.name, q.value] as [string, number]));
          for (const q of g.globQuotas) merged.set(q.name, q.value);
          g = { ...g, domQuotas: [...merged].map(([name, value]) => ({ name, value })), globQuotas: [] };
        }
        out.push(g);
        return;
      }
      case 'DOMAIN_DATA': {
        const ig = has('ignore-quotas') as Extract<RestoreEffect, { kind: 'ignore-quotas' }> | undefined;
        let d: DomainData = ig ? { ...r, quotas: r.quotas.filter((q) => !ig.names.includes(q.name)) } : r;
        if (has('ignore-features')) d = { ...d, features: 0 };
        out.push(d);
        return;
      }
      case 'CONNECTION_DATA':
        out.push(has('clear-target') && 'tdomid' in r.connSpec ? { ...r, connSpec: { ...r.connSpec, tdomid: 0x7ff4 } } : r);
        return;
      default:
        out.push(r);
    }
  });

  // Releases at the end of the restore: the nodes a domain owns go with their subtrees; with
  // dropsPermEntries its entries leave every other node's list; its ring connection closes.
  const gone = new Set(releases.map((r) => r.domid));
  const dropEntries = new Set(releases.filter((r) => r.dropsPermEntries).map((r) => r.domid));
  const closed = new Set(releases.filter((r) => r.closesConnection).map((r) => r.domid));
  const staleTree = new Set(stale.map((x) => x.domid));
  const staleSpecial = new Set(stale.filter((x) => x.specialNodes).map((x) => x.domid));
  const restoredPerms = (n: NodeData, marked: Set<number>): NodeData => {
    let perms = dropEntries.size ? n.perms.filter((p, k) => k === 0 || !dropEntries.has(p.domid)) : n.perms;
    if (marked.size) perms = perms.map((p, k) => (k > 0 && marked.has(p.domid) ? { ...p, flags: p.flags | 1 } : p));
    return perms === n.perms ? n : { ...n, perms };
  };
  const nodes: NodeData[] = [];
  const emit = (path: string): void => {
    const t = tree.get(path);
    if (!t) return;
    const owner = t.node.perms[0]?.domid;
    if (path !== '/' && owner !== undefined && gone.has(owner)) return;
    nodes.push(restoredPerms(t.node, staleTree));
    for (const name of t.children) emit(path === '/' ? `/${name}` : `${path}/${name}`);
  };
  emit('/');
  for (const n of specials.values()) nodes.push(restoredPerms(n, staleSpecial));

  const closedConns = new Set<number>();
  const records: XsRecord[] = [];
  out.forEach((r, k) => {
    if (k === nodesAt) records.push(...nodes);
    if (r.type === 'CONNECTION_DATA' && r.connType === 0 && 'domid' in r.connSpec && closed.has(r.connSpec.domid)) {
      closedConns.add(r.connId);
      return;
    }
    if ((r.type === 'WATCH_DATA' || r.type === 'WATCH_DATA_EXTENDED' || r.type === 'TRANSACTION_DATA') && closedConns.has(r.connId)) return;
    if (r.type === 'DOMAIN_DATA' && gone.has(r.domainId)) return;
    records.push(r);
  });
  if (nodesAt < 0 || nodesAt >= out.length) records.splice(records.length - (records.at(-1)?.type === 'END' ? 1 : 0), 0, ...(nodesAt < 0 ? [] : nodes));
  return { dies: false, stream: { header: stream.header, records } };
}
