// Navigation (issue 17): dump --record / --at / --context, tree PATH and tree --json.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { listingLinesBeforeDump } from './helpers/capture-txt.js';
import { CAPTURES, runCli } from './helpers/cli.js';

const bin = (n: string) => `${CAPTURES}${n}.bin`;
const QUOTA = bin('head-v2-quota');
const headers = (out: string) => out.split('\n').filter((l) => /^#\d+ @/.test(l));

describe('dump --record, --at, --context', () => {
  const { locations } = decodeStreamDetailed(readFileSync(QUOTA));

  it('--record N and N-M show those records, by the indexes dump shows', () => {
    expect(headers(runCli(['dump', '--record', '5', QUOTA]).stdout)).toEqual(['#5 @320 (0x140) CONNECTION_DATA len 32']);
    const r = runCli(['dump', '--record', '5-7', QUOTA]);
    expect(headers(r.stdout).map((l) => l.split(' ')[0])).toEqual(['#5', '#6', '#7']);
    expect(r.stdout).toMatch(/61 records, 3 shown/);
    const j = runCli(['dump', '--json', '--record', '2-3', QUOTA]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(j.slice(1).map((o) => o.index)).toEqual([2, 3]);
  });

  it('--at OFFSET (decimal or 0x) shows the record holding that byte, as xxd -s would find it', () => {
    // The first and the last byte of records spread over the stream (each a CLI run: a sample,
    // not all 61), one spelled in decimal, the other in hex.
    for (const loc of [0, 1, 2, 5, 10, 20, 40, locations.length - 1].map((i) => locations[i]!)) {
      const first = loc.offset;
      const last = loc.offset + loc.wireLen - 1;
      for (const spelled of [String(first), `0x${last.toString(16)}`]) {
        expect(headers(runCli(['dump', '--at', spelled, QUOTA]).stdout).map((l) => l.split(' ')[0]), spelled).toEqual([`#${loc.index}`]);
      }
    }
  });

  it('--context K adds K records each side; --at in the header shows the first records', () => {
    expect(headers(runCli(['dump', '--at', '352', '--context', '2', QUOTA]).stdout).map((l) => l.split(' ')[0])).toEqual(['#3', '#4', '#5', '#6', '#7']);
    expect(headers(runCli(['dump', '--record', '0', '--context', '1', QUOTA]).stdout).map((l) => l.split(' ')[0])).toEqual(['#0', '#1']);
    expect(headers(runCli(['dump', '--at', '3', '--context', '1', QUOTA]).stdout).map((l) => l.split(' ')[0])).toEqual(['#0']);
  });

  it('usage errors: a bad range or offset, an offset past the end, --context alone', () => {
    for (const args of [['--record', '7-5'], ['--record', 'x'], ['--at', 'zz'], ['--at', '99999'], ['--context', '2'], ['--record', '1', '--at', '9']]) {
      const r = runCli(['dump', ...args, QUOTA]);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
    expect(runCli(['dump', '--at', '99999', QUOTA]).stderr).toMatch(/past the end of the input \(6832 bytes\)/);
  });
});

describe('tree PATH and tree --json', () => {
  for (const name of ['417-basic', 'head-v2-quota']) {
    it(`tree -p ${name} PATH = the daemon's xenstore-ls -fp listing of the nodes under PATH (PATH itself not listed)`, () => {
      const all = listingLinesBeforeDump(readFileSync(`${CAPTURES}${name}.txt`, 'utf8'));
      for (const root of ['/local/domain/1', '/local', '/local/domain/1/device']) {
        const want = all.filter((l) => l.startsWith(`${root}/`));
        const r = runCli(['tree', '-p', bin(name), root]);
        expect(r.status).toBe(0);
        expect(r.stdout.split('\n').filter(Boolean), root).toEqual(want);
        expect(runCli(['tree', '-p', bin(name), `${root}/`]).stdout).toBe(r.stdout);
      }
      expect(runCli(['tree', '-p', bin(name), '/']).stdout).toBe(runCli(['tree', '-p', bin(name)]).stdout);
    });
  }

  it('a PATH with no node: exit 1 and one line; a relative PATH: usage', () => {
    const r = runCli(['tree', QUOTA, '/no/such']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no node \/no\/such in the saved tree/);
    expect(runCli(['tree', QUOTA, 'local']).status).toBe(64);
  });

  it('--json: every listed node with its value (text or hex) and permissions', () => {
    const j = JSON.parse(runCli(['tree', '--json', QUOTA, '/local/domain/1']).stdout);
    expect(j.version).toBe(1);
    expect(j.root).toBe('/local/domain/1');
    const listed = runCli(['tree', QUOTA, '/local/domain/1']).stdout.split('\n').filter(Boolean).map((l) => l.split(' = ')[0]);
    expect(j.nodes.map((n: { path: string }) => n.path)).toEqual(listed);
    expect(j.nodes[0]).toEqual({ path: '/local/domain/1/name', value: 'guest1', perms: [{ perm: 'b', domid: 1, flags: 0 }, { perm: 'w', domid: 2, flags: 0 }] });
    const whole = JSON.parse(runCli(['tree', '--json', bin('417-basic')]).stdout);
    expect(whole.nodes.find((n: { path: string }) => n.path === '/binary').valueHex).toBe('000102ff00fe0000');
  });
});
