// `npm run fuzz:daemon` (scripts/fuzz-daemon.ts): its comparison by meaning on its own
// (scripts/lib/daemon-diff.ts, no rig), and a very short pass against the real daemons of the
// rig (interop/roundtrip.sh) with fixed seeds: Xen 4.22's two known writer defects are found
// (WATCH_DATA_EXTENDED without depth; DOMAIN_DATA for a domain never introduced), the
// shrunk case is written as JSON form and replays; Debian's 4.17 restores version-1 streams
// and writes them back with the same meaning (but for two differences the restore model does
// not predict yet, see there).
// A daemon that is not set up skips its test and says why; XSMIG_INTEROP=require fails.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stream } from '../src/model/types.js';
import { compareMeaning, signatureOf, writerDefects } from '../scripts/lib/daemon-diff.js';
import { ROOT } from './helpers/cli.js';
import { rigMissing } from './helpers/interop-rig.js';

const out = mkdtempSync(join(tmpdir(), 'xsmig-fuzz-daemon-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function fuzz(args: string[]) {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'fuzz-daemon.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const base = (): Stream => ({
  header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
  records: [
    { type: 'GLOBAL_DATA', rwSocketFd: 4, evtchnFd: 7 },
    { type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: 1, connSpec: { domid: 0, tdomid: 0x7ff4, evtchn: 3 }, outRespLen: 0, inData: new Uint8Array(), outData: new Uint8Array(), uniqueId: 0x0102030405060000n },
    { type: 'CONNECTION_DATA', connId: 9, connType: 0, fields: 1, connSpec: { domid: 5, tdomid: 0x7ff4, evtchn: 8 }, outRespLen: 0, inData: new Uint8Array(), outData: new Uint8Array(), uniqueId: 0x0102030405060005n },
    { type: 'WATCH_DATA_EXTENDED', connId: 9, depth: 2, wpath: '/local', token: 't' },
    { type: 'CONNECTION_DATA', connId: 12, connType: 1, fields: 0, connSpec: { socketFd: 30 }, outRespLen: 2, inData: new Uint8Array(), outData: Uint8Array.of(1, 2) },
    { type: 'WATCH_DATA', connId: 12, wpath: '/sock', token: 's' },
    { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: '/', value: new Uint8Array() },
    { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 5 }, { perm: 'r', flags: 0, domid: 0 }], path: '/local', value: Buffer.from('v') },
    { type: 'DOMAIN_DATA', domainId: 5, features: 14, quotas: [{ name: 'nodes', value: 7 }] },
    { type: 'END' },
  ],
});

describe('fuzz:daemon comparison by meaning (no rig)', () => {
  const o = { target: 'xen-4.22' as const, fedVersion: 2 };
  it('a re-dump that differs only in what the rig changes is the same', () => {
    const dump = base();
    dump.records[0] = { type: 'GLOBAL_DATA', rwSocketFd: 5, evtchnFd: 9 };
    const ring = dump.records[2] as Extract<Stream['records'][number], { type: 'CONNECTION_DATA' }>;
    ring.connId = 2; // another conn-id, another port
    (ring.connSpec as { evtchn: number }).evtchn = 105;
    (dump.records[3] as { connId: number }).connId = 2;
    dump.records.splice(4, 2); // the socket connection and its watch are gone
    (dump.records.at(-2) as { quotas: unknown[] }).quotas.push({ name: 'watches', value: 128 }); // a default added
    dump.records.splice(-1, 0, { type: 'DOMAIN_DATA', domainId: 0, features: 14, quotas: [] });
    expect(compareMeaning(base(), dump, o)).toEqual([]);
  });
  it('finds each kind of difference', () => {
    const dump = base();
    (dump.records[7] as { value: Uint8Array }).value = Buffer.from('w');
    (dump.records[3] as { depth: number }).depth = 0xffff;
    (dump.records.at(-2) as { quotas: unknown[] }).quotas = [{ name: 'nodes', value: 1000 }];
    dump.records.splice(2, 2);
    const kinds = compareMeaning(base(), dump, o).map(signatureOf);
    expect(kinds).toEqual(['node-value', 'ring-missing', 'watch-missing', 'domain-quota']);
  });
  it('a DOMAIN_DATA for a domain without a ring connection is a writer defect', () => {
    const dump = base();
    dump.records.splice(-1, 0, { type: 'DOMAIN_DATA', domainId: 33, features: 14, quotas: [] });
    expect(writerDefects(dump, 'xen-4.21').map(signatureOf)).toContain('writer:refs.domain-not-found');
    expect(writerDefects(base(), 'xen-4.21')).toEqual([]);
  });
});

