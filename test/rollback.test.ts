// xsmig rollback plan / prepare without the real daemons: the plan is convert's plan for the
// target grouped per guest; the launcher is run with stand-in daemons (sh scripts that record
// their argv and the state_dump they are given), through each of its paths.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRollback } from '../src/convert/rollback.js';
import { decodeStream } from '../src/model/decode.js';
import { CAPTURES, CLI, runCli } from './helpers/cli.js';

const DEPTH_A = `${CAPTURES}head-v2-depth-a.bin`;
const QUOTA = `${CAPTURES}head-v2-quota.bin`;
const BASIC_417 = `${CAPTURES}417-basic.bin`;

describe('rollback plan', () => {
  it('groups convert\'s losses for the target per guest and connection, and says prepare needs --force', () => {
    const p = planRollback(decodeStream(readFileSync(DEPTH_A)), 'xen-4.17');
    expect(p.needsForce).toBe(true);
    expect(p.impossible).toBe(false);
    expect(p.groups.map((g) => g.subject)).toEqual(['global', 'domain 0', 'domain 1', 'domain 2', 'socket connection 4']);
    // The three depth watches of connection 4 (their depth dropped by 4.22's writer).
    expect(p.groups.find((g) => g.connId === 4)!.items.map((i) => i.kind)).toEqual(['lossy', 'lossy', 'lossy']);
    // The same count convert reports (its refusal names it).
    const r = runCli(['convert', '--target', 'xen-4.17', '--dry-run', DEPTH_A]);
    expect(r.stderr).toContain(`${p.lossCount} lossy item(s)`);
  });

  it('exits 1 when prepare would need --force, 0 when nothing is lost; --json', () => {
    const lossy = runCli(['rollback', 'plan', '--target', 'xen-4.17', QUOTA]);
    expect(lossy.status).toBe(1);
    expect(lossy.stdout).toContain('domain 5:');
    expect(lossy.stdout).toContain('prepare: needs --force');
    const fwd = runCli(['rollback', 'plan', '--target', 'xen-4.22', BASIC_417, '--json']);
    expect(fwd.status).toBe(0);
    const j = JSON.parse(fwd.stdout);
    expect(j).toMatchObject({ target: 'xen-4.22', needsForce: false, impossible: false, lossCount: 0, groups: [] });
  });
});

