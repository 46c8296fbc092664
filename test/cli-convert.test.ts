// xsmig convert and xsmig diff as a user runs them: child processes on the real captures, in a
// scratch directory whose listing shows whether anything (OUT, a temporary file) was left.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { CAPTURES, ROOT, runCli } from './helpers/cli.js';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'xsmig-convert-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const cap = (n: string) => `${CAPTURES}${n}.bin`;

describe('xsmig convert', () => {
  it('refuses a lossy downgrade without --force: exit 1, no OUT, no temporary file', () => {
    const d = scratch();
    const out = join(d, 'rollback.bin');
    const r = runCli(['convert', cap('head-v2-quota'), '--to-version', '1', '-o', out]);
    expect(r.status).toBe(1);
    expect(readdirSync(d)).toEqual([]);
    expect(r.stderr).toMatch(/^plan +REFUSED +\d+ lossy item/m);
    expect(r.stderr).toMatch(/LOSSY +record #\d+ DOMAIN_DATA \(domain 5\): features 0x2 \(error\) -> 0/);
    expect(r.stderr).toContain('--force');
    expect(r.stderr).not.toMatch(/^write/m);
  });

  it('with --force writes a version-1 stream and reports every stage and change', () => {
    const d = scratch();
    const out = join(d, 'rollback.bin');
    const r = runCli(['convert', cap('head-v2-depth-a'), '--target', 'xen-4.17', '--force', '-o', out]);
    expect(r.status).toBe(0);
    expect(readdirSync(d)).toEqual(['rollback.bin']);
    for (const s of ['read', 'plan', 'write', 'verify', 'rename']) expect(r.stderr).toMatch(new RegExp(`^${s} +ok`, 'm'));
    // (The input's errors: the check stage says it found them, not "ok".)
    expect(r.stderr).toMatch(/^check +found +input: [1-9]\d* error/m);
    expect(r.stderr).toMatch(/depth unknown \(its producer did not write it\) -> unlimited/);
    expect(r.stderr).toMatch(/LOSES +record #1 \(GLOBAL_QUOTA_DATA\)/);
    const bytes = readFileSync(out);
    expect(bytes.readUInt32BE(8)).toBe(1); // version 1
    expect(bytes.readUInt32BE(12)).toBe(0); // little-endian
    const s = decodeStream(bytes);
    expect(s.records.filter((x) => x.type === 'WATCH_DATA_EXTENDED')).toEqual([]);
    expect(s.records.filter((x) => x.type === 'WATCH_DATA').map((x) => (x.type === 'WATCH_DATA' ? x.wpath : ''))).toEqual(['/local/domain', '/vm', '/a/b/c', '/a']);
  });

  it('--dry-run prints the plan and writes nothing (exit 0 when allowed, 1 when refused)', () => {
    const d = scratch();
    const ok = runCli(['convert', cap('417-basic'), '--to-version', '2', '--dry-run', '-o', join(d, 'x')]);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toContain('lossless header: version 1 -> 2');
    expect(ok.stderr).toContain('dry run: nothing written');
    const refused = runCli(['convert', cap('head-v2-basic'), '--to-version', '1', '--dry-run']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('would be refused');
    expect(readdirSync(d)).toEqual([]);
  });

  it('OUT equal to the input is refused unless --in-place; --in-place rewrites it', () => {
    const d = scratch();
    const f = join(d, 'state.bin');
    copyFileSync(cap('head-v2-basic'), f);
    const before = readFileSync(f);
    const r = runCli(['convert', f, '--byte-order', 'big', '-o', f]);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('is the input file');
    expect(Buffer.compare(readFileSync(f), before)).toBe(0);
    const ip = runCli(['convert', f, '--byte-order', 'big', '--in-place']);
    expect(ip.status).toBe(0);
    expect(readdirSync(d)).toEqual(['state.bin']);
    expect(readFileSync(f).readUInt32BE(12)).toBe(1); // big-endian flag
    const back = runCli(['convert', f, '--byte-order', 'little', '--in-place']);
    expect(back.status).toBe(0);
    expect(Buffer.compare(readFileSync(f), before)).toBe(0);
  });

  it('--json gives the stages, the plan and the result on stdout', () => {
    const d = scratch();
    const r = runCli(['convert', cap('head-v2-basic'), '--to-version', '1', '--force', '--json', '-o', join(d, 'o.bin')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.result).toBe('written');
    expect(j.stages.map((s: { stage: string }) => s.stage)).toEqual(['read', 'check', 'plan', 'write', 'verify', 'rename']);
    expect(j.plan.changes.filter((c: { kind: string }) => c.kind === 'lossy').map((c: { domid: number }) => c.domid)).toEqual([0, 2, 1]);
    const refused = runCli(['convert', cap('head-v2-basic'), '--to-version', '1', '--json', '-o', join(d, 'r.bin')]);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ result: 'refused', plan: { refused: true, refusal: { reason: 'lossy' } } });
    expect(existsSync(join(d, 'r.bin'))).toBe(false);
  });

  it('a failed verify names its stage and leaves neither OUT nor the temporary file', () => {
    const d = scratch();
    const r = runCli(['convert', cap('head-v2-basic'), '--byte-order', 'big', '-o', join(d, 'o.bin')], { env: { XSMIG_TEST_FAIL_VERIFY: '1' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^write +ok/m);
    expect(r.stderr).toMatch(/^xsmig: convert failed at stage verify: injected failure.*nothing was written$/m);
    expect(readdirSync(d)).toEqual([]);
  });

  it('an undecodable input fails at stage read (exit 2); an output directory that does not exist at stage write (exit 73)', () => {
    const d = scratch();
    const junk = join(d, 'junk');
    writeFileSync(junk, 'not a stream at all');
    const r = runCli(['convert', junk, '-o', join(d, 'o.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/convert failed at stage read: .*junk: not a decodable stream: at byte 0/);
    const w = runCli(['convert', cap('417-basic'), '-o', join(d, 'no', 'such', 'dir', 'o.bin')]);
    expect(w.status).toBe(73);
    expect(w.stderr).toMatch(/convert failed at stage write: cannot create/);
    expect(readdirSync(d)).toEqual(['junk']);
  });

  it('--repair on a 4.22 short-header stream needs --assume-depth; with it the depth is an assumption in the report', () => {
    const d = scratch();
    const out = join(d, 'fixed.bin');
    const r = runCli(['convert', cap('head-v2-depth-a'), '--repair', '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/defective writer.*--assume-depth N\|unlimited/);
    expect(existsSync(out)).toBe(false);
    const ok = runCli(['convert', cap('head-v2-depth-a'), '--repair', '--assume-depth', 'unlimited', '-o', out]);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/\[assumption: depth unlimited \(0xFFFF\) assumed/);
    // An assumed unlimited depth is written as a plain WATCH_DATA, which says the same and
    // every reader (4.22 included) reads correctly (issue 14, item 1).
    const s = decodeStream(readFileSync(out));
    expect(s.records.filter((x) => x.type === 'WATCH_DATA_EXTENDED')).toEqual([]);
    expect(s.records.filter((x) => x.type === 'WATCH_DATA' && x.connId === 4).map((x) => (x.type === 'WATCH_DATA' ? x.token : ''))).toEqual(['d1', 'vmdeep', 'zero', 'plain']);
    // A finite assumed depth keeps the documented layout (no target given).
    const three = join(d, 'three.bin');
    expect(runCli(['convert', cap('head-v2-depth-a'), '--repair', '--assume-depth', '3', '-o', three]).status).toBe(0);
    expect(decodeStream(readFileSync(three)).records.filter((x) => x.type === 'WATCH_DATA_EXTENDED').map((x) => (x.type === 'WATCH_DATA_EXTENDED' ? [x.depth, x.producerDefect] : []))).toEqual([
      [3, undefined], [3, undefined], [3, undefined],
    ]);
    expect(runCli(['convert', cap('head-v2-depth-a'), '--repair', '--assume-depth', 'deep', '-o', out]).status).toBe(64);
  });

  it('an error of the input that the conversion keeps refuses it without --force; one it removes does not', () => {
    const d = scratch();
    const s = decodeStream(readFileSync(cap('417-basic')));
    // A watch for a connection that does not exist (refs.watch-conn-unknown): no conversion fixes it.
    s.records.splice(s.records.length - 1, 0, { type: 'WATCH_DATA', connId: 99, wpath: '/x', token: 't' });
    writeFileSync(join(d, 'bad.bin'), encodeStream(s));
    const r = runCli(['convert', join(d, 'bad.bin'), '--byte-order', 'big', '-o', join(d, 'o.bin')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error +refs\.watch-conn-unknown/);
    expect(r.stderr).toMatch(/error\(s\) of the input remain in the output \(refs\.watch-conn-unknown\)/);
    expect(existsSync(join(d, 'o.bin'))).toBe(false);
    expect(runCli(['convert', join(d, 'bad.bin'), '--byte-order', 'big', '--force', '-o', join(d, 'o.bin')]).status).toBe(0);
    // What Xen 4.22 writes with `-v 1` while a depth watch exists: WATCH_DATA_EXTENDED in a
    // version-1 stream (an error: 4.17-4.20 skip it). Converting to version 1 turns it into
    // WATCH_DATA; with an unlimited depth nothing is lost.
    const v1 = decodeStream(readFileSync(cap('417-basic')));
    const i = v1.records.findIndex((x) => x.type === 'WATCH_DATA' && x.wpath === '/vm');
    const w = v1.records[i]!;
    if (w.type !== 'WATCH_DATA') throw new Error('fixture');
    v1.records[i] = { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: 0xffff, wpath: w.wpath, token: w.token };
    writeFileSync(join(d, 'v1ext.bin'), encodeStream(v1));
    const fixed = runCli(['convert', join(d, 'v1ext.bin'), '-o', join(d, 'fixed.bin')]);
    expect(fixed.stderr).toMatch(/error +defect\.xen-4\.22-v1-extended-watch/);
    expect(fixed.status).toBe(0);
    expect(Buffer.compare(readFileSync(join(d, 'fixed.bin')), readFileSync(cap('417-basic')))).toBe(0);
  });

  it('-o - and stdin: streamed through temporary directories; the same bytes and report as in memory (no temporary directory), nothing left', () => {
    const tmp = scratch();
    const env = { TMPDIR: tmp };
    for (const args of [['--byte-order', 'big'], ['--to-version', '1', '--force'], ['--target', 'xen-4.17'], ['--byte-order', 'big', '--json']]) {
      const file = runCli(['convert', cap('head-v2-quota'), '-o', '-', ...args], { env });
      const stdin = runCli(['convert', '-', '-o', '-', ...args], { env: { TMPDIR: join(tmp, 'no-such-dir') }, input: readFileSync(cap('head-v2-quota')) });
      const spooled = runCli(['convert', '-', '-o', '-', ...args], { env, input: readFileSync(cap('head-v2-quota')) });
      expect(spooled.stdoutBytes.equals(file.stdoutBytes), args.join(' ')).toBe(true);
      expect(spooled.status).toBe(file.status);
      expect(file.status, args.join(' ')).toBe(stdin.status);
      expect(file.stdoutBytes.equals(stdin.stdoutBytes), args.join(' ')).toBe(true);
      // (The read line names the input; the write line, where the stream was written.)
      const lines = (s: string) => s.split('\n').filter((l) => !/^(read|write) /.test(l) && !l.includes('xsmig convert:'));
      if (!args.includes('--json')) expect(lines(file.stderr)).toEqual(lines(stdin.stderr));
      else expect(JSON.parse(file.stderr).result).toBe(JSON.parse(stdin.stderr).result);
      if (file.status === 0 && !args.includes('--json')) expect(file.stderr).toMatch(/^write +ok +.*xsmig-convert-\w+\/\.out\.bin\.xsmig-\d+-\w+\.tmp \(\d+ bytes\)$/m);
      expect(readdirSync(tmp), args.join(' ')).toEqual([]);
    }
    // A reader that stops early (EPIPE) leaves nothing either.
    for (const from of [`"${cap('head-v2-quota')}"`, `- < "${cap('head-v2-quota')}"`]) {
      const r = spawnSync('sh', ['-c', `node "${ROOT}dist/cli/main.js" convert ${from} -o - --byte-order big | head -c 10 >/dev/null`], { env: { ...process.env, TMPDIR: tmp } });
      expect(r.status).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
    }
  });

  it('a pipe given as FILE (a named pipe) is read once, through a temporary file: the same output as from the file', () => {
    const d = scratch();
    const tmp = scratch();
    const fifo = join(d, 'in.fifo');
    const out = join(d, 'out.bin');
    const ref = join(d, 'ref.bin');
    expect(runCli(['convert', cap('head-v2-quota'), '-o', ref, '--byte-order', 'big']).status).toBe(0);
    const r = spawnSync('sh', ['-c', `mkfifo "${fifo}" && (cat "${cap('head-v2-quota')}" > "${fifo}" &) && node "${ROOT}dist/cli/main.js" convert "${fifo}" -o "${out}" --byte-order big`], { env: { ...process.env, TMPDIR: tmp }, timeout: 30_000 });
    // (Read twice, a pipe would block the second reading: the timeout makes that a failure.)
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('--repair streams (the known domains found in a pass of their own): the same output and report as in memory', () => {
    const d = scratch();
    // A stream whose repair drops two domains and the bytes after END.
    const dropper = join(d, 'dropper.bin');
    const quota = decodeStream(readFileSync(cap('head-v2-quota')));
    const end = quota.records.pop()!;
    quota.records.push({ type: 'DOMAIN_DATA', domainId: 77, features: 0, quotas: [] }, { type: 'DOMAIN_DATA', domainId: 78, features: 2, quotas: [] }, end);
    writeFileSync(dropper, encodeStream({ ...quota, trailing: Uint8Array.from([9, 9]) }));
    for (const [file, args] of [
      [cap('head-v2-depth-a'), ['--repair', '--assume-depth', 'unlimited']],
      [cap('head-v2-depth-a'), ['--repair', '--assume-depth', '2', '--byte-order', 'big']],
      [cap('head-v2-depth-a'), ['--repair']],
      [dropper, ['--repair', '--force']],
      [dropper, ['--repair']],
      [dropper, ['--repair', '--force', '--to-version', '1']],
    ] as const) {
      const a = join(d, 'streamed.bin');
      const b = join(d, 'in-memory.bin');
      const streamed = runCli(['convert', file, '-o', a, ...args]);
      const inMemory = runCli(['convert', '-', '-o', b, ...args], { input: readFileSync(file), env: { TMPDIR: join(d, 'no-such-dir') } });
      const what = `${file} ${args.join(' ')}`;
      expect(streamed.status, what).toBe(inMemory.status);
      const lines = (t: string) => t.split('\n').filter((l) => !/^(read|write|rename) |^refused:|xsmig convert:/.test(l));
      expect(lines(streamed.stderr), what).toEqual(lines(inMemory.stderr));
      if (streamed.status === 0) expect(readFileSync(a).equals(readFileSync(b)), what).toBe(true);
      rmSync(a, { force: true });
      rmSync(b, { force: true });
    }
  });

  it('--host-ids: a ring whose unique-id is not the host\'s is a loss of the target, refused without --force (issue 14, item 2)', () => {
    const d = scratch();
    const out = join(d, 'o.bin');
    const same = join(d, 'same.txt');
    const other = join(d, 'other.txt');
    writeFileSync(same, '0 0x0102030405060000\n1 0x0102030405060001\n2 0x0102030405060002\n');
    writeFileSync(other, '0 0x0102030405060000\n1 0x1234\n2 0x0102030405060002\n');
    expect(runCli(['convert', cap('head-v2-basic'), '--target', 'xen-4.22', '--host-ids', same, '-o', out]).status).toBe(0);
    const r = runCli(['convert', cap('head-v2-basic'), '--target', 'xen-4.22', '--host-ids', other, '-o', join(d, 'x.bin')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/LOSES +record #3 \(CONNECTION_DATA\): domain 1: is released when the restore ends \(its unique-id 0x0102030405060001 is not the host's/);
    expect(existsSync(join(d, 'x.bin'))).toBe(false);
  });

  it('usage: -o is required, --assume-depth needs --repair', () => {
    expect(runCli(['convert', cap('417-basic')]).status).toBe(64);
    const r = runCli(['convert', cap('417-basic'), '--assume-depth', '3', '-o', join(scratch(), 'o')]);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('add --repair');
  });
});

describe('xsmig diff', () => {
  it('exit 0 for equal streams, 1 for different ones, 2 for an undecodable one', () => {
    const same = runCli(['diff', cap('head-v2-basic'), cap('head-v2-basic')]);
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/^equal$/m);
    const differ = runCli(['diff', cap('417-basic'), cap('head-v2-basic')]);
    expect(differ.status).toBe(1);
    expect(differ.stdout).toContain('header: version 1 -> 2');
    expect(differ.stdout).toContain('conn 1: unique-id none -> 0x102030405060000');
    expect(differ.stdout).toContain('domain 1: only in B');
    const d = scratch();
    writeFileSync(join(d, 'junk'), 'xenstorX');
    const bad = runCli(['diff', cap('417-basic'), join(d, 'junk')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/junk: not a decodable stream/);
  });

  it('shows exactly what a conversion reported, and reads one side from stdin', () => {
    const d = scratch();
    const out = join(d, 'o.bin');
    const conv = runCli(['convert', cap('head-v2-basic'), '--to-version', '1', '--force', '--json', '-o', out]);
    const changes = JSON.parse(conv.stdout).plan.changes as { message: string; section: string }[];
    const r = runCli(['diff', '--json', '-', out], { input: readFileSync(cap('head-v2-basic')) });
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.equal).toBe(false);
    const key = (e: { section: string; key: string; field: string }) => `${e.section}|${e.key}|${e.field}`;
    expect([...j.semantic, ...j.bytes].map(key).sort()).toEqual(changes.map((c) => key(c as never)).sort());
  });

  it('lists representation-only differences apart; --semantic ignores them for the exit code', () => {
    const d = scratch();
    const bytes = Buffer.from(readFileSync(cap('417-basic')));
    // Bytes after END: readers stop at END, so only the representation differs.
    const withTail = Buffer.concat([bytes, Buffer.from('junk')]);
    writeFileSync(join(d, 'tail.bin'), withTail);
    const r = runCli(['diff', cap('417-basic'), join(d, 'tail.bin')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/1 difference\(s\) in representation only/);
    expect(r.stdout).toContain('after END: trailing none -> 6a756e6b');
    const s = runCli(['diff', '--semantic', cap('417-basic'), join(d, 'tail.bin')]);
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('equal in meaning');
  });
});
