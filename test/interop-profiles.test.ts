// The reader profiles held to the real daemons: for every case below and each of xenstored
// 4.17, 4.21 and 4.22 (interop/, a preload shim stands in for the hypervisor), what
// `check --target` predicts (predictRestore: refuse, or the tree the losses leave) is what the
// daemon does: it dies exactly when a refusal is named, and otherwise `xenstore-ls -fp` lists
// exactly the predicted tree. A disagreement is fixed in the profile (src/check), never here.
//
// The cases: hand-assembled streams, one per behaviour of stream-facts.md ("Seen on the real
// daemons"), each written here record by record; the bundled real captures; and what
// `xsmig convert --target T --force [--repair]` writes from each capture for each daemon
// (those must restore alive). Under the shim the unique-id of domain D is 0x0102030405060000|D:
// the host's ids handed to the checker.
//
// Without the rig the tests skip and say why; XSMIG_INTEROP=require makes that a failure.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictRestore, type RestoreOutcome } from '../src/check/restore-model.js';
import type { TargetName } from '../src/check/types.js';
import { fc, streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson } from '../src/model/json.js';
import type { NodeData, Stream } from '../src/model/types.js';
import { parseListingLine } from './helpers/capture-txt.js';
import { CAPTURES, runCli } from './helpers/cli.js';
import { DAEMON_VERSIONS, RIG, probeWatches, rigMissing, restoreStream, type DaemonVersion, type Restored } from './helpers/interop-rig.js';

const SEED = Number(process.env.XSMIG_SEED ?? 20261207);
const GENERATED = 8;
const TARGET: Record<DaemonVersion, TargetName> = { '4.17': 'xen-4.17', '4.21': 'xen-4.21', '4.22': 'xen-4.22' };
const SHIM_ID = (d: number) => 0x0102030405060000n | BigInt(d);
const HOST_IDS = new Map(Array.from({ length: 64 }, (_, d) => [d, SHIM_ID(d)] as [number, bigint]));

// -- hand-assembled cases (JSON form records) -----------------------------------------------

type J = Record<string, unknown>;
const ring = (connId: number, domid: number, o: { tdomid?: number; uid?: bigint | null; v?: number } = {}): J => {
  const uid = o.uid === undefined ? SHIM_ID(domid) : o.uid;
  const withId = (o.v ?? 2) === 2 && uid !== null;
  return { type: 'CONNECTION_DATA', connId, connType: 0, fields: withId ? 1 : 0, connSpec: { domid, tdomid: o.tdomid ?? 0x7ff4, evtchn: 100 + domid }, outRespLen: 0, inData: '', outData: '', ...(withId ? { uniqueId: String(uid) } : {}) };
};
const sock = (connId: number, fd: number): J => ({ type: 'CONNECTION_DATA', connId, connType: 1, fields: 0, connSpec: { socketFd: fd }, outRespLen: 0, inData: '', outData: '' });
const node = (path: string, perms = 'n0', value = '', extra: J = {}): J => ({
  type: 'NODE_DATA', connId: 0, txId: 0, access: 0, path, value, ...extra,
  perms: perms ? perms.split(',').map((p) => ({ perm: p[0], flags: 0, domid: Number(p.slice(1)) })) : [],
});
const tx = (path: string, perms: string, value: string, access = 2): J => node(path, perms, value, { connId: 2, txId: 7, access });
const base = (...more: J[]): J[] => [node('/'), node('/local'), node('/local/domain'), node('/local/domain/0'), ...more];
const SPECIALS = [node('@releaseDomain'), node('@introduceDomain')];
const GLOBAL: J = { type: 'GLOBAL_DATA', rwSocketFd: 4, evtchnFd: 7 };
const dom = (id: number, features = 0): J => ({ type: 'DOMAIN_DATA', domainId: id, features, quotas: [] });
const TXREC: J = { type: 'TRANSACTION_DATA', connId: 2, txId: 7 };
const stream = (version: number, records: J[]): Stream =>
  streamFromJson({ format: 'xsmig-stream/1', header: { version, byteOrder: 'little', reservedFlags: 0 }, records: [...records, { type: 'END' }] });

