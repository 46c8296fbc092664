// A small generator of valid version-2 streams for the conversion properties. (The project's
// shared arbitraries, src/model/arbitraries.ts, were not on main when this was written; when
// they land, the properties can take streams from them as well.)
//
// Valid as the format facts define it: conn-ids unique and non-zero; watches and transactions
// right after their connection; committed nodes parent first, from `/`, then the two special
// nodes; transaction nodes after their TRANSACTION_DATA; DOMAIN_DATA at most once per domain
// and only for a domain with a ring connection; pending data made of whole wire messages in
// the record byte order (in-data may end inside a request, out-data may start with the tail
// of a partly sent reply); unique-id only on ring connections; END last.

import fc from 'fast-check';
import type { ConnectionData, NodeData, Permission, Quota, Stream, XsRecord } from '../../src/model/types.js';
import { XENSTORED_QUOTA_NAMES, type ByteOrder } from '../../src/wire/constants.js';

/** Which version-2 content the streams may hold. */
export type V2Content = 'any' | 'none' | 'unlimited-only';

const quotaArb = fc.record({
  name: fc.constantFrom(...XENSTORED_QUOTA_NAMES, ...XENSTORED_QUOTA_NAMES.map((n) => `soft-${n}`)),
  value: fc.integer({ min: 0, max: 0xffffffff }),
});
const quotasArb = fc.uniqueArray(quotaArb, { maxLength: 4, selector: (q) => q.name });
const msgArb = fc.record({ type: fc.integer({ min: 0, max: 26 }), reqId: fc.nat(), txId: fc.integer({ min: 0, max: 9 }), payload: fc.uint8Array({ maxLength: 24 }) });
const tokenArb = fc.stringMatching(/^[A-Za-z0-9_.\/-]{1,8}$/);
const permArb = fc.record({ perm: fc.constantFrom('n', 'r', 'w', 'b'), flags: fc.constantFrom(0, 0, 1), domidPick: fc.nat() });

