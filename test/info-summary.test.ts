// `info`'s collector keeps connections and domains as rows of numbers and reads nodes through a
// field selection. Its summary must still say what the decoded stream says: here an independent
// and deliberately plain reading of the whole model (decodeStream) is the oracle, on generated
// streams of both versions and byte orders, canonical or not, and on the captures.

import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INFO_SELECTION, summaryCollector, type StreamSummary } from '../src/cli/commands/info.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { RingSpec, SocketSpec, Stream } from '../src/model/types.js';
import { featureNames } from '../src/wire/constants.js';

function collect(bytes: Uint8Array, chunk: number): StreamSummary {
  const { summary, handlers } = summaryCollector();
  const reader = new StreamReader(handlers, { select: INFO_SELECTION });
  for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
  reader.end();
  return summary;
}

/** What the summary should say, read plainly from the whole model. */
function oracle(s: Stream) {
  const connections = s.records.flatMap((r) => {
    if (r.type !== 'CONNECTION_DATA') return [];
    const c: Record<string, unknown> = { connId: r.connId, type: r.connType === 0 ? 'ring' : r.connType === 1 ? 'socket' : `type ${r.connType}` };
    if (r.connType === 0) {
      const spec = r.connSpec as RingSpec;
      c.domid = spec.domid;
      if (spec.tdomid !== 0x7ff4) c.target = spec.tdomid;
      c.evtchn = spec.evtchn;
    } else if (r.connType === 1) c.socketFd = (r.connSpec as SocketSpec).socketFd;
    // Watches and transactions count against the last connection record with that id.
    const last = s.records.filter((x) => x.type === 'CONNECTION_DATA' && x.connId === r.connId).at(-1);
    const mine = last === r;
    const of = (t: string) => (mine ? s.records.filter((x) => x.type === t && 'connId' in x && x.connId === r.connId).length : 0);
    Object.assign(c, { inData: r.inData.length, outData: r.outData.length, watches: of('WATCH_DATA') + of('WATCH_DATA_EXTENDED'), depthWatches: of('WATCH_DATA_EXTENDED'), transactions: of('TRANSACTION_DATA') });
    if (r.uniqueId !== undefined) c.uniqueId = `0x${r.uniqueId.toString(16).padStart(16, '0')}`;
    return [c];
  });
  const domains = s.records.flatMap((r) => (r.type === 'DOMAIN_DATA' ? [{ domid: r.domainId, features: r.features, featureNames: featureNames(r.features), quotaCount: r.quotas.length }] : []));
  const committed = s.records.filter((r) => r.type === 'NODE_DATA' && r.connId === 0 && r.path.startsWith('/'));
  const depth = (p: string) => (p === '/' ? 0 : p.split('/').length - 1);
  let deepest: { path: string; depth: number } | undefined;
  let largest: { path: string; bytes: number } | undefined;
  for (const n of committed) {
    if (n.type !== 'NODE_DATA') continue;
    if (!deepest || depth(n.path) > deepest.depth) deepest = { path: n.path, depth: depth(n.path) };
    if (!largest || n.value.length > largest.bytes) largest = { path: n.path, bytes: n.value.length };
  }
  const nodes = s.records.filter((r) => r.type === 'NODE_DATA');
  return {
    records: s.records.length,
    connections,
    domains,
    nodes: {
      committed: committed.length,
      inTransactions: nodes.filter((r) => r.type === 'NODE_DATA' && r.connId !== 0).length,
      valueBytes: committed.reduce((a, r) => a + (r.type === 'NODE_DATA' ? r.value.length : 0), 0),
      deepest,
      largest,
      special: nodes.filter((r) => r.type === 'NODE_DATA' && r.connId === 0 && !r.path.startsWith('/')).map((r) => (r.type === 'NODE_DATA' ? r.path : '')),
    },
  };
}

function compare(bytes: Uint8Array, chunk: number): void {
  const got = collect(bytes, chunk);
  const want = oracle(decodeStream(bytes));
  expect(got.records).toBe(want.records);
  expect(got.connections.map((c) => ({ ...c }))).toEqual(want.connections);
  expect(got.domains.map(({ quotasDiffering: _, ...d }) => d)).toEqual(want.domains);
  const n = got.nodes;
  expect({ ...n, deepest: n.deepest, largest: n.largest }).toEqual(JSON.parse(JSON.stringify(want.nodes)));
}

describe('info summary', () => {
  it('says what the decoded model says, on generated streams', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2).chain((version) => streamArbitrary({ version: version as 1 | 2, nonCanonical: version === 2, counts: { nodes: 30, connections: 6 } })),
        fc.integer({ min: 1, max: 300 }),
        (s, chunk) => compare(encodeStream(s), chunk),
      ),
      { numRuns: 150, seed: 4242 },
    );
  });

  it('says what the decoded model says, on the captures', () => {
    const dir = new URL('../fixtures/captures/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) compare(new Uint8Array(readFileSync(new URL(f, dir))), 4096);
  });

  it('keeps a negative socket fd, a 64-bit unique-id and a missing target exactly', () => {
    const s: Stream = {
      header: { version: 2, byteOrder: 'big', reservedFlags: 0 },
      records: [
        { type: 'CONNECTION_DATA', connId: 7, connType: 1, fields: 0, connSpec: { socketFd: -2 }, outRespLen: 0, inData: new Uint8Array(0), outData: new Uint8Array(3) },
        { type: 'CONNECTION_DATA', connId: 0xfffffffe, connType: 0, fields: 1, connSpec: { domid: 5, tdomid: 0x7ff4, evtchn: 0xffffffff }, outRespLen: 0, inData: new Uint8Array(2), outData: new Uint8Array(0), uniqueId: 0xfedcba9876543210n },
        { type: 'END' },
      ],
    } as unknown as Stream;
    const got = collect(encodeStream(s), 64).connections;
    expect(got).toEqual([
      { connId: 7, type: 'socket', socketFd: -2, inData: 0, outData: 3, watches: 0, depthWatches: 0, transactions: 0 },
      { connId: 0xfffffffe, type: 'ring', domid: 5, evtchn: 0xffffffff, inData: 2, outData: 0, watches: 0, depthWatches: 0, transactions: 0, uniqueId: '0xfedcba9876543210' },
    ]);
  });
});
