// decode and encode in bounded memory (issue 16): a generated stream several times larger than
// a 64 MB V8 heap goes decode -> encode through the CLI, byte for byte (the whole-model decode
// needed 20 times the stream).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, runCli } from './helpers/cli.js';

describe('decode and encode of a 40 MB stream with a 64 MB heap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsmig-stream-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const small = { NODE_OPTIONS: '--max-old-space-size=64' };
  it('decode -o, then encode -o (the document and dump --json NDJSON): the same bytes', () => {
    const bin = join(dir, 's.bin');
    expect(runCli(['gen', '--seed', '40', '--size', '40M', '-o', bin]).status).toBe(0);
    expect(statSync(bin).size).toBeGreaterThan(40e6);
    const json = join(dir, 's.json');
    const d = runCli(['decode', bin, '-o', json], { env: small });
    expect(d.status, d.stderr).toBe(0);
    expect(statSync(json).size).toBeGreaterThan(90e6);
    const back = join(dir, 'back.bin');
    const e = runCli(['encode', json, '-o', back], { env: small });
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(back).equals(readFileSync(bin))).toBe(true);
    // dump --json | encode: the NDJSON, streamed too.
    const back2 = join(dir, 'back2.bin');
    const p = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" dump --json "${bin}" | "${process.execPath}" "${CLI}" encode - -o "${back2}"`], { env: { ...process.env, ...small } });
    expect(p.status, p.stderr.toString()).toBe(0);
    expect(readFileSync(back2).equals(readFileSync(bin))).toBe(true);
  }, 120_000);
});
