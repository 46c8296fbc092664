// Where the real-xenstored interop rig lives (interop/, installed by scripts/interop-setup.sh)
// and why it cannot run here, if it cannot: shared by the interop tests.

import { spawnSync } from 'node:child_process';
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
