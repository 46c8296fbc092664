// Legal extremes (issue 16): every length within the format's limits, built here, not stored.
// A NODE_DATA with 60,000 permissions and a GLOBAL_QUOTA_DATA with 65,535 quotas once overflowed
// the stack (a spread of the record's spans); a CONNECTION_DATA with 16 MiB of zero out-data
// (a million empty CONTROL messages) once printed every one, whatever --max-bytes said.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { end, globalQuota, header, node, ring, stream, type Perm } from './helpers/assemble.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'xsmig-extremes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const perms: Perm[] = Array.from({ length: 60_000 }, (_, i) => [i % 2 ? 'r' : 'b', 0, i % 1000] as Perm);
const quotas = Array.from({ length: 65_535 }, (_, i) => [`q${i}`, i] as [string, number]);
const cases = [
  { name: 'NODE_DATA with 60,000 permissions', file: () => file('perms.bin', stream(header(), node('/a', { perms }), end())), expect: 'perms[59999]: r999' },
  { name: 'GLOBAL_QUOTA_DATA with 65,535 quotas', file: () => file('quotas.bin', stream(header(), globalQuota(quotas), end())), expect: 'quota q65534: 65534' },
];

describe('legal extremes', () => {
  for (const c of cases) {
    it(`${c.name}: dump, dump --hex and dump --html succeed`, () => {
      const f = c.file();
      const plain = runCli(['dump', '--max-bytes', '16', f]);
      expect(plain.stderr).toBe('');
      expect(plain.status).toBe(0);
      expect(plain.stdout).toContain(c.expect);
      const hex = runCli(['dump', '--hex', '--max-bytes', '16', f]);
      expect(hex.stderr).toBe('');
      expect(hex.status).toBe(0);
      const page = join(dir, 'page.html');
      const html = runCli(['dump', '--html', '--no-check', f, '-o', page]);
      expect(html.stderr).toBe('');
      expect(html.status).toBe(0);
      expect(readFileSync(page, 'utf8')).toContain('</html>');
    }, 60_000);
  }

  it('CONNECTION_DATA with 16 MiB of zero out-data: dump lists what --max-bytes covers, then one line', () => {
    const f = file('out.bin', stream(header(), ring(1, 1, { outData: new Array<number>(16 << 20).fill(0) }), end()));
    expect(statSync(f).size).toBeGreaterThan(16 << 20);
    const r = runCli(['dump', f]);
    expect(r.status).toBe(0);
    // 128 bytes (the default --max-bytes) hold 8 empty messages; the other 1,048,568 are counted.
    expect(r.stdout.match(/CONTROL req-id 0 tx-id 0 len 0/g)).toHaveLength(8);
    expect(r.stdout).toContain('... 1048568 more messages in the last 16777088 bytes (--max-bytes 0 shows all)');
    expect(r.stdout.length).toBeLessThan(4096);
    const small = runCli(['dump', '--max-bytes', '32', f]);
    expect(small.stdout.match(/CONTROL req-id/g)).toHaveLength(2);
  }, 60_000);
});