describe('rollback prepare: the launcher', () => {
  let dir: string;
  const daemon = (name: string): string => {
    const p = join(dir, name);
    // Records its argv and the state it was given, as a xenstored -U would read it.
    writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "$*" >"${dir}/${name}.argv"\ncp "$XENSTORED_RUNDIR/state_dump" "${dir}/${name}.state"\n`);
    chmodSync(p, 0o755);
    return p;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xsmig-rollback-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const prepare = (name: string, args: string[]): string => {
    const out = join(dir, name);
    const r = runCli(['rollback', 'prepare', ...args, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    return out;
  };
  const run = (launcher: string, state: string | Buffer | undefined, rundir: string) => {
    rmSync(rundir, { recursive: true, force: true });
    mkdirSync(rundir, { recursive: true });
    if (typeof state === 'string') copyFileSync(state, join(rundir, 'state_dump'));
    else if (state) writeFileSync(join(rundir, 'state_dump'), state);
    const r = spawnSync('/bin/sh', ['-c', `exec "${launcher}" -N -U`], { env: { ...process.env, XENSTORED_RUNDIR: rundir }, encoding: 'utf8' });
    const log = existsSync(join(rundir, 'xsmig-rollback.log')) ? readFileSync(join(rundir, 'xsmig-rollback.log'), 'utf8') : '';
    return { status: r.status, stderr: r.stderr, log };
  };

  it('records node and xsmig by absolute path and is executable', () => {
    const d = daemon('d417');
    const f = daemon('d422');
    const l = prepare('lu', ['--target', 'xen-4.17', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    const text = readFileSync(l, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`NODE='${process.execPath}'`);
    expect(text).toContain(`XSMIG='${CLI}'`);
    expect(statSync(l).mode & 0o111).toBe(0o111);
    expect(spawnSync('sh', ['-n', l]).status).toBe(0);
  });

  it('with --force: converts for the target, replaces state_dump, execs the daemon with "$@"', () => {
    const d = daemon('a417');
    const f = daemon('a422');
    const l = prepare('lu-force', ['--target', 'xen-4.17', '--force', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    const rundir = join(dir, 'run-force');
    const r = run(l, DEPTH_A, rundir);
    expect(r.status).toBe(0);
    expect(readFileSync(`${d}.argv`, 'utf8')).toBe('-N -U\n');
    expect(existsSync(`${f}.argv`)).toBe(false);
    const given = decodeStream(readFileSync(`${d}.state`));
    expect(given.header.version).toBe(1);
    expect(given.records.some((x) => x.type === 'WATCH_DATA_EXTENDED')).toBe(false);
    // The state as written is kept beside it.
    expect(Buffer.compare(readFileSync(join(rundir, 'state_dump.xsmig-orig')), readFileSync(DEPTH_A))).toBe(0);
    expect(r.log).toMatch(/converted for xen-4\.17: 13 change\(s\): 7 lossless, 6 lossy; 4 item\(s\) xen-4\.17 loses/);
    expect(r.log).toContain('the depth of 3 depth watch(es) that the writer dropped is gone');
    expect(r.log).toContain(`exec ${d} -N -U`);
    expect(r.stderr).toBe(r.log); // the same lines on stderr
  });

  it('without --force, lossy: execs the fallback on the state repaired for its own writer defects, and says the depth is gone', () => {
    const d = daemon('b417');
    const f = daemon('b422');
    const l = prepare('lu-noforce', ['--target', 'xen-4.17', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    const r = run(l, DEPTH_A, join(dir, 'run-noforce'));
    expect(existsSync(`${d}.argv`)).toBe(false);
    expect(readFileSync(`${f}.argv`, 'utf8')).toBe('-N -U\n');
    const given = decodeStream(readFileSync(`${f}.state`));
    expect(given.header.version).toBe(2);
    // The short-header watches come back as plain watches, every other record as written.
    const orig = decodeStream(readFileSync(DEPTH_A));
    expect(given.records.map((x) => x.type)).toEqual(orig.records.map((x) => (x.type === 'WATCH_DATA_EXTENDED' ? 'WATCH_DATA' : x.type)));
    expect(r.log).toMatch(/refused for xen-4\.17: 10 lossy item\(s\)/);
    expect(r.log).toContain('the depth of 3 depth watch(es) that the writer dropped is gone whatever anyone does');
    expect(r.log).toContain(`exec fallback ${f} -N -U`);
  });

  it('--host-ids: the launcher hands the host\'s ids to the conversion; a guest the host does not know refuses (the fallback runs)', () => {
    const d = daemon('h422');
    const f = daemon('h422fb');
    const same = join(dir, 'ids-same.txt');
    const other = join(dir, 'ids-other.txt');
    writeFileSync(same, '0 0x0102030405060000\n1 0x0102030405060001\n2 0x0102030405060002\n');
    writeFileSync(other, '0 0x0102030405060000\n2 0x0102030405060002\n');
    const basic = `${CAPTURES}head-v2-basic.bin`;
    const ok = prepare('lu-ids-same', ['--target', 'xen-4.22', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22', '--host-ids', same]);
    expect(readFileSync(ok, 'utf8')).toContain(`HOST_IDS='${same}'`);
    expect(run(ok, basic, join(dir, 'run-ids-same')).log).toContain(`exec ${d} -N -U`);
    const no = prepare('lu-ids-other', ['--target', 'xen-4.22', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22', '--host-ids', other]);
    const r = run(no, basic, join(dir, 'run-ids-other'));
    expect(r.log).toMatch(/refused for xen-4\.22: 1 lossy item/);
    expect(r.log).toContain(`exec fallback ${f} -N -U`);
    const bad = join(dir, 'ids-bad.txt');
    writeFileSync(bad, 'x y\n');
    expect(runCli(['rollback', 'prepare', '--target', 'xen-4.22', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22', '--host-ids', bad, '-o', join(dir, 'never')]).status).toBe(64);
  });

  it('a state xsmig cannot read: the fallback gets it as written', () => {
    const d = daemon('c417');
    const f = daemon('c422');
    const l = prepare('lu-bad', ['--target', 'xen-4.17', '--force', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    const junk = Buffer.from('not a xenstore stream at all');
    const r = run(l, junk, join(dir, 'run-bad'));
    expect(existsSync(`${d}.argv`)).toBe(false);
    expect(Buffer.compare(readFileSync(`${f}.state`), junk)).toBe(0);
    expect(r.log).toMatch(/conversion for xen-4\.17 failed \(xsmig exit 2\)/);
    expect(r.log).toMatch(/fallback repair failed \(xsmig exit 2\): the fallback gets the state as written/);
  });

  it('xsmig gone (node or dist moved): the fallback gets the state as written', () => {
    const d = daemon('e417');
    const f = daemon('e422');
    const l = prepare('lu-gone', ['--target', 'xen-4.17', '--force', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    writeFileSync(l, readFileSync(l, 'utf8').replace(/^XSMIG=.*$/m, `XSMIG='${dir}/no-such-main.js'`));
    const r = run(l, DEPTH_A, join(dir, 'run-gone'));
    expect(Buffer.compare(readFileSync(`${f}.state`), readFileSync(DEPTH_A))).toBe(0);
    expect(r.log).toContain('xsmig not runnable');
    expect(r.log).toContain('fallback repair failed (xsmig exit');
  });

  it('the daemon not executable at live-update time: no conversion, the fallback runs', () => {
    const d = daemon('g417');
    const f = daemon('g422');
    const l = prepare('lu-nodaemon', ['--target', 'xen-4.17', '--force', '--daemon', d, '--fallback', f, '--fallback-target', 'xen-4.22']);
    chmodSync(d, 0o644);
    const r = run(l, DEPTH_A, join(dir, 'run-nodaemon'));
    expect(r.log).toContain(`daemon ${d} is not executable`);
    expect(existsSync(`${f}.argv`)).toBe(true);
  });

  it('prepare refuses a daemon that is not executable, and a relative --log', () => {
    expect(runCli(['rollback', 'prepare', '--target', 'xen-4.17', '--daemon', '/nonexistent', '--fallback', '/bin/sh', '--fallback-target', 'xen-4.22', '-o', join(dir, 'x')]).status).toBe(64);
    expect(runCli(['rollback', 'prepare', '--target', 'xen-4.17', '--daemon', '/bin/sh', '--fallback', '/bin/sh', '--fallback-target', 'xen-4.22', '--log', 'rel.log', '-o', join(dir, 'x')]).status).toBe(64);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
