// `xsmig check` with plain arguments runs without yargs (main.ts); anything else must still reach
// yargs, so that help, usage errors and yargs' own forms behave as before.

import { describe, expect, it } from 'vitest';
import { plainCheckArgs } from '../src/cli/commands/check.js';
import { plainInfoArgs } from '../src/cli/commands/info.js';
import { CAPTURES, runCli } from './helpers/cli.js';

describe('plain check arguments', () => {
  it('takes FILE or -, --target T / -t T / --target=T, --strict, --json in any order', () => {
    expect(plainCheckArgs(['a.bin'])).toEqual({ file: 'a.bin' });
    expect(plainCheckArgs([])).toEqual({});
    expect(plainCheckArgs(['-'])).toEqual({ file: '-' });
    expect(plainCheckArgs(['--strict', '--json', '-t', 'xen-4.17', 'a.bin'])).toEqual({ file: 'a.bin', strict: true, json: true, target: 'xen-4.17' });
    expect(plainCheckArgs(['a.bin', '--target', 'spec-v2'])).toEqual({ file: 'a.bin', target: 'spec-v2' });
    expect(plainCheckArgs(['--target=xen-4.22', 'a.bin'])).toEqual({ file: 'a.bin', target: 'xen-4.22' });
  });

  it('leaves every other form to yargs', () => {
    for (const args of [
      ['--help'], ['-h'], ['--version'], ['a.bin', 'b.bin'], ['--target', 'xen-4.99', 'a.bin'], ['--target'], ['-t'],
      ['--strict', '--strict', 'a.bin'], ['--no-strict', 'a.bin'], ['--strict=false', 'a.bin'], ['--json', 'true', 'a.bin'], ['--json', 'true'], ['--strict', 'false'],
      ['--target', 'spec-v1', '-t', 'spec-v2', 'a.bin'], ['--', 'a.bin'], ['--unknown', 'a.bin'], ['-x'], [''],
    ]) {
      expect(plainCheckArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });

  it('check --help still prints the command help (through yargs)', () => {
    const r = runCli(['check', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--target');
    expect(r.stdout).toContain('--strict');
  });

  it('a plain check and the same check through yargs say the same', () => {
    const file = `${CAPTURES}head-v2-basic.bin`;
    const plain = runCli(['check', '--target', 'xen-4.17', file]);
    // `--strict=false` is not a plain form: yargs parses it, to the same meaning as no --strict.
    const viaYargs = runCli(['check', '--target', 'xen-4.17', '--strict=false', file]);
    expect(plain.status).toBe(1);
    expect(viaYargs.status).toBe(plain.status);
    expect(viaYargs.stdout).toBe(plain.stdout);
  });
});

describe('plain info arguments', () => {
  it('takes FILE or - and --json, each once; leaves the rest to yargs', () => {
    expect(plainInfoArgs([])).toEqual({});
    expect(plainInfoArgs(['a.bin', '--json'])).toEqual({ file: 'a.bin', json: true });
    expect(plainInfoArgs(['-'])).toEqual({ file: '-' });
    for (const args of [['--help'], ['a.bin', 'b.bin'], ['--json', '--json'], ['--json', 'false'], ['--no-json'], ['-x'], ['']]) {
      expect(plainInfoArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });

  it('a plain info and the same info through yargs say the same; --help still works', () => {
    const file = `${CAPTURES}head-v2-quota.bin`;
    const plain = runCli(['info', file]);
    const viaYargs = runCli(['info', '--json=false', file]);
    expect(plain.status).toBe(0);
    expect(viaYargs.stdout).toBe(plain.stdout);
    expect(runCli(['info', '--json', file]).stdout).toBe(runCli(['info', '--json=true', file]).stdout);
    const help = runCli(['info', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