function handCases(): Record<string, Stream> {
  const c: Record<string, Stream> = {};
  for (const v of [1, 2]) {
    const r0 = ring(1, 0, { v });
    c[`owner-without-ring-v${v}`] = stream(v, [GLOBAL, r0, ...base(node('/local/domain/5', 'n5')), ...SPECIALS]);
    c[`perm-for-unknown-domain-v${v}`] = stream(v, [GLOBAL, r0, ...base(node('/local/domain/5', 'n0,r5')), ...SPECIALS]);
    c[`no-dom0-ring-v${v}`] = stream(v, [GLOBAL, sock(1, 30), ...base(node('/x')), ...SPECIALS]);
    c[`target-without-ring-v${v}`] = stream(v, [GLOBAL, r0, ring(2, 1, { tdomid: 6, v }), ...base(node('/local/domain/1', 'n1'), node('/local/domain/6', 'n6'), node('/local/domain/6/x', 'n0'), node('/x', 'n0,w6'), node('/y', 'b1,r6'), node('/z', 'b6')), ...SPECIALS]);
    c[`ring-after-its-node-v${v}`] = stream(v, [GLOBAL, r0, ...base(node('/local/domain/3', 'n3')), ...SPECIALS, ring(2, 3, { v })]);
    c[`special-owned-without-ring-v${v}`] = stream(v, [GLOBAL, r0, ...base(), node('@releaseDomain', 'n7'), node('@introduceDomain')]);
    c[`duplicate-committed-v${v}`] = stream(v, [GLOBAL, r0, ...base(node('/a', 'n0', 'one'), node('/a/b', 'n0', 'kid'), node('/a', 'n0', 'two')), ...SPECIALS]);
    const withTx = (...nodes: J[]) => stream(v, [GLOBAL, r0, sock(2, 30), TXREC, ...base(node('/a', 'n0', 'committed'), ...nodes), ...SPECIALS]);
    c[`tx-new-v${v}`] = withTx(tx('/a/new', 'n0', 'txval'));
    c[`tx-read-v${v}`] = withTx(tx('/a/r', 'n0', 'rv', 1));
    c[`tx-over-committed-v${v}`] = withTx(tx('/a', 'n0', 'txval'));
    c[`tx-root-v${v}`] = withTx(tx('/', 'n0,r3', 'rootval'));
    c[`tx-no-parent-v${v}`] = withTx(tx('/b/c', 'n0', 'x'));
    c[`tx-deleted-v${v}`] = withTx(tx('/a/gone', '', '', 0));
    c[`tx-owner-without-ring-v${v}`] = withTx(tx('/a/n', 'n9', 'x'));
    c[`extended-documented-v${v}`] = stream(v, [GLOBAL, r0, sock(2, 30), { type: 'WATCH_DATA_EXTENDED', connId: 2, depth: 1, wpath: '/a', token: 't' }, ...base(node('/a')), ...SPECIALS]);
  }
  const twoRings = (uid1: bigint | null, ...more: J[]) => [GLOBAL, ring(1, 0), ring(2, 1, { uid: uid1 }), ...base(node('/local/domain/1', 'n1'), node('/local/domain/1/k', 'n0'), node('/w', 'b1'), node('/x', 'n0,r1')), ...SPECIALS, ...more];
  c['unique-id-host-v2'] = stream(2, twoRings(SHIM_ID(1), dom(0, 14), dom(1, 14)));
  c['unique-id-other-v2'] = stream(2, twoRings(0x1234n, dom(0, 14), dom(1, 2)));
  c['unique-id-other-v1'] = stream(1, [GLOBAL, ring(1, 0, { v: 1 }), { ...ring(2, 1, { uid: 0x1234n }) }, ...base(node('/local/domain/1', 'n1'), node('/x', 'n0,r1')), ...SPECIALS]);
  c['unique-id-none-v2'] = stream(2, twoRings(null, dom(0, 14), dom(1, 14)));
  c['unique-id-dom0-other-v2'] = stream(2, [GLOBAL, ring(1, 0, { uid: 0x4321n }), ring(2, 1), ...base(node('/local/domain/1', 'n1')), ...SPECIALS, dom(0, 14), dom(1, 14)]);
  c['target-domain-data-v2'] = stream(2, [GLOBAL, ring(1, 0), ring(2, 1, { tdomid: 6 }), ...base(node('/local/domain/1', 'n1'), node('/x', 'n0,w6')), ...SPECIALS, dom(0, 14), dom(1, 14), dom(6, 14)]);
  c['target-with-own-ring-v2'] = stream(2, [GLOBAL, ring(1, 0), ring(2, 1, { tdomid: 6 }), ring(3, 6), ...base(node('/local/domain/6', 'n6'), node('/z', 'n0,w6')), ...SPECIALS, dom(0, 14), dom(1, 14), dom(6, 14)]);
  c['domain-data-unknown-v2'] = stream(2, [GLOBAL, ring(1, 0), ...base(node('/x', 'n0,r9')), ...SPECIALS, dom(0, 14), dom(9, 14)]);
  return c;
}

