// The inspector commands run as a user runs them: child processes on the real captures, files
// and stdin. Expected listings come from the capturing daemon's own `xenstore-ls -fp` (in each
// capture's .txt); expected offsets from the format facts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { generateRealistic } from '../src/model/realistic.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream } from '../src/model/types.js';
import { recordToJson } from '../src/model/json.js';
import { listingLinesBeforeDump } from './helpers/capture-txt.js';
import { CAPTURES, runCli } from './helpers/cli.js';

const NAMES = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];
const bin = (n: string) => `${CAPTURES}${n}.bin`;

function daemonListing(name: string): string[] {
  return listingLinesBeforeDump(readFileSync(`${CAPTURES}${name}.txt`, 'utf8'));
}

describe('xsmig tree', () => {
  for (const name of NAMES) {
    it(`tree -p of ${name} equals the daemon's xenstore-ls -fp, byte for byte`, () => {
      const want = daemonListing(name);
      expect(want.length).toBeGreaterThan(20);
      const r = runCli(['tree', '-p', bin(name)]);
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean)).toEqual(want);
    });
  }

  it('tree without -p prints path = "value" only', () => {
    const r = runCli(['tree', bin('417-basic')]);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('/binary = "\\000\\001\\002\\xff\\000\\xfe\\000\\000"');
    expect(lines).toContain('/utf8 = "gr\\xc3\\xbc\\xc3\\x9fe \\xe2\\x9c\\x93"');
    expect(lines.some((l) => l.includes('(n0'))).toBe(false);
  });

  it('--all adds / and the special nodes', () => {
    const plain = runCli(['tree', bin('head-v2-basic')]).stdout.split('\n');
    const all = runCli(['tree', '--all', '-p', bin('head-v2-basic')]).stdout.split('\n');
    expect(plain.some((l) => l.startsWith('@'))).toBe(false);
    expect(all).toContain('/ = ""   (n0)');
    expect(all).toContain('@releaseDomain = ""   (n0,r1)');
    expect(all).toContain('@introduceDomain = ""   (n0)');
  });

  it('reads stdin when given - and when piped without a file', () => {
    const bytes = readFileSync(bin('417-basic'));
    const fromFile = runCli(['tree', '-p', bin('417-basic')]).stdout;
    expect(runCli(['tree', '-p', '-'], { input: bytes }).stdout).toBe(fromFile);
    expect(runCli(['tree', '-p'], { input: bytes }).stdout).toBe(fromFile);
  });
});

