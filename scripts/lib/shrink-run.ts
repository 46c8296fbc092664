// A bounded structural shrinker for scripts/fuzz-daemon.ts: makes a failing case (a stream
// and the requests sent before the re-dump) smaller while a predicate (runs the daemon: ~1.5 s)
// still holds, until nothing more goes or the deadline passes.
//
// Units it tries to remove, in chunks from large to single (as delta debugging does): a
// committed node with its whole subtree, a connection with its watches and transactions, a
// watch, a DOMAIN_DATA, the GLOBAL_QUOTA_DATA, a request. GLOBAL_DATA, END, `/` and the first
// ring connection (dom0's) stay. Then it simplifies what is left: pending data, node values
// and quota lists emptied. A candidate the daemon no longer fails in the same way is just not taken, so
// removing a node's owner or a watch's connection is tried and refused by the predicate.

import type { Stream, XsRecord } from '../../src/model/types.js';

export interface ShrinkCase<R> {
  stream: Stream;
  requests: R[];
}

export interface ShrinkResult<R> {
  best: ShrinkCase<R>;
  tries: number;
  accepted: number;
  timedOut: boolean;
}

function units(s: Stream): number[][] {
  const recs = s.records;
  const out: number[][] = [];
  let firstRing = true;
  recs.forEach((r, i) => {
    switch (r.type) {
      case 'NODE_DATA': {
        if (r.connId !== 0 || r.path === '/') break;
        const prefix = `${r.path}/`;
        const sub = recs.flatMap((x, k) => (x.type === 'NODE_DATA' && (k === i || (x.connId === 0 && x.path.startsWith(prefix))) ? [k] : []));
        out.push(sub);
        break;
      }
      case 'CONNECTION_DATA': {
        if (r.connType === 0 && firstRing) {
          firstRing = false;
          break;
        }
        const own = recs.flatMap((x, k) => (k === i || ((x.type === 'WATCH_DATA' || x.type === 'WATCH_DATA_EXTENDED' || x.type === 'TRANSACTION_DATA' || (x.type === 'NODE_DATA' && x.connId !== 0)) && x.connId === r.connId) ? [k] : []));
        out.push(own);
        break;
      }
      case 'WATCH_DATA':
      case 'WATCH_DATA_EXTENDED':
      case 'DOMAIN_DATA':
      case 'GLOBAL_QUOTA_DATA':
      case 'TRANSACTION_DATA':
        out.push([i]);
        break;
      default:
        break;
    }
  });
  return out;
}

const without = <R>(c: ShrinkCase<R>, drop: Set<number>, dropReq: Set<number>): ShrinkCase<R> => ({
  stream: { ...c.stream, records: c.stream.records.filter((_, i) => !drop.has(i)) },
  requests: c.requests.filter((_, i) => !dropReq.has(i)),
});

/** Shrinks `start` while `fails` holds; `fails(start)` is assumed true. */
export async function shrinkCase<R>(start: ShrinkCase<R>, fails: (c: ShrinkCase<R>) => Promise<boolean>, deadline: number): Promise<ShrinkResult<R>> {
  let best = start;
  let tries = 0;
  let accepted = 0;
  const timeLeft = () => Date.now() < deadline;
  const attempt = async (c: ShrinkCase<R>) => {
    tries++;
    if (await fails(c)) {
      best = c;
      accepted++;
      return true;
    }
    return false;
  };

  // 1. Remove units, in chunks halving down to one; after a removal the same chunk size again.
  const allUnits = () => [...units(best.stream).map((recs) => ({ recs, req: undefined as number | undefined })), ...best.requests.map((_, k) => ({ recs: [] as number[], req: k as number | undefined }))];
  let size = Math.max(1, Math.ceil(allUnits().length / 2));
  while (size >= 1 && timeLeft()) {
    const all = allUnits();
    size = Math.min(size, Math.max(1, Math.ceil(all.length / 2)));
    let removed = false;
    for (let at = 0; at < all.length && timeLeft(); at += size) {
      const chunk = all.slice(at, at + size);
      const drop = new Set(chunk.flatMap((u) => u.recs));
      const dropReq = new Set(chunk.flatMap((u) => (u.req === undefined ? [] : [u.req])));
      if (!drop.size && !dropReq.size) continue;
      if (await attempt(without(best, drop, dropReq))) {
        removed = true;
        break;
      }
    }
    if (!removed) size = size === 1 ? 0 : Math.ceil(size / 2);
  }

  // 2. Simplify what is left: empty node values, empty quota lists.
  const simplify = (pick: (r: XsRecord) => XsRecord | undefined) => {
    let changed = false;
    const records = best.stream.records.map((r) => {
      const x = pick(r);
      if (x) changed = true;
      return x ?? r;
    });
    return changed ? { ...best, stream: { ...best.stream, records } } : undefined;
  };
  const steps: ((r: XsRecord) => XsRecord | undefined)[] = [
    (r) => (r.type === 'CONNECTION_DATA' && (r.inData.length || r.outData.length) ? { ...r, inData: new Uint8Array(0), outData: new Uint8Array(0), outRespLen: 0 } : undefined),
    (r) => (r.type === 'NODE_DATA' && r.value.length ? { ...r, value: new Uint8Array(0) } : undefined),
    (r) => (r.type === 'DOMAIN_DATA' && r.quotas.length ? { ...r, quotas: [] } : undefined),
    (r) => (r.type === 'GLOBAL_QUOTA_DATA' && (r.domQuotas.length || r.globQuotas.length) ? { ...r, domQuotas: [], globQuotas: [] } : undefined),
  ];
  for (const step of steps) {
    if (!timeLeft()) break;
    const c = simplify(step);
    if (c) await attempt(c);
  }
  return { best, tries, accepted, timedOut: !timeLeft() };
}
