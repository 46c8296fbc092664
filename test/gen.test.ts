// `xsmig gen` and the realistic generator behind it. CLI tests spawn the built CLI (npm run
// build first).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { generateRealistic } from '../src/model/realistic.js';
import type { NodeData, Stream } from '../src/model/types.js';
import { firstBrokenRule } from './helpers/stream-rules.js';
import { checkStream } from '../src/check/index.js';

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'dist/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'xsmig-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function xsmig(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { cwd: tmp, encoding: 'buffer' });
}
function gen(name: string, ...args: string[]): Buffer {
  const r = xsmig('gen', ...args, '-o', name);
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(join(tmp, name));
}

function realistic(o: Parameters<typeof generateRealistic>[0]): { bytes: Buffer; chunks: number[]; summary: ReturnType<typeof generateRealistic> } {
  const parts: Uint8Array[] = [];
  const summary = generateRealistic(o, (c) => parts.push(c));
  return { bytes: Buffer.concat(parts), chunks: parts.map((p) => p.length), summary };
}

describe('xsmig gen: random streams', () => {
  it('the same seed gives the same bytes, another seed other bytes', () => {
    const a = gen('a.bin', '--seed', '42');
    const b = gen('b.bin', '--seed', '42');
    const c = gen('c.bin', '--seed', '43');
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(decodeStream(a).records.at(-1)!.type).toBe('END');
  });

  it('--version and --byte-order set the header', () => {
    for (const [v, order] of [['1', 'big'], ['2', 'little'], ['2', 'big']] as const) {
      const s = decodeStream(gen(`h${v}${order}.bin`, '--seed', '7', '--version', v, '--byte-order', order));
      expect(s.header).toEqual({ version: Number(v), byteOrder: order, reservedFlags: 0 });
      if (v === '1') expect(s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED')).toBe(false);
    }
  });

  it('--count with --out-dir writes K reproducible files; the first is the --count 1 stream', () => {
    const r = xsmig('gen', '--seed', '9', '--count', '5', '--out-dir', 'corpus');
    expect(r.status).toBe(0);
    const files = readdirSync(join(tmp, 'corpus')).sort();
    expect(files).toEqual([0, 1, 2, 3, 4].map((i) => `xsmig-gen-9-${i}.bin`));
    const streams = files.map((f) => readFileSync(join(tmp, 'corpus', f)));
    expect(new Set(streams.map((s) => s.toString('hex'))).size).toBe(5);
    for (const s of streams) expect(firstBrokenRule(decodeStream(s), s)).toBeUndefined();
    expect(gen('first.bin', '--seed', '9').equals(streams[0]!)).toBe(true);
  });

  it('--non-canonical streams decode and re-encode byte for byte, and hold oddities', () => {
    let odd = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const bytes = gen(`odd${seed}.bin`, '--seed', String(seed), '--non-canonical', '--version', '2');
      const s = decodeStream(bytes);
      expect(Buffer.from(encodeStream(s)).equals(bytes)).toBe(true);
      if (firstBrokenRule(s, bytes) !== undefined) odd++;
    }
    expect(odd).toBeGreaterThan(0);
  });

  it('answers a usage error with exit 64 and one line', () => {
    // (`gen` alone is no longer one when stdout is not a terminal: it writes there, as encode
    // does; issue 17, item 7.)
    for (const args of [
      ['gen', '--count', '2', '-o', 'x.bin'],
      ['gen', '--nodes', '10', '--size', '1M', '-o', 'x.bin'],
      ['gen', '--size', 'lots', '-o', 'x.bin'],
      ['gen', '--seed', '-1', '-o', 'x.bin'],
      ['gen', '--nodes', '100', '--non-canonical', '-o', 'x.bin'],
    ]) {
      const r = xsmig(...args);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr.toString()).toMatch(/^xsmig: /);
      expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
    }
  });

  it('without --seed it prints the seed it chose, which reproduces the stream', () => {
    const r = xsmig('gen', '-o', 'noseed.bin');
    expect(r.status).toBe(0);
    const m = /^xsmig: gen: seed (\d+)\n$/.exec(r.stderr.toString());
    expect(m).not.toBeNull();
    expect(gen('reseed.bin', '--seed', m![1]!).equals(readFileSync(join(tmp, 'noseed.bin')))).toBe(true);
  });
});