describe('xsmig dump', () => {
  it('shows every record with format names and meanings', () => {
    const r = runCli(['dump', bin('head-v2-quota')]);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^xenstore migration stream, version 2, little-endian records, flags 0x0/);
    expect(out).toContain('#0 @16 (0x10) GLOBAL_DATA len 8');
    expect(out).toContain('conn-spec.tdomid: 32756  (DOMID_INVALID: no target)');
    expect(out).toContain('conn-spec.tdomid: 1  (acts for domain 1)'); // SET_TARGET 3 -> 1
    expect(out).toContain('features: 0xe  (error, watch-depth, domid-any)');
    expect(out).toContain('features: 0x2  (error)');
    expect(out).toContain('quota soft-memory: 1500000  (per-domain default)');
    // the half-sent WRITE of the held connection: header (type 11, req 5, len 25) + 12 bytes
    expect(out).toContain('WRITE req-id 5 tx-id 0 len 25, 12 of 25 payload bytes received: "/partial/nod"');
    // the live-update client's queued OK reply
    expect(out).toContain('CONTROL req-id 2 tx-id 0 len 3: "OK\\000"');
    expect(out).toContain('perms[0]: n1  (owner; others: none)');
    expect(out).toContain('perms[1]: r99  (read; stale, ignored)');
    expect(out).toMatch(/\n61 records\n$/);
  });

  it('names the Xen 4.22 short-header defect', () => {
    const out = runCli(['dump', '--type', 'WATCH_DATA_EXTENDED', bin('head-v2-depth-a')]).stdout;
    expect(out.match(/producer defect: Xen 4.22 short header/g)?.length).toBe(3);
    expect(out).toContain('wpath: "/local/domain"');
    expect(out).toContain('47 records, 3 shown');
  });

  it('--hex: every hex line shows the file bytes at its absolute offset, tagged with its field', () => {
    const file = readFileSync(bin('head-v2-depth-a'));
    const out = runCli(['dump', '--hex', '--max-bytes', '0', bin('head-v2-depth-a')]).stdout;
    const hexLines = out.split('\n').filter((l) => /^ {4}[0-9a-f]{8}: /.test(l));
    expect(hexLines.length).toBeGreaterThan(200);
    let covered = 16;
    for (const l of hexLines) {
      const m = /^ {4}([0-9a-f]{8}): ((?:[0-9a-f]{2} )*[0-9a-f]{2})/.exec(l)!;
      const off = parseInt(m[1]!, 16);
      const bytes = Buffer.from(m[2]!.replace(/ /g, ''), 'hex');
      expect(bytes.equals(file.subarray(off, off + bytes.length)), `bytes at ${off}`).toBe(true);
      expect(off).toBe(covered); // contiguous: every byte after the header shown once
      covered = off + bytes.length;
    }
    expect(covered).toBe(file.length);
    // Field offsets from the format facts: the short-header watch at 352 has wpath at +16.
    expect(hexLines.find((l) => l.startsWith('    00000160:'))).toMatch(/ type$/);
    expect(hexLines.find((l) => l.startsWith('    00000168:'))).toMatch(/ conn-id$/);
    expect(hexLines.find((l) => l.startsWith('    0000016c:'))).toMatch(/ wpath-len$/);
    expect(hexLines.find((l) => l.startsWith('    00000170:'))).toMatch(/ wpath$/);
  });

  it('--hex on a NODE_DATA: perms and path at their layout offsets', () => {
    // head-v2-basic record at 1000 is /local/domain/1 (n1,r0): body +16 perms, +24 path
    const out = runCli(['dump', '--hex', '--path', '/local/domain/1', bin('head-v2-basic')]).stdout;
    const line = (off: number) => out.split('\n').find((l) => l.startsWith(`    ${off.toString(16).padStart(8, '0')}:`));
    expect(line(1000 + 8 + 16)).toMatch(/^ {4}00000400: 6e +n +perms\[0\]\.perm$/);
    expect(line(1000 + 8 + 18)).toMatch(/01 00 .*perms\[0\]\.domid$/);
    expect(line(1000 + 8 + 20)).toMatch(/72 .*perms\[1\]\.perm$/);
    expect(line(1000 + 8 + 24)).toMatch(/2f 6c 6f 63 61 6c .*path$/);
  });

  it('--json: NDJSON whose records equal the codec model', () => {
    const file = readFileSync(bin('head-v2-quota'));
    const { stream, locations } = decodeStreamDetailed(file);
    const lines = runCli(['dump', '--json', bin('head-v2-quota')]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ schema: 'xsmig-dump/1', header: { version: 2, byteOrder: 'little', reservedFlags: 0 } });
    expect(lines.length).toBe(1 + stream.records.length);
    stream.records.forEach((r, i) => {
      // (Pending data's wire messages come beside the JSON form: test/pending-messages.test.ts.)
      const { inDataMessages: _in, outDataMessages: _out, ...form } = lines[i + 1];
      expect(form).toEqual({ index: i, offset: locations[i]!.offset, len: locations[i]!.len, ...recordToJson(r) });
    });
  });

  it('filters by type, path glob, connection and domain', () => {
    const types = (args: string[]) =>
      runCli(['dump', '--json', ...args, bin('head-v2-quota')]).stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l));
    expect(types(['--type', 'node']).every((r) => r.type === 'NODE_DATA')).toBe(true);
    expect(types(['--type', 'node']).length).toBe(38);
    expect(types(['--path', '/local/domain/*/name']).map((r) => r.path)).toEqual([
      '/local/domain/0/name', '/local/domain/1/name', '/local/domain/2/name', '/local/domain/3/name', '/local/domain/5/name', '/local/domain/6/name',
    ]);
    expect(types(['--path', '/a/**']).map((r) => r.path)).toEqual(['/a/b', '/a/b/c', '/a/b/c/d', '/a/b/c/d/e', '/a/b/sibling']);
    expect(types(['--conn', '7']).map((r) => r.type)).toEqual(['CONNECTION_DATA', 'WATCH_DATA', 'WATCH_DATA', 'WATCH_DATA', 'WATCH_DATA']);
    const dom5 = types(['--domid', '5']);
    expect(dom5.map((r) => r.type).sort()).toEqual(['CONNECTION_DATA', 'DOMAIN_DATA', 'NODE_DATA']);
    const bad = runCli(['dump', '--type', 'bogus', bin('head-v2-quota')]);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/unknown record type "bogus"/);
  });

  it('a stream cut part-way: records before the fault, then one error line, exit 2', () => {
    const file = readFileSync(bin('head-v2-basic'));
    const cut = file.subarray(0, 1010); // inside the NODE_DATA at 1000
    const r = runCli(['dump', '-'], { input: cut });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('#20 @944 (0x3b0) NODE_DATA');
    expect(r.stdout).not.toContain('#21 @1000');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/at byte 1004 \(0x3ec\), record #21 \(NODE_DATA\), field len/);
  });
});

