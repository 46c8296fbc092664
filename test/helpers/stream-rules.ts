// Rules a valid stream obeys (stream-facts: what xenstored writes and reads, and what the
// real Xen 4.17 daemon of interop/ was seen to refuse), stated here independently of the
// generators so that their "valid by construction" promise is tested.

import type { Stream, XsRecord } from '../../src/model/types.js';

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function isAncestorOrSelf(a: string, b: string): boolean {
  return a === b || a === '/' || b.startsWith(`${a}/`);
}

/** Returns the first rule a stream breaks, or undefined. */
export function firstBrokenRule(s: Stream, bytes: Uint8Array): string | undefined {
  const recs = s.records;
  const little = s.header.byteOrder === 'little';
  if (s.header.reservedFlags !== 0 || s.trailing) return 'header flags or trailing bytes';
  if (recs.at(-1)?.type !== 'END' || recs.filter((r) => r.type === 'END').length !== 1) return 'END last and only once';
  if (recs[0]?.type !== 'GLOBAL_DATA') return 'GLOBAL_DATA first';
  const conns = new Map<number, XsRecord>();
  const txs = new Set<string>();
  const ringDomains = new Set<number>();
  const owners = new Set<number>();
  const committed = new Set<string>();
  const domainData = new Set<number>();
  let lastTreePath: string | undefined;
  for (const [i, r] of recs.entries()) {
    for (const k of ['len', 'padding', 'unterminated', 'pad', 'dataPad']) if (k in r) return `#${i}: extra ${k}`;
    switch (r.type) {
      case 'UNKNOWN':
        return `#${i}: unknown record`;
      case 'CONNECTION_DATA': {
        if (r.connId === 0 || conns.has(r.connId)) return `#${i}: conn-id zero or repeated`;
        const pending = pendingDataProblem(r.inData, r.outData, r.outRespLen, little);
        if (pending) return `#${i}: ${pending}`;
        if (r.uniqueId !== undefined && r.connType !== 0) return `#${i}: a unique-id on a socket connection`;
        conns.set(r.connId, r);
        if (r.connType === 0) {
          const d = (r.connSpec as { domid: number }).domid;
          if (ringDomains.has(d)) return `#${i}: two ring connections for domain ${d}`;
          ringDomains.add(d);
        }
        break;
      }
      case 'WATCH_DATA_EXTENDED':
      case 'WATCH_DATA':
        if (r.type === 'WATCH_DATA_EXTENDED' && s.header.version < 2) return `#${i}: WATCH_DATA_EXTENDED in version 1`;
        if (!conns.has(r.connId)) return `#${i}: watch before its connection`;
        break;
      case 'TRANSACTION_DATA':
        if (!conns.has(r.connId)) return `#${i}: transaction before its connection`;
        txs.add(`${r.connId}/${r.txId}`);
        break;
      case 'NODE_DATA':
        if (r.perms.length === 0) return `#${i}: node without owner`;
        if (r.connId !== 0) {
          if (!txs.has(`${r.connId}/${r.txId}`)) return `#${i}: transaction node before its transaction`;
          break;
        }
        if (r.path.startsWith('@')) {
          if (r.path !== '@releaseDomain' && r.path !== '@introduceDomain') return `#${i}: unknown special node`;
        } else if (r.path === '/') {
          if (lastTreePath !== undefined) return `#${i}: / not first`;
        } else {
          const parent = parentOf(r.path);
          if (!committed.has(parent)) return `#${i}: ${r.path} before its parent`;
          // Pre-order: the parent is the previous tree node or one of its ancestors.
          if (!lastTreePath || !isAncestorOrSelf(parent, lastTreePath)) return `#${i}: ${r.path} not in pre-order`;
        }
        if (committed.has(r.path)) return `#${i}: ${r.path} twice`;
        committed.add(r.path);
        if (!r.path.startsWith('@')) lastTreePath = r.path;
        owners.add(r.perms[0]!.domid);
        // Xen 4.17 refuses a node whose owner has no ring connection, and has dom0's first.
        if (!ringDomains.has(r.perms[0]!.domid)) return `#${i}: ${r.path} owned by domain ${r.perms[0]!.domid}, which has no ring connection before it`;
        break;
      case 'DOMAIN_DATA':
        if (domainData.has(r.domainId)) return `#${i}: two DOMAIN_DATA for ${r.domainId}`;
        if (!ringDomains.has(r.domainId) && !owners.has(r.domainId)) return `#${i}: DOMAIN_DATA for domain ${r.domainId}, neither connected nor owning a node`;
        if (s.header.version < 2 && r.features !== 0) return `#${i}: features in version 1`;
        domainData.add(r.domainId);
        break;
      default:
        break;
    }
  }
  if (!committed.has('/') || !committed.has('@releaseDomain') || !committed.has('@introduceDomain')) return 'missing / or a special node';
  // Every `len` a multiple of 8 (what xenstored's reader needs).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 16, n = 0; n < recs.length; n++) {
    const len = view.getUint32(at + 4, little);
    if (len % 8) return `record #${n}: len ${len} not padded`;
    at += 8 + len;
  }
  return undefined;
}


/** Pending traffic is wire messages (type, req-id, tx-id, len, then len bytes; len at most
 * 4096): in-data a request cut short; out-data the unsent rest of a partly sent response
 * (out-resp-len bytes, Xen 4.17 dies on anything else), then whole messages. */
function pendingDataProblem(inData: Uint8Array, outData: Uint8Array, outRespLen: number, little: boolean): string | undefined {
  const lenAt = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, little);
  if (inData.length >= 16) {
    const len = lenAt(inData, 12);
    if (len > 4096) return `in-data header len ${len} beyond 4096`;
    if (inData.length >= 16 + len) return 'in-data holds a whole request';
  }
  if (outRespLen > outData.length) return `out-resp-len ${outRespLen} beyond out-data`;
  for (let at = outRespLen; at < outData.length; ) {
    if (at + 16 > outData.length) return 'out-data ends inside a message header';
    const len = lenAt(outData, at + 12);
    if (len > 4096 || at + 16 + len > outData.length) return `out-data message at ${at} runs past the data or beyond 4096`;
    at += 16 + len;
  }
  return undefined;
}
