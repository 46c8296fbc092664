// `xsmig convert` with plain arguments runs without yargs (main.ts); anything else still reaches
// yargs. Both paths must say and write the same.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plainConvertArgs } from '../src/cli/commands/convert.js';
import { CAPTURES, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'xsmig-convert-plain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plain convert arguments', () => {
  it('takes FILE or -, -o/--output, --byte-order, --to-version, --target and the flags, once each, in any order', () => {
    expect(plainConvertArgs(['--byte-order', 'big', 'a.bin', '-o', 'b.bin'])).toEqual({ file: 'a.bin', output: 'b.bin', 'byte-order': 'big' });
    expect(plainConvertArgs(['a.bin', '--output=b.bin', '--to-version=1', '--force', '--json'])).toEqual({ file: 'a.bin', output: 'b.bin', 'to-version': 1, force: true, json: true });
    expect(plainConvertArgs(['-', '-o', '-', '--target', 'xen-4.17', '--dry-run'])).toEqual({ file: '-', output: '-', target: 'xen-4.17', 'dry-run': true });
    expect(plainConvertArgs(['a.bin', '--in-place'])).toEqual({ file: 'a.bin', 'in-place': true });
  });

  it('leaves every other form to yargs', () => {
    for (const args of [
      ['--help'], ['-h'], ['a.bin', 'b.bin'], ['--byte-order', 'middle', 'a.bin'], ['--byte-order'], ['-o'], ['-o', '--force'],
      ['--to-version', '3'], ['--target', 'xen-4.99'], ['--force', '--force'], ['--no-force'], ['--force=false'], ['--json', 'true'],
      ['-o', 'x', '-o', 'y'], ['--repair', 'a.bin'], ['--assume-depth', '3'], ['--', 'a.bin'], ['-x'], [''],
    ]) {
      expect(plainConvertArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });

  it('a plain convert and the same convert through yargs report and write the same', () => {
    const file = `${CAPTURES}head-v2-basic.bin`;
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    const plain = runCli(['convert', '--byte-order', 'big', file, '-o', a, '--json']);
    // `--force=false` is not a plain form: yargs parses it, to the same meaning as no --force.
    const viaYargs = runCli(['convert', '--byte-order', 'big', file, '-o', b, '--json', '--force=false']);
    expect(plain.status).toBe(0);
    expect(viaYargs.status).toBe(0);
    const report = (s: string, out: string) => s.replaceAll(out, 'OUT').replace(/\.xsmig-\d+-\w+\.tmp/g, 'TMP');
    expect(report(viaYargs.stdout.replaceAll('b.bin', 'a.bin'), a)).toBe(report(plain.stdout, a));
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(runCli(['convert', '--help']).stdout).toContain('--byte-order');
  });
});

describe('a fault in the input: the same report from the raw path (FILE, or stdin through a temporary file) as from the whole-stream path (stdin in memory)', () => {
  const capture = readFileSync(`${CAPTURES}head-v2-quota.bin`);
  const cases: [string, Buffer][] = [
    ['cut inside a node', capture.subarray(0, 2001)],
    ['cut before END', capture.subarray(0, capture.length - 8)],
    ['a path-len running past len', (() => {
      const b = Buffer.from(capture);
      // The first NODE_DATA: path-len (u16 at body +8) made larger than the record.
      for (let at = 16; at < b.length; ) {
        const type = b.readUInt32LE(at);
        const len = b.readUInt32LE(at + 4);
        if (type === 5) {
          b.writeUInt16LE(0xfff0, at + 8 + 8);
          return b;
        }
        at += 8 + Math.ceil(len / 8) * 8;
      }
      throw new Error('no node');
    })()],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      const file = join(dir, 'bad.bin');
      writeFileSync(file, bytes);
      const out = join(dir, 'never.bin');
      const raw = runCli(['convert', '--byte-order', 'big', file, '-o', out]);
      // (Standard input is streamed through a temporary file too; without a temporary directory
      // it is converted in memory, the path this compares with.)
      const whole = runCli(['convert', '--byte-order', 'big', '-', '-o', out], { input: bytes, env: { TMPDIR: join(dir, 'no-such-dir') } });
      const spooled = runCli(['convert', '--byte-order', 'big', '-', '-o', out], { input: bytes });
      expect(raw.status).toBe(2);
      expect(whole.status).toBe(2);
      const line = (s: string) => s.split('\n').find((l) => l.startsWith('read '))!.replaceAll(file, 'INPUT').replace('<stdin>', 'INPUT');
      expect(line(raw.stderr)).toMatch(/at byte \d+/);
      expect(line(raw.stderr)).toBe(line(whole.stderr));
      expect(spooled.status).toBe(2);
      expect(line(spooled.stderr)).toBe(line(whole.stderr));
      expect(existsSync(out)).toBe(false);
    });
  }
});

