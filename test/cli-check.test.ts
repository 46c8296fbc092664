// `xsmig check` as a user runs it: child processes on the real captures and on hand-assembled
// files; exit codes 0/1/2/64, --json, --strict, --target, stdin, colour.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { CAPTURES, runCli } from './helpers/cli.js';
import { ascii, domain, end, header, node, ring, socket, stream, watch } from './helpers/assemble.js';

const bin = (n: string) => `${CAPTURES}${n}.bin`;
const dir = mkdtempSync(join(tmpdir(), 'xsmig-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

// A watch for a connection that does not exist (error), and nothing else wrong.
const withError = () => file('error.bin', stream(header(2), watch(9, '/vm', 't'), node('/'), end()));
// Non-zero padding only (warning).
const withWarning = () => file('warning.bin', stream(header(1), node('/', { tail: [0xaa, 0] }), end()));

describe('xsmig check', () => {
  it('a clean capture: exit 0, a summary line, nothing on stderr', () => {
    const r = runCli(['check', bin('417-basic')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${bin('417-basic')}: sound: 0 errors, 0 warnings, 0 info in 45 records (version 1, little-endian)\n`);
  });

  it('an error: exit 1, one line per finding with severity, rule id and place', () => {
    const r = runCli(['check', withError()]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'error   refs.watch-conn-unknown  at byte 16 (0x10), record #0 (WATCH_DATA): watch "/vm" token "t" belongs to conn-id 9, which no earlier CONNECTION_DATA declares',
    );
    expect(lines[1]).toMatch(/: not sound: 1 error, 0 warnings, 0 info in 3 records \(version 2, little-endian\)$/);
  });

  it('warnings pass, unless --strict', () => {
    expect(runCli(['check', withWarning()]).status).toBe(0);
    const r = runCli(['check', '--strict', withWarning()]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('warning framing.padding-not-zero');
  });

  it('head-v2-depth-a: the producer defect as three errors, exit 1: the depth is gone for good (issue 14, item 6)', () => {
    const r = runCli(['check', bin('head-v2-depth-a')]);
    expect(r.status).toBe(1);
    expect(r.stdout.match(/^error   defect\.xen-4\.22-short-header /gm)).toHaveLength(3);
    expect(r.stdout).toContain('head-v2-depth-a.bin: not sound: 3 errors');
  });

  it('not a stream: exit 2 and one line naming the offset', () => {
    const r = runCli(['check', file('junk.bin', Uint8Array.from(ascii('not a xenstore stream at all')))]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a decodable stream: at byte 0 \(0x0\), header, field ident: expected ident "xenstore"/);
  });

  it('a truncated stream (no END): exit 2', () => {
    const r = runCli(['check', file('trunc.bin', stream(header(2), node('/')))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no END record');
  });

  it('--json: one object with findings, counts and ok', () => {
    const r = runCli(['check', '--json', withError()]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.counts).toEqual({ error: 1, warning: 0, info: 0 });
    expect(j.findings).toEqual([
      expect.objectContaining({ rule: 'refs.watch-conn-unknown', severity: 'error', recordIndex: 0, offset: 16, recordType: 'WATCH_DATA', connId: 9 }),
    ]);
    expect([j.target, j.ready, j.losses]).toEqual([null, null, null]);
    const clean = JSON.parse(runCli(['check', '--json', bin('head-v2-quota')]).stdout);
    expect(clean).toMatchObject({ ok: true, findings: [], version: 2, records: 61 });
  });

  it('--target ready: exit 0 and says so, with the host\'s unique-ids given', () => {
    const ids = file('ids.txt', Buffer.from(Array.from({ length: 8 }, (_, d) => `${d} 0x010203040506000${d}`).join('\n')));
    const r = runCli(['check', '--target', 'xen-4.22', '--host-ids', ids, bin('head-v2-basic')]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('target xen-4.22: ready: xenstored 4.22 (versions 1 and 2, watch depth, little-endian host) restores everything in this stream');
  });

  it('--target without the host\'s ids: ready if the host agrees, each ring connection named (issue 14, item 2)', () => {
    const r = runCli(['check', '--target', 'xen-4.22', bin('head-v2-basic')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("target xen-4.22: ready if the host agrees: xenstored 4.22 (versions 1 and 2, watch depth, little-endian host) restores everything in this stream, but 3 items depend on the host's unique-ids");
    expect(r.stdout).toMatch(/^ {2}host {3}at byte 240 \(0xf0\), record #3 \(CONNECTION_DATA\): domain 1: would be released when the restore ends \(unless the host's unique-id of domain 1 is 0x0102030405060001/m);
  });

  it('--target with a host whose id differs: the domain is released, its nodes named (issue 14, item 2)', () => {
    const ids = file('ids-other.txt', Buffer.from('0 0x0102030405060000\n1 0x1234\n2 0x0102030405060002\n'));
    const r = runCli(['check', '--target', 'xen-4.22', '--host-ids', ids, bin('head-v2-basic')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}lose {3}at byte 240 \(0xf0\), record #3 \(CONNECTION_DATA\): domain 1: is released when the restore ends \(its unique-id 0x0102030405060001 is not the host's \(0x0000000000001234\)\): its ring connection is closed; its DOMAIN_DATA \(record #47: features, quotas\) goes with it; the 2 nodes it owns are deleted/m);
    const bad = file('ids-bad.txt', Buffer.from('one 2\n'));
    const u = runCli(['check', '--target', 'xen-4.22', '--host-ids', bad, bin('head-v2-basic')]);
    expect(u.status).toBe(64);
    expect(u.stderr).toContain('line 1: expected "DOMID UNIQUE-ID"');
  });

  it('--target that refuses: exit 1, the refusal listed', () => {
    const r = runCli(['check', '--target', 'xen-4.17', bin('head-v2-basic')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('target xen-4.17: not ready: xenstored 4.17 to 4.20 (version 1 only, little-endian host) would refuse 1 item:');
    expect(r.stdout).toContain('  refuse at byte 8 (0x8), header: version 2: xen-4.17 reads version 1 only');
  });

  it('--target losses are listed per domain and connection', () => {
    // Domain 2's DOMAIN_DATA comes first in the stream but is listed after the stream-wide item.
    const f = file(
      'v1quota.bin',
      stream(header(1), ring(1, 2), ring(2, 1), socket(3, 8), ring(4, 0), node('/'), domain(2, 0, [['nodes', 9]]), domain(1, 0, [['nodes', 7]]), end()),
    );
    const r = runCli(['check', '--target', 'xen-4.17', f]);
    expect(r.status).toBe(1);
    const lossLines = r.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(lossLines).toEqual([
      expect.stringMatching(/^ {2}lose {3}at byte \d+ \(0x[0-9a-f]+\), record #6 \(DOMAIN_DATA\): domain 1: DOMAIN_DATA is skipped/),
      expect.stringMatching(/record #5 \(DOMAIN_DATA\): domain 2: DOMAIN_DATA is skipped/),
    ]);
  });

  it('--target with --json: losses with kind, subject and ids', () => {
    const r = runCli(['check', '--json', '--target', 'xen-4.21', bin('head-v2-depth-a')]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.target).toBe('xen-4.21');
    expect(j.ready).toBe(false);
    expect(j.losses.filter((l: { recordType?: string }) => l.recordType === 'WATCH_DATA_EXTENDED')).toHaveLength(3);
    expect(j.losses.find((l: { recordType?: string }) => l.recordType === 'WATCH_DATA_EXTENDED')).toMatchObject({ target: 'xen-4.21', kind: 'lose', subject: 'connection 4', connId: 4, recordIndex: 6, offset: 352 });
  });

  it('reads standard input with -', () => {
    const r = runCli(['check', '-'], { input: Buffer.from(stream(header(2), node('/'), end())) });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('<stdin>: sound');
  });

  it('an unknown --target is a usage error (64)', () => {
    const r = runCli(['check', '--target', 'xen-4.99', bin('417-basic')]);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('xen-4.99');
  });

  it('a missing file: exit 66', () => {
    expect(runCli(['check', join(dir, 'nope.bin')]).status).toBe(66);
  });

  it('colour only when asked: FORCE_COLOR adds escapes, NO_COLOR and pipes do not', () => {
    expect(runCli(['check', withError()]).stdout).not.toContain('\x1b[');
    expect(runCli(['check', withError()], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[31m');
    expect(runCli(['check', withError()], { env: { NO_COLOR: '1' } }).stdout).not.toContain('\x1b[');
  });
});
