// `check` on a stream with a finding per record (issue 16): findings are printed as found and
// counted per rule, and what is kept is bounded: 2 M TRANSACTION_DATA records once kept every
// finding (940 MB). Built here: 300,000 transactions of a connection that does not exist.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckReader } from '../src/check/check-reader.js';
import type { Finding } from '../src/check/types.js';
import { runCli } from './helpers/cli.js';

const N = 300_000;

/** Header, N TRANSACTION_DATA records (conn-id 7, tx-id i+1), END. */
function transactions(n: number): Buffer {
  const b = Buffer.alloc(16 + n * 16 + 8); // (zeros at the end: the END record)
  b.write('xenstore', 0, 'latin1');
  b.writeUInt32BE(2, 8);
  for (let i = 0, p = 16; i < n; i++, p += 16) {
    b.writeUInt32LE(4, p); // TRANSACTION_DATA
    b.writeUInt32LE(8, p + 4);
    b.writeUInt32LE(7, p + 8);
    b.writeUInt32LE(i + 1, p + 12);
  }
  return b;
}

const bytes = transactions(N);
const dir = mkdtempSync(join(tmpdir(), 'xsmig-check-bounded-'));
const file = join(dir, 'tx.bin');
writeFileSync(file, bytes);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check: findings bounded', () => {
  it('the checker hands every finding to onFinding and keeps only keepFindings of them', () => {
    let seen = 0;
    const reader = new CheckReader({ keepFindings: 50, onFinding: () => seen++ });
    for (let at = 0; at < bytes.length; at += 1 << 16) reader.push(bytes.subarray(at, at + (1 << 16)));
    const { report } = reader.finish();
    expect(seen).toBe(N); // one per transaction
    expect(report.findings).toHaveLength(50);
    expect(report.findings[0]!.rule).toBe('refs.transaction-conn-unknown');
    expect(report.ok).toBe(false);
  });

  it('without keepFindings the checker keeps every finding (the library as before)', () => {
    const reader = new CheckReader();
    reader.push(transactions(1000));
    expect(reader.finish().report.findings).toHaveLength(1000);
  });

  it('--json: a bounded sample plus counts, within a 64 MB heap (every finding kept takes ~130 MB)', () => {
    const r = runCli(['check', '--json', file], { env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { findings: Finding[]; findingsOmitted: number; counts: Record<string, number>; byRule: Record<string, { severity: string; count: number }> };
    expect(j.findings).toHaveLength(1000);
    expect(j.findingsOmitted).toBe(N - 1000);
    expect(j.counts).toEqual({ error: N, warning: 0, info: 0 });
    expect(j.byRule).toEqual({
      'refs.transaction-conn-unknown': { severity: 'error', count: N },
    });
  }, 60_000);

  it('the human form prints every finding, then the count per rule and the summary, within a 64 MB heap', () => {
    const r = runCli(['check', file], { env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(N + 2);
    expect(lines.at(-2)).toBe('findings by rule: refs.transaction-conn-unknown 300000');
    expect(lines.at(-1)).toMatch(/: not sound: 300000 errors, 0 warnings, 0 info in 300001 records/);
  }, 60_000);
});