const specArb = fc.record({
  order: fc.constantFrom<ByteOrder>('little', 'big'),
  rwSocketFd: fc.integer({ min: -1, max: 64 }),
  evtchnFd: fc.integer({ min: -1, max: 64 }),
  globalQuota: fc.option(fc.record({ dom: quotasArb, glob: quotasArb }), { nil: undefined }),
  conns: fc.array(
    fc.record({
      ring: fc.boolean(),
      domid: fc.integer({ min: 0, max: 40 }),
      target: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      evtchn: fc.integer({ min: 1, max: 4096 }),
      fd: fc.integer({ min: 3, max: 200 }),
      uniqueId: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
      inMsgs: fc.array(msgArb, { maxLength: 2 }),
      inTail: fc.option(fc.oneof(fc.record({ cut: fc.integer({ min: 1, max: 15 }), msg: msgArb }), fc.record({ cut: fc.constant(-1), msg: msgArb })), { nil: undefined }),
      outPartial: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
      outMsgs: fc.array(msgArb, { maxLength: 2 }),
      watches: fc.array(
        fc.record({ pathPick: fc.nat(), token: tokenArb, extended: fc.boolean(), depth: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(0xffff)) }),
        { maxLength: 3 },
      ),
      tx: fc.option(
        fc.record({
          txId: fc.integer({ min: 1, max: 9 }),
          nodes: fc.array(fc.record({ pathPick: fc.nat(), access: fc.constantFrom(0, 1, 2), value: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 2 }),
        }),
        { nil: undefined },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  nodes: fc.array(
    fc.record({
      parentPick: fc.nat(),
      name: fc.stringMatching(/^[a-z0-9_-]{1,6}$/),
      value: fc.uint8Array({ maxLength: 24 }),
      perms: fc.array(permArb, { minLength: 1, maxLength: 3 }),
    }),
    { maxLength: 12 },
  ),
  domains: fc.array(fc.record({ pick: fc.nat(), features: fc.integer({ min: 0, max: 15 }), quotas: quotasArb }), { maxLength: 3 }),
});

function u32(order: ByteOrder, ...vals: number[]): Uint8Array {
  const b = new Uint8Array(4 * vals.length);
  const v = new DataView(b.buffer);
  vals.forEach((x, i) => v.setUint32(4 * i, x, order === 'little'));
  return b;
}

function message(order: ByteOrder, m: { type: number; reqId: number; txId: number; payload: Uint8Array }): Uint8Array {
  return Buffer.concat([u32(order, m.type, m.reqId, m.txId, m.payload.length), m.payload]);
}

export function v2StreamArb(content: V2Content = 'any'): fc.Arbitrary<Stream> {
  return specArb.map((spec) => {
    const order = spec.order;
    const records: XsRecord[] = [{ type: 'GLOBAL_DATA', rwSocketFd: spec.rwSocketFd, evtchnFd: spec.evtchnFd }];
    if (spec.globalQuota) records.push({ type: 'GLOBAL_QUOTA_DATA', domQuotas: spec.globalQuota.dom, globQuotas: spec.globalQuota.glob });

    // The committed tree first (paths are needed by watches and transaction nodes).
    const ringDomids: number[] = [];
    for (const c of spec.conns) if (c.ring && !ringDomids.includes(c.domid)) ringDomids.push(c.domid);
    const domidFor = (pick: number): number => (ringDomids.length && pick % 3 !== 0 ? ringDomids[pick % ringDomids.length]! : 0);
    const perms = (ps: { perm: string; flags: number; domidPick: number }[]): Permission[] =>
      ps.map((p) => ({ perm: p.perm, flags: p.flags, domid: domidFor(p.domidPick) }));
    const paths = ['/'];
    const nodes: NodeData[] = [{ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: '/', value: new Uint8Array() }];
    spec.nodes.forEach((n, i) => {
      const parent = paths[n.parentPick % paths.length]!;
      const path = `${parent === '/' ? '' : parent}/${n.name}${i}`;
      paths.push(path);
      nodes.push({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: perms(n.perms), path, value: n.value });
    });
    for (const special of ['@releaseDomain', '@introduceDomain']) {
      nodes.push({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: special, value: new Uint8Array() });
    }

    const txNodes: NodeData[] = [];
    const seenRing = new Set<number>();
    spec.conns.forEach((c, i) => {
      const connId = i + 1;
      const ring = c.ring && !seenRing.has(c.domid);
      if (ring) seenRing.add(c.domid);
      const inParts = c.inMsgs.map((m) => message(order, m));
      if (c.inTail) {
        const whole = message(order, c.inTail.msg);
        // cut > 0: a header received up to byte `cut`; -1: a request missing its last payload byte
        if (c.inTail.cut > 0) inParts.push(whole.subarray(0, c.inTail.cut));
        else if (c.inTail.msg.payload.length > 0) inParts.push(whole.subarray(0, whole.length - 1));
      }
      const outParts = c.outMsgs.map((m) => message(order, m));
      if (c.outPartial) outParts.unshift(c.outPartial);
      const conn: ConnectionData = {
        type: 'CONNECTION_DATA',
        connId,
        connType: ring ? 0 : 1,
        fields: 0,
        connSpec: ring ? { domid: c.domid, tdomid: c.target ?? 0x7ff4, evtchn: c.evtchn } : { socketFd: c.fd },
        outRespLen: c.outPartial?.length ?? 0,
        inData: Buffer.concat(inParts),
        outData: Buffer.concat(outParts),
      };
      if (ring && c.uniqueId !== undefined) {
        conn.fields = 1;
        conn.uniqueId = c.uniqueId;
      }
      records.push(conn);
      const seenWatch = new Set<string>();
      for (const w of c.watches) {
        const wpath = w.pathPick % 5 === 4 ? '@releaseDomain' : paths[w.pathPick % paths.length]!;
        if (seenWatch.has(`${wpath}\0${w.token}`)) continue;
        seenWatch.add(`${wpath}\0${w.token}`);
        const extended = content !== 'none' && w.extended;
        const depth = content === 'unlimited-only' ? 0xffff : w.depth;
        records.push(extended ? { type: 'WATCH_DATA_EXTENDED', connId, depth, wpath, token: w.token } : { type: 'WATCH_DATA', connId, wpath, token: w.token });
      }
      if (c.tx) {
        records.push({ type: 'TRANSACTION_DATA', connId, txId: c.tx.txId });
        const seenPath = new Set<string>();
        for (const n of c.tx.nodes) {
          const path = paths[n.pathPick % paths.length]!;
          if (seenPath.has(path)) continue;
          seenPath.add(path);
          txNodes.push(
            n.access === 0
              ? { type: 'NODE_DATA', connId, txId: c.tx.txId, access: 0, perms: [], path, value: new Uint8Array() }
              : { type: 'NODE_DATA', connId, txId: c.tx.txId, access: n.access, perms: [{ perm: 'n', flags: 0, domid: 0 }], path, value: n.value },
          );
        }
      }
    });
    records.push(...nodes, ...txNodes);

    const seenDom = new Set<number>();
    for (const d of spec.domains) {
      if (!ringDomids.length) break;
      const domainId = ringDomids[d.pick % ringDomids.length]!;
      if (seenDom.has(domainId)) continue;
      seenDom.add(domainId);
      const quotas: Quota[] = d.quotas;
      records.push({ type: 'DOMAIN_DATA', domainId, features: content === 'any' ? d.features : 0, quotas });
    }
    records.push({ type: 'END' });
    return { header: { version: 2, byteOrder: order, reservedFlags: 0 }, records };
  });
}
