// main.ts names the commands before it loads yargs (to refuse an unknown one in one line):
// every registered command must get past that list.

import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands/index.js';
import { runCli } from './helpers/cli.js';

describe('every registered command is known to main.ts', () => {
  for (const c of commands) {
    const name = String(c.command).split(' ')[0]!;
    it(`${name} --help`, () => {
      const r = runCli([name, '--help']);
      expect(r.stderr).not.toContain('unknown command');
      expect(r.status, r.stderr).toBe(0);
    });
  }
});