// -- what the daemon lists, and what was predicted ------------------------------------------

/** A tree as comparable lines: path, value bytes (hex), permissions; sorted (a multiset). */
function treeOfListing(listing: string[]): string[] {
  return listing
    .filter((l) => l.startsWith('/'))
    .map((l) => {
      // (A node without permissions, which a transaction's deletion leaves in the tree, is listed with none.)
      if (!/\)\s*$/.test(l)) return `${l.replace(/\s+$/, '')} ()`;
      const n = parseListingLine(l);
      return `${n.path} = ${n.value.toString('hex')} (${n.perms.map((p) => `${p.perm}${p.domid}`).join(',')})`;
    })
    .sort();
}

function treeOfStream(s: Stream): string[] {
  return s.records
    .filter((r): r is NodeData => r.type === 'NODE_DATA' && r.connId === 0 && r.path.startsWith('/') && r.path !== '/')
    .map((n) => (n.perms.length ? `${n.path} = ${Buffer.from(n.value).toString('hex')} (${n.perms.map((p) => `${p.perm}${p.domid}`).join(',')})` : `${n.path} = "${Buffer.from(n.value).toString('latin1')}" ()`))
    .sort();
}

interface Case {
  name: string;
  daemon: DaemonVersion;
  file: string;
  predicted: RestoreOutcome;
  /** The stream's own tree, to show each case restores something that can differ. */
  own: string[];
  /** Must restore alive (a stream xsmig wrote for this daemon). */
  written?: boolean;
}

const missing = DAEMON_VERSIONS.map((v) => rigMissing(v)).find((w) => w);
if (missing && process.env.XSMIG_INTEROP === 'require') throw new Error(`interop rig required (XSMIG_INTEROP=require) but not available: ${missing}`);