describe('fuzz:daemon against Xen 4.22', () => {
  const why = rigMissing('4.22');
  if (why && process.env.XSMIG_INTEROP === 'require') throw new Error(`interop rig required (XSMIG_INTEROP=require) but not available: ${why}`);
  if (why) {
    it.skip(`skipped: ${why}`, () => {});
    return;
  }
  it('a 3-run pass from seed 1 finds both writer defects, writes the case and replays it', () => {
    const dir = join(out, '4.22');
    const r = fuzz(['--xenstored', '4.22', '--runs', '3', '--seed', '1', '--shrink-seconds', '0', '--out', dir]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^DIFFERENCE writer:defect\.xen-4\.22-short-header(-overrun)?: /m);
    expect(r.stdout).toMatch(/^DIFFERENCE writer:refs\.domain-not-found: /m);
    const file = join(dir, '4.22-writer-refs.domain-not-found.json');
    expect(existsSync(file), readdirSync(dir).join(' ')).toBe(true);
    expect(existsSync(file.replace(/\.json$/, '.ops.xs'))).toBe(true);
    const again = fuzz(['--xenstored', '4.22', '--replay', file]);
    expect(again.status, again.stdout + again.stderr).toBe(1);
    expect(again.stdout).toContain('writer:refs.domain-not-found');
  }, 90_000);
});

describe('fuzz:daemon against Xen 4.21', () => {
  const why = rigMissing('4.21');
  if (why) {
    it.skip(`skipped: ${why}`, () => {});
    return;
  }
  // Nothing of meaning differs from the profile's prediction: only 4.21's own writer defect
  // (a DOMAIN_DATA for a domain it never introduced, which then kills it on its own dump).
  it('a 4-run pass from seed 103: only writer defects, no difference of meaning', () => {
    const r = fuzz(['--xenstored', '4.21', '--runs', '4', '--seed', '103', '--shrink-seconds', '0', '--out', join(out, '4.21')]);
    const sigs = [...r.stdout.matchAll(/^DIFFERENCE (.+?): \d+ of \d+ runs/gm)].map((m) => m[1]!);
    expect(sigs, r.stdout + r.stderr).toContain('writer:refs.domain-not-found');
    expect(sigs.filter((x) => !/^(writer:|writer-refused:|own-dump-died:|own-dump-tree$)/.test(x)), r.stdout).toEqual([]);
  }, 60_000);
});

describe('fuzz:daemon against Debian 4.17', () => {
  const why = rigMissing('4.17');
  if (why) {
    it.skip(`skipped: ${why}`, () => {});
    return;
  }
  // TODO(restore-model): the model does not predict these two yet (reported to the lead):
  it('usage errors exit 64 with one line', () => {
    const r = fuzz(['--xenstored', '4.17', '--runs', '0']);
    expect(r.status).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  // (Clean since the profiles learnt what the fuzzer found: a tdomid is kept only when its
  // domain's ring came earlier, and entries naming a domain without a ring are marked stale.)
  it('version-1 streams come back with the same meaning (4 runs from seed 1)', () => {
    const r = fuzz(['--xenstored', '4.17', '--version', '1', '--runs', '4', '--seed', '1', '--shrink-seconds', '0', '--out', join(out, '4.17')]);
    expect(r.stdout, r.stderr).toMatch(/4 runs in .* 0 with differences, 0 signature/);
    expect(r.status).toBe(0);
  }, 60_000);
});
