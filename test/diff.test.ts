// The semantic diff on single, known edits of a real capture: each edit must show up as
// exactly one difference, named by its item, with old and new values.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffStreams, type DiffEntry } from '../src/convert/diff.js';
import { decodeStream } from '../src/model/decode.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { CAPTURES } from './helpers/cli.js';

const load = (): Stream => decodeStream(readFileSync(`${CAPTURES}head-v2-quota.bin`));
const pick = (e: DiffEntry) => [e.section, e.key, e.field, e.old, e.new];

function find<T extends XsRecord['type']>(s: Stream, type: T, pred: (r: Extract<XsRecord, { type: T }>) => boolean): Extract<XsRecord, { type: T }> {
  const r = s.records.find((x) => x.type === type && pred(x as Extract<XsRecord, { type: T }>));
  if (!r) throw new Error(`fixture: no ${type}`);
  return r as Extract<XsRecord, { type: T }>;
}

describe('diffStreams', () => {
  it('equal streams: nothing', () => {
    const d = diffStreams(load(), load());
    expect(d).toEqual({ equal: true, semantic: [], bytes: [] });
  });

  it('a node value, a permission, a removed node', () => {
    const b = load();
    find(b, 'NODE_DATA', (r) => r.path === '/local/domain/1/name').value = Buffer.from('guest9');
    find(b, 'NODE_DATA', (r) => r.path === '/vm').perms.push({ perm: 'r', flags: 1, domid: 7 });
    b.records = b.records.filter((r) => !(r.type === 'NODE_DATA' && r.path === '/empty'));
    expect(diffStreams(load(), b).semantic.map(pick)).toEqual([
      ['node', '/local/domain/1/name', 'value', '"guest1"', '"guest9"'],
      ['node', '/vm', 'perms', 'n0', 'n0,r7/1'],
      ['node', '/empty', 'exists', true, false],
    ]);
  });

  it('binary values are shown as hex', () => {
    const b = load();
    find(b, 'NODE_DATA', (r) => r.path === '/binary').value = new Uint8Array([0, 1]);
    expect(diffStreams(load(), b).semantic.map(pick)).toEqual([['node', '/binary', 'value', 'hex:000102ff00fe0000', 'hex:0001']]);
  });

  it('quotas by name, features, a domain only on one side', () => {
    const b = load();
    const d1 = find(b, 'DOMAIN_DATA', (r) => r.domainId === 1);
    d1.quotas = d1.quotas.map((q) => (q.name === 'nodes' ? { ...q, value: 501 } : q)).reverse();
    find(b, 'DOMAIN_DATA', (r) => r.domainId === 5).features = 6;
    b.records = b.records.filter((r) => !(r.type === 'DOMAIN_DATA' && r.domainId === 6));
    const gq = find(b, 'GLOBAL_QUOTA_DATA', () => true);
    gq.domQuotas = gq.domQuotas.filter((q) => q.name !== 'watches');
    expect(diffStreams(load(), b).semantic.map(pick)).toEqual([
      ['quota', 'GLOBAL_QUOTA_DATA', 'domain default watches', 256, null],
      ['domain', 'domain 6', 'exists', true, false],
      ['domain', 'domain 5', 'features', 2, 6],
      ['domain', 'domain 1', 'quota nodes', 500, 501],
    ]);
  });

  it('a watch depth; pending data compared as wire messages', () => {
    const b = load();
    const i = b.records.findIndex((r) => r.type === 'WATCH_DATA' && r.wpath === '/tx');
    const w = b.records[i]!;
    if (w.type !== 'WATCH_DATA') throw new Error('fixture');
    b.records[i] = { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: 1, wpath: w.wpath, token: w.token };
    const c = find(b, 'CONNECTION_DATA', (r) => r.connId === 8);
    c.inData = c.inData.subarray(0, 20); // the request cut shorter
    const d = diffStreams(load(), b);
    expect(d.semantic.map((e) => [e.key, e.field])).toEqual([
      ['conn 8', 'in-data'],
      ['conn 8 "/tx" token "txwatch"', 'record'],
      ['conn 8 "/tx" token "txwatch"', 'depth'],
    ]);
    expect(d.semantic[0]!.old).toBe('type 11 req 5 tx 0 len 25 (12 received) payload 2f7061727469616c2f6e6f64');
    expect(d.semantic[0]!.new).toBe('type 11 req 5 tx 0 len 25 (4 received) payload 2f706172');
    expect(d.semantic[2]!.message).toBe('watch conn 8 "/tx" token "txwatch": depth unlimited (0xFFFF) -> 1');
  });

  it('representation only: declared len, padding, record order', () => {
    const b = load();
    const n = find(b, 'NODE_DATA', (r) => r.path === '/a');
    n.len = 40;
    n.padding = new Uint8Array([1, 0, 0, 0, 0, 0]);
    const i = b.records.findIndex((r) => r.type === 'NODE_DATA' && r.path === '/utf8');
    const [moved] = b.records.splice(i, 1);
    b.records.splice(i + 1, 0, moved!);
    const d = diffStreams(load(), b);
    expect(d.semantic).toEqual([]);
    expect(d.equal).toBe(false);
    expect(d.bytes.map((e) => [e.key, e.field, e.old])).toEqual([
      ['node /a', 'len', null],
      ['node /a', 'padding', null],
      ['records', 'order', `node /utf8 at position ${i}`], // every record before it is an item of both streams
    ]);
  });
});