describe('xsmig info', () => {
  it('summarises connections, domains, quotas and nodes', () => {
    const r = runCli(['info', bin('head-v2-quota')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('61 records: GLOBAL_DATA 1, GLOBAL_QUOTA_DATA 1, CONNECTION_DATA 9, WATCH_DATA 5, NODE_DATA 38, DOMAIN_DATA 6, END 1');
    expect(r.stdout).toMatch(/\n {2}4 +ring +3 +1 +evtchn 103 /);
    expect(r.stdout).toContain('nodes 500 (default 2000)');
    expect(r.stdout).toContain('largest value: /long (3072 bytes)');
  });

  it('--json carries the same facts', () => {
    const s = JSON.parse(runCli(['info', '--json', bin('head-v2-quota')]).stdout);
    expect(s.records).toBe(61);
    expect(s.bytes).toBe(6832);
    expect(s.connections).toHaveLength(9);
    expect(s.connections.find((c: { connId: number }) => c.connId === 8)).toMatchObject({ type: 'socket', inData: 28, watches: 1 });
    expect(s.domains.find((d: { domid: number }) => d.domid === 5)).toMatchObject({ features: 2, featureNames: ['error'] });
    expect(s.globalQuotas.perDomainDefaults.find((q: { name: string }) => q.name === 'nodes').value).toBe(2000);
    expect(s.nodes).toMatchObject({ committed: 36, special: ['@releaseDomain', '@introduceDomain'] });
  });

  it('shows the first 20 rows of each table and says how many more; --all and --json give every one', () => {
    const parts: Uint8Array[] = [];
    generateRealistic({ domains: 40, seed: 5 }, (c) => parts.push(c));
    const stream = Buffer.concat(parts);
    const whole = decodeStreamDetailed(stream).stream.records;
    const conns = whole.filter((r) => r.type === 'CONNECTION_DATA').length;
    const doms = whole.filter((r) => r.type === 'DOMAIN_DATA').length;
    expect(conns).toBeGreaterThan(40);
    const rowsOf = (out: string, title: string) => {
      const lines = out.split('\n');
      const at = lines.findIndex((l) => l.startsWith(title));
      const end = lines.indexOf('', at);
      return lines.slice(at + 2, end); // after the title and the column heads
    };
    const short = runCli(['info', '-'], { input: stream });
    expect(short.status).toBe(0);
    expect(short.stdout).toContain(`Connections (${conns})`);
    const shortRows = rowsOf(short.stdout, 'Connections (');
    expect(shortRows).toHaveLength(21);
    expect(shortRows[20]).toBe(`  ... ${conns - 20} more connections (--all lists every one)`);
    expect(rowsOf(short.stdout, 'Domains (').at(-1)).toBe(`  ... ${doms - 20} more domains (--all lists every one)`);
    const all = runCli(['info', '--all', '-'], { input: stream });
    expect(rowsOf(all.stdout, 'Connections (')).toHaveLength(conns);
    expect(rowsOf(all.stdout, 'Domains (')).toHaveLength(doms);
    expect(all.stdout).not.toContain('more connections');
    // The first 20 rows are the same connections either way (column widths may differ).
    const firstCells = (rows: string[]) => rows.slice(0, 20).map((l) => l.trim().split(/ +/).slice(0, 3).join(' '));
    expect(firstCells(shortRows)).toEqual(firstCells(rowsOf(all.stdout, 'Connections (')));
    expect(JSON.parse(runCli(['info', '--json', '-'], { input: stream }).stdout).connections).toHaveLength(conns);
  });

  it('lists the first 20 anomalies and counts the rest; --all lists them all', () => {
    // 30 nodes whose one padding byte is not zero: body 16 + 4 + 3 bytes, padded to 24.
    const records = Array.from({ length: 30 }, (_, i) => ({
      type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: `/${String.fromCharCode(97 + (i % 26))}`, value: new Uint8Array(0), padding: Uint8Array.of(7),
    }));
    const stream = encodeStream({ header: { version: 1, byteOrder: 'little', reservedFlags: 0 }, records: [...records, { type: 'END' }] } as unknown as Stream);
    const short = runCli(['info', '-'], { input: stream }).stdout;
    expect(short).toContain('Anomalies (30)');
    expect(short.split('\n').filter((l) => l.includes('padding bytes are not all zero'))).toHaveLength(20);
    expect(short).toContain('  ... 10 more anomalies (--all lists every one)');
    const all = runCli(['info', '--all', '-'], { input: stream }).stdout;
    expect(all.split('\n').filter((l) => l.includes('padding bytes are not all zero'))).toHaveLength(30);
    expect(JSON.parse(runCli(['info', '--json', '-'], { input: stream }).stdout).anomalies).toHaveLength(30);
  });

  it('reports the anomalies the decoder kept', () => {
    const s = JSON.parse(runCli(['info', '--json', bin('head-v2-depth-a')]).stdout);
    expect(s.anomalies.map((a: { kind: string }) => a.kind)).toEqual(['producer-defect', 'producer-defect', 'producer-defect']);
  });
});

describe('exit codes, errors and colour', () => {
  it('66 when the input cannot be opened, 64 on a usage error, 2 on garbage', () => {
    const missing = runCli(['info', '/nonexistent/state_dump']);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toBe('xsmig: cannot open /nonexistent/state_dump: no such file\n');
    expect(runCli(['info', '--bogus', bin('417-basic')]).status).toBe(64);
    expect(runCli(['frobnicate']).status).toBe(64);
    const garbage = runCli(['info', '-'], { input: 'this is not a stream at all' });
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toMatch(/^xsmig: <stdin>: not a decodable stream: at byte 0 \(0x0\), header, field ident/);
    expect(garbage.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('colour only when forced, never with NO_COLOR or into a pipe', () => {
    expect(runCli(['dump', bin('417-basic')]).stdout).not.toContain('\x1b[');
    expect(runCli(['dump', bin('417-basic')], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[');
    expect(runCli(['dump', bin('417-basic')], { env: { NO_COLOR: '1' } }).stdout).not.toContain('\x1b[');
    expect(runCli(['info', bin('417-basic')], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[1m');
  });

  it('--help shows an example for each command', () => {
    for (const cmd of ['dump', 'info', 'tree', 'decode', 'encode']) {
      const r = runCli([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Examples:/);
    }
  });
});

describe('dump of pending data', () => {
  it('out-data: the first out-resp-len bytes are the rest of a partly sent response, then whole messages', async () => {
    const { encodeStream } = await import('../src/model/encode.js');
    // A queued watch event (type 15, req-id 0, tx-id 0, len 6: "/a\0t1\0") after the 4 unsent
    // bytes "ue\0\0" of an earlier reply.
    const event = Buffer.concat([Buffer.from([15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0]), Buffer.from('/a\0t1\0', 'latin1')]);
    const outData = Buffer.concat([Buffer.from('ue\0\0', 'latin1'), event]);
    const bytes = encodeStream({
      header: { version: 1, byteOrder: 'little', reservedFlags: 0 },
      records: [
        { type: 'CONNECTION_DATA', connId: 3, connType: 1, fields: 0, connSpec: { socketFd: 5 }, outRespLen: 4, inData: new Uint8Array(), outData },
        { type: 'END' },
      ],
    });
    const r = runCli(['dump', '-'], { input: Buffer.from(bytes) });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('out-resp-len: 4  (the first 4 bytes of out-data: rest of a partly sent response)');
    expect(r.stdout).toContain('rest of a partly sent response, 4 bytes: hex 75650000');
    expect(r.stdout).toContain('WATCH_EVENT req-id 0 tx-id 0 len 6: "/a\\000t1\\000"');
  });
});

describe('dump of odd records', () => {
  it('an unknown record type: body shown once; --hex never prints a raw DEL byte', async () => {
    const { encodeStream } = await import('../src/model/encode.js');
    const bytes = encodeStream({
      header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
      records: [{ type: 'UNKNOWN', typeCode: 42, body: Buffer.from([0x7f, 0x41, 0x42, 0x43, 0, 0, 0, 0]) }, { type: 'END' }],
    });
    const r = runCli(['dump', '--hex', '-'], { input: Buffer.from(bytes) });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('#0 @16 (0x10) type 0x2a len 8');
    expect(r.stdout.match(/^ {2}body: /gm)).toHaveLength(1);
    expect(r.stdout).not.toContain('\x7f');
    expect(r.stdout).toMatch(/00000018: 7f 41 42 43 00 00 00 00 +\.ABC\.\.\.\. +body/);
  });
});