if (missing) {
  console.warn(`reader-profile interop test skipped: ${missing}`);
  describe('reader profiles held to xenstored 4.17, 4.21 and 4.22', () => {
    it.skip(`skipped: interop rig not available: ${missing}`, () => {});
  });
} else {
  describe('reader profiles held to xenstored 4.17, 4.21 and 4.22', () => {
    let work: string;
    const cases: Case[] = [];
    const results = new Map<string, Restored>();

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'xsmig-profiles-'));
      const add = (name: string, daemon: DaemonVersion, s: Stream, file: string, written = false) =>
        cases.push({ name, daemon, file, predicted: predictRestore(s, TARGET[daemon], { hostIds: HOST_IDS }), own: treeOfStream(s), written });
      for (const [name, s] of Object.entries(handCases())) {
        const file = join(work, `${name}.bin`);
        writeFileSync(file, encodeStream(s));
        // (4.17 refuses every version-2 header: one such case says so, the others would only repeat it.)
        for (const d of DAEMON_VERSIONS) if (d !== '4.17' || s.header.version === 1 || name === 'owner-without-ring-v2') add(name, d, s, file);
      }
      // Generated streams (seeded): versions 1 and 2, the rig's domids, the host's ids or random
      // ones; with sockets, pending data, transactions, SET_TARGET, depth watches as they come.
      for (let i = 0; i < GENERATED; i++) {
        const version = (i % 2) + 1 as 1 | 2;
        const uniqueIds = i % 4 < 2 ? HOST_IDS : 'random';
        const s = fc.sample(streamArbitrary({ version, byteOrder: 'little', domids: { min: 1, max: 63 }, uniqueIds }), { seed: SEED + i, numRuns: 1 })[0]!;
        const name = `generated-${SEED + i}-v${version}${uniqueIds === 'random' ? '-random-ids' : ''}`;
        const file = join(work, `${name}.bin`);
        writeFileSync(file, encodeStream(s));
        for (const d of DAEMON_VERSIONS) if (d !== '4.17' || version === 1) add(name, d, decodeStream(readFileSync(file)), file);
      }
      for (const cap of ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota']) {
        const file = `${CAPTURES}${cap}.bin`;
        const s = decodeStream(readFileSync(file));
        for (const d of DAEMON_VERSIONS) {
          add(cap, d, s, file);
          for (const [tag, extra] of [['convert', []], ['repair', ['--repair', '--assume-depth', 'unlimited']]] as const) {
            const out = join(work, `${cap}-${tag}-${d}.bin`);
            const r = runCli(['convert', file, '--target', TARGET[d], '--force', ...extra, '-o', out]);
            if (r.status !== 0) throw new Error(`convert ${cap} --target ${TARGET[d]} ${extra.join(' ')}: ${r.stdout}${r.stderr}`);
            add(`${cap} (${tag} --target ${TARGET[d]})`, d, decodeStream(readFileSync(out)), out, true);
          }
        }
      }
      // Eight restores at a time (each takes a few seconds, mostly waiting for the live-update client's timeout).
      const queue = [...cases];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const key = `${c.name}@${c.daemon}`;
          results.set(key, await restoreStream(work, c.file, key.replace(/[^A-Za-z0-9.@-]+/g, '_'), { daemon: c.daemon, env: { LU_TIMEOUT: '1' } }));
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }, 280_000);

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('covers every behaviour: some cases die, some lose nodes, some keep all, on each daemon', () => {
      for (const d of DAEMON_VERSIONS) {
        const mine = cases.filter((c) => c.daemon === d && !c.written);
        expect(mine.some((c) => c.predicted.dies)).toBe(true);
        expect(mine.some((c) => !c.predicted.dies && treeOfStream(c.predicted.stream).join('\n') !== c.own.join('\n'))).toBe(true);
        expect(mine.some((c) => !c.predicted.dies && treeOfStream(c.predicted.stream).join('\n') === c.own.join('\n'))).toBe(true);
      }
    });

    it('each daemon dies exactly where check --target names a refusal, else lists exactly the predicted tree', () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const r = results.get(`${c.name}@${c.daemon}`)!;
        const p = c.predicted;
        if (p.dies !== !r.alive) {
          wrong.push(`${c.name} on ${c.daemon}: predicted ${p.dies ? `death (${p.reasons[0]})` : 'alive'}, daemon ${r.alive ? 'alive' : `died (${r.daemonOutput.join(' | ')})`}`);
        } else if (!p.dies) {
          const want = treeOfStream(p.stream);
          // (A daemon's stderr without a final newline can hide the listing's heading: read it from the raw output.)
          const got = treeOfListing(r.listing.length ? r.listing : r.raw.split('== xenstore-ls -fp:')[1]?.split('\n== ')[0]?.split('\n') ?? []);
          if (want.join('\n') !== got.join('\n')) wrong.push(`${c.name} on ${c.daemon}: tree differs\n  predicted: ${want.join('; ')}\n  daemon:    ${got.join('; ')}`);
        }
      }
      expect(wrong, wrong.join('\n')).toEqual([]);
    });

    it('the watch probe: head-v2-depth-a converted for 4.22 (plain watches) fires every watch on its own path, and deeper', async () => {
      const out = join(work, 'depth-a-for-422.bin');
      expect(runCli(['convert', `${CAPTURES}head-v2-depth-a.bin`, '--target', 'xen-4.22', '--force', '-o', out]).status).toBe(0);
      const p = await probeWatches(work, out, join(RIG, 'scenarios', 'post-depth-a.xs'), 'probe-depth-a-422', '4.22');
      expect(p.alive, p.raw).toBe(true);
      // What the unconverted capture gives instead (interop/README.md): "" on ocal/domain, "deep" on m, "ro" on /b/c.
      expect(p.events.map((e) => `${e.token} ${e.path}`)).toEqual([
        'd1 /local/domain/newchild',
        'vmdeep /vm/00000000-0000-0000-0000-000000000001/name',
        'zero /a/b/c',
        'plain /a/b/c',
        'd1 /local/domain/0/ocal/domain/probe1', // (depth 1 asked, widened: the report says so)
        'd1 /local/domain/0/m/probe2',
      ]);
    });

    it('every stream convert --target T --force [--repair] writes is restored by T alive', () => {
      const dead = cases.filter((c) => c.written && !results.get(`${c.name}@${c.daemon}`)!.alive).map((c) => `${c.name}: ${results.get(`${c.name}@${c.daemon}`)!.daemonOutput.join(' | ')}`);
      expect(cases.filter((c) => c.written).length).toBe(24);
      expect(dead).toEqual([]);
    });
  });
}
