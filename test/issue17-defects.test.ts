// The defects of issue 17, each reproduced as the issue gives it.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { EncodeError } from '../src/wire/errors.js';
import { CAPTURES, CLI, ROOT, runCli } from './helpers/cli.js';
import { QUOTA, quotaBytes, tmp, withRecords, jsonOf } from './helpers/issue17.js';


describe('issue 17 defects: the command line', () => {  it('#1: a command with no FILE on a terminal: one line, exit 64 (no stack trace)', () => {
    // (script(1) gives the command a terminal for stdin.)
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} info`, '/dev/null'], { encoding: 'utf8', input: '' });
    if (r.error) return; // (no script(1) here)
    const out = `${r.stdout}`.replace(/\r/g, '');
    expect(out).toContain('xsmig: no input: give a FILE');
    expect(out).not.toMatch(/at .*\.js:\d+|CliError:/);
    expect(r.status).toBe(64);
  });

  it('#2: convert --version is a usage error naming --to-version, and writes nothing', () => {
    const d = tmp();
    const r = runCli(['convert', '--version', '1', QUOTA, '-o', join(d, 'v.bin')]);
    expect(r.status).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--to-version/);
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/); // (the program's own still works)
  });

  it('#3: dump --conn abc and --max-bytes -5 are usage errors', () => {
    for (const args of [['--conn', 'abc'], ['--max-bytes', '-5'], ['--domid', '1.5']]) {
      const r = runCli(['dump', ...args, QUOTA]);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr).toMatch(new RegExp(`${args[0]} takes a whole number`));
    }
  });

  it('#4: convert --assume-depth without --repair fails at once (usage), before reading', () => {
    const r = runCli(['convert', QUOTA, '--assume-depth', '5', '-o', join(tmp(), 'x.bin')]);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/--assume-depth is used only when repairing: add --repair/);
    expect(r.stderr).not.toMatch(/^read/m);
  });

  it('#5: check --json, info --json and dump --json print a JSON error object on an undecodable stream', () => {
    const cut = quotaBytes().subarray(0, 100);
    for (const cmd of ['check', 'info']) {
      const r = runCli([cmd, '--json', '-'], { input: cut });
      expect(r.status).toBe(2);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ ok: false, error: { kind: 'not-decodable', exitCode: 2, offset: 36, recordIndex: 1 } });
      expect(r.stderr).toMatch(/not a decodable stream/);
    }
    const d = runCli(['dump', '--json', '-'], { input: cut });
    const last = JSON.parse(d.stdout.trim().split('\n').pop()!);
    expect(last.error.kind).toBe('not-decodable');
  });

  it('#6: info shows what check finds (a DOMAIN_DATA for a domain nothing else names)', () => {
    const bytes = withRecords((rs) => {
      const at = rs.findIndex((r) => r.type === 'DOMAIN_DATA');
      rs.splice(at, 0, { type: 'DOMAIN_DATA', domainId: 77, features: 0, quotas: [] });
    });
    const r = runCli(['info', '-'], { input: bytes });
    expect(r.stdout).toMatch(/check finds 1 error\(s\)/);
    expect(r.stdout).toMatch(/refs\.domain-not-found/);
    const j = JSON.parse(runCli(['info', '--json', '-'], { input: bytes }).stdout);
    expect(j.check).toMatchObject({ errors: 1, firstErrors: [{ rule: 'refs.domain-not-found' }] });
    expect(runCli(['info', QUOTA]).stdout).toMatch(/check finds no errors/);
  });

  it('#7: convert report does not say "ok" next to input errors', () => {
    const bytes = withRecords((rs) => {
      const at = rs.findIndex((r) => r.type === 'DOMAIN_DATA');
      rs.splice(at, 0, { type: 'DOMAIN_DATA', domainId: 77, features: 0, quotas: [] });
    });
    const r = runCli(['convert', '-', '--dry-run'], { input: bytes });
    expect(r.stderr).toMatch(/^check +found +input: 1 error\(s\)/m);
    expect(r.stderr).not.toMatch(/^check +ok +input: 1/m);
  });

  it('#7: diff of a ring against a socket connection: conn-spec as one entry, spec names', () => {
    const d = tmp();
    const b = withRecords((rs) => {
      const c = rs.find((r) => r.type === 'CONNECTION_DATA' && r.connId === 2) as Extract<XsRecord, { type: 'CONNECTION_DATA' }>;
      c.connType = 1;
      c.connSpec = { socketFd: 7 };
    });
    writeFileSync(join(d, 'b.bin'), b);
    const r = runCli(['diff', QUOTA, join(d, 'b.bin')]);
    expect(r.stdout).toMatch(/conn 2: conn-spec domid 1, tdomid 32756, evtchn 101 -> socket-fd 7/);
    expect(r.stdout).not.toMatch(/conn-spec\.(socketFd|domid)/);
  });

  it('#7: an unknown command lists the commands; gen writes to a piped stdout', () => {
    const r = runCli(['tre', QUOTA]);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/unknown command "tre": the commands are info, dump, tree/);
    const g = runCli(['gen', '--seed', '1']);
    expect(g.status).toBe(0);
    expect(g.stdoutBytes.subarray(0, 8).toString('latin1')).toBe('xenstore');
  });

  it('#9: SIGTERM during convert -o FILE leaves no temporary file; -o - no temporary directory', async () => {
    const d = tmp();
    const big = join(d, 'big.bin');
    expect(runCli(['gen', '--size', '40M', '--seed', '1', '-o', big]).status).toBe(0);
    const tdir = join(d, 'tmpdir');
    spawnSync('mkdir', [tdir]);
    for (const out of [join(d, 'out.bin'), '-']) {
      const child = spawn(process.execPath, [CLI, 'convert', big, '--byte-order', 'big', '-o', out], { env: { ...process.env, TMPDIR: tdir }, stdio: ['ignore', 'ignore', 'ignore'] });
      const t0 = Date.now();
      const temps = () => [...readdirSync(d).filter((f) => f.endsWith('.tmp')), ...readdirSync(tdir)];
      while (temps().length === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
      expect(temps().length, out).toBeGreaterThan(0);
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      const t1 = Date.now();
      while (temps().length && Date.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 50));
      expect(temps(), out).toEqual([]);
    }
    expect(existsSync(join(d, 'out.bin'))).toBe(false);
  }, 120_000);

  it('#10: convert -o - | head -c 10 is reported (not "verify ok", exit 0)', () => {
    const d = tmp();
    const big = join(d, 'big.bin');
    expect(runCli(['gen', '--size', '8M', '--seed', '2', '-o', big]).status).toBe(0);
    const bash = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" convert "${big}" --byte-order big -o - | head -c 10 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(bash.stdout).toMatch(/rc=73/);
    expect(bash.stderr).toMatch(/standard output was closed after \d+ of \d+ bytes: the copy there is cut short/);
  }, 60_000);

  it('#11: encode names the JSON path and the value: quota name 5, connId "1", a BOM', () => {
    const d = tmp();
    const j1 = jsonOf();
    ((j1.records as Record<string, unknown>[])[1]!.domQuotas as { name: unknown }[])[0]!.name = 5;
    writeFileSync(join(d, 'e1.json'), JSON.stringify(j1));
    const r1 = runCli(['encode', join(d, 'e1.json'), '-o', join(d, 'e1.bin')]);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/records\[1\]\.domQuotas\[0\]\.name \(GLOBAL_QUOTA_DATA\): expected a string, found the number 5/);
    expect(r1.stderr).not.toMatch(/first argument/);

    const j2 = jsonOf();
    const c = (j2.records as Record<string, unknown>[]).findIndex((r) => r.type === 'CONNECTION_DATA');
    (j2.records as Record<string, unknown>[])[c]!.connId = '1';
    writeFileSync(join(d, 'e2.json'), JSON.stringify(j2));
    const r2 = runCli(['encode', join(d, 'e2.json'), '-o', join(d, 'e2.bin')]);
    expect(r2.stderr).toMatch(new RegExp(`records\\[${c}\\]\\.connId \\(CONNECTION_DATA\\): expected a number, found the string "1"`));

    writeFileSync(join(d, 'e3.json'), `\ufeff${JSON.stringify(jsonOf())}`);
    const r3 = runCli(['encode', join(d, 'e3.json'), '-o', join(d, 'e3.bin')]);
    expect(r3.status).toBe(0);
    expect(readFileSync(join(d, 'e3.bin')).equals(quotaBytes())).toBe(true);
  });

});
