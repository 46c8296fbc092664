// Where the real-xenstored interop rig lives (interop/, installed by scripts/interop-setup.sh)
// and why it cannot run here, if it cannot: shared by the interop tests.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const RIG = process.env.XSMIG_INTEROP_DIR ?? join(ROOT, 'interop');
export const XENSTORED = '/usr/lib/xen-4.17/bin/xenstored';
export const SHIM = join(process.env.XSH_BUILD ?? join(process.env.HOME ?? '/root', '.cache', 'xsharness'), 'xsshim.so');

/** Why the rig cannot run on this machine, or undefined when it can. */
export function rigMissing(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync(join(RIG, 'restore.sh'))) return `no rig at ${RIG}`;
  if (!existsSync(XENSTORED)) return `${XENSTORED} not installed (run scripts/interop-setup.sh as root)`;
  for (const tool of ['xenstore-ls', 'python3', 'timeout']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found (run scripts/interop-setup.sh as root)`;
  }
  if (!existsSync(SHIM) && spawnSync('sh', ['-c', 'command -v gcc && test -f /usr/include/xenctrl.h']).status !== 0) {
    return `shim ${SHIM} not built and cannot be (needs gcc and libxen-dev)`;
  }
  return undefined;
}

export interface Restored {
  alive: boolean;
  daemonOutput: string[];
  listing: string[];
  raw: string;
}

/** Runs interop/restore.sh on FILE (concurrently with others: each has its own work dir). */
export function restoreStream(work: string, file: string, name: string, env: Record<string, string> = {}): Promise<Restored> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', [join(RIG, 'restore.sh'), file, name], { env: { ...process.env, XSH_WORK: work, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => {
      const lines = out.split('\n');
      const at = (h: string) => lines.findIndex((l) => l.startsWith(h));
      const aliveLine = lines[at('== restoring daemon alive:')] ?? '';
      const d0 = at('== daemon output:');
      const l0 = at('== xenstore-ls -fp:');
      const daemonOutput = d0 < 0 ? [] : lines.slice(d0 + 1, l0 < 0 ? undefined : l0).filter((l) => l.trim());
      const listing = l0 < 0 ? [] : lines.slice(l0 + 1).filter((l) => l.trim() && !l.startsWith('== '));
      resolve({ alive: aliveLine.endsWith('yes'), daemonOutput, listing, raw: out });
    });
  });
}