describe('xsmig gen: realistic streams', () => {
  it('--nodes N gives exactly N nodes in the tree, valid, reproducible', () => {
    const a = gen('n1.bin', '--nodes', '3000', '--seed', '3');
    expect(gen('n2.bin', '--nodes', '3000', '--seed', '3').equals(a)).toBe(true);
    const s = decodeStream(a);
    const nodes = s.records.filter((r): r is NodeData => r.type === 'NODE_DATA');
    expect(nodes.filter((n) => n.path.startsWith('/')).length).toBe(3000);
    expect(nodes.filter((n) => n.path.startsWith('@')).map((n) => n.path)).toEqual(['@releaseDomain', '@introduceDomain']);
    expect(firstBrokenRule(s, a)).toBeUndefined();
  });

  it('--size gives a stream within 1% of the size asked for', () => {
    const b = gen('s.bin', '--size', '2M', '--seed', '1');
    expect(Math.abs(b.length - 2 * 1024 * 1024)).toBeLessThan(2 * 1024 * 1024 * 0.01);
    const s = decodeStream(b);
    expect(firstBrokenRule(s, b)).toBeUndefined();
  });

  it('version 1 big-endian: no extended watches, no features, no unique-id', () => {
    const b = gen('v1.bin', '--nodes', '2000', '--version', '1', '--byte-order', 'big', '--seed', '4');
    const s = decodeStream(b);
    expect(s.header).toEqual({ version: 1, byteOrder: 'big', reservedFlags: 0 });
    expect(s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED' || r.type === 'GLOBAL_QUOTA_DATA')).toBe(false);
    expect(s.records.every((r) => r.type !== 'DOMAIN_DATA' || r.features === 0)).toBe(true);
    expect(s.records.every((r) => r.type !== 'CONNECTION_DATA' || r.uniqueId === undefined)).toBe(true);
    expect(firstBrokenRule(s, b)).toBeUndefined();
  });
});

describe('generateRealistic', () => {
  const { bytes, chunks, summary } = realistic({ domains: 300, seed: 11 });
  const s: Stream = decodeStream(bytes);

  it('has the usual layout: a ring connection, /local/domain/N/... and a DOMAIN_DATA per guest', () => {
    const conns = s.records.filter((r) => r.type === 'CONNECTION_DATA');
    expect(conns.filter((c) => c.connType === 0).length).toBe(301); // dom0's and one per guest
    const paths = new Set(s.records.flatMap((r) => (r.type === 'NODE_DATA' ? [r.path] : [])));
    for (const p of ['/local/domain/0/backend/vif/17/0/mac', '/local/domain/17/name', '/local/domain/17/domid', '/local/domain/17/memory/target', '/local/domain/17/device/vif/0/state', '/local/domain/17/store/port']) {
      expect(paths.has(p), p).toBe(true);
    }
    expect(s.records.filter((r) => r.type === 'DOMAIN_DATA').map((r) => (r as { domainId: number }).domainId)).toEqual([...Array(301).keys()]);
    expect(summary).toMatchObject({ domains: 300, bytes: bytes.length, records: s.records.length, connections: 304 });
  });

  it('holds binary values, pending data, quotas and (version 2) extended watches', () => {
    const binary = s.records.filter((r) => r.type === 'NODE_DATA' && r.value.some((b) => b < 0x20 || b > 0x7e));
    expect(binary.length).toBeGreaterThan(10);
    expect(s.records.some((r) => r.type === 'CONNECTION_DATA' && r.outData.length > 0 && r.connType === 0)).toBe(true);
    expect(s.records.some((r) => r.type === 'GLOBAL_QUOTA_DATA' && r.domQuotas.length > 0)).toBe(true);
    expect(s.records.some((r) => r.type === 'DOMAIN_DATA' && r.quotas.length > 0)).toBe(true);
    expect(s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED')).toBe(true);
  });

  it('obeys the ordering rules, passes the checker and re-encodes byte for byte', () => {
    expect(firstBrokenRule(s, bytes)).toBeUndefined();
    expect(checkStream(s).findings.filter((f) => f.severity !== 'info').map((f) => f.message)).toEqual([]);
    expect(Buffer.from(encodeStream(s)).equals(bytes)).toBe(true);
  });

  it('is written in blocks as it goes, not as one buffer at the end', () => {
    const big = realistic({ targetBytes: 4 << 20, seed: 2 });
    expect(big.chunks.length).toBeGreaterThan(4);
    expect(Math.max(...big.chunks)).toBeLessThanOrEqual(1 << 20);
    expect(big.bytes.length).toBe(big.summary.bytes);
  });

  it('depends only on its options', () => {
    expect(realistic({ domains: 300, seed: 11 }).bytes.equals(bytes)).toBe(true);
    expect(realistic({ domains: 300, seed: 12 }).bytes.equals(bytes)).toBe(false);
  });
});

describe('package subpath xsmig/arbitraries', () => {
  it('imports from the built package and generates a decodable stream', () => {
    const code = `
      import { streamBytesArbitrary, fc } from 'xsmig/arbitraries';
      import { decodeStream } from '${join(root, 'dist/model/decode.js')}';
      const [b] = fc.sample(streamBytesArbitrary({ version: 2, byteOrder: 'big' }), { seed: 1, numRuns: 1 });
      process.stdout.write(decodeStream(b).header.byteOrder);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('big');
  });
});
