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


describe('issue 17 defects: the package', () => {
  it('#14: the package: LICENSE, maps that resolve, no prepare script, README outputs ignored', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
    expect(readFileSync(`${ROOT}LICENSE`, 'utf8')).toMatch(/MIT License[\s\S]*xsmig authors/);
    expect(pkg.license).toBe('MIT');
    expect(pkg.files).toContain('LICENSE');
    expect(pkg.scripts.prepare).toBeUndefined();
    // Every shipped map points at a shipped source.
    if (pkg.files.includes('src')) {
      const map = JSON.parse(readFileSync(`${ROOT}dist/cli/main.js.map`, 'utf8'));
      for (const s of map.sources) expect(existsSync(join(ROOT, 'dist/cli', s))).toBe(true);
    } else expect(pkg.files).toContain('!dist/**/*.map');
    const ignored = spawnSync('git', ['check-ignore', 'copy.bin', 'rollback.bin', 'report.html'], { cwd: ROOT, encoding: 'utf8' });
    expect(ignored.stdout.trim().split('\n')).toEqual(['copy.bin', 'rollback.bin', 'report.html']);
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    expect(readme).toMatch(/suite takes about 3-4 minutes with the real-daemon rig[\s\S]{0,80}about\s+70 s without/);
    expect(readFileSync(`${ROOT}test/kaitai.test.ts`, 'utf8')).not.toMatch(/ctx\.skip\(\)/);
  });

});
