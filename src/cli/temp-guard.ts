// Temporary files and directories that outlive a killed xsmig: a conversion runs synchronously,
// so a SIGTERM or SIGINT handler of ours would run only after it (Node handles signals on the
// event loop). Instead, a small watcher process holds the read end of a pipe from us: when we
// end, however we end (signal, SIGKILL included, or normally), its standard input closes and it
// removes what is still there. A temporary file renamed into place is no longer there, and the
// normal paths remove their temporary directories themselves; so the watcher acts only after an
// early death. It is in a process group of its own (a Ctrl-C at the terminal does not reach it).

import { spawn } from 'node:child_process';

// A POSIX shell, not a second node: it starts in a millisecond instead of some 40 ms of CPU
// taken from the conversion (and its verify thread) on a small machine. `cat` returns when our
// end of the pipe closes; the signals a terminal sends the group are ignored.
const WATCHER = 'trap "" INT TERM HUP; cat >/dev/null 2>&1; rm -rf -- "$@"';

/** Removes `path` (file or directory) if this process ends while it still exists. */
export function removeIfKilled(path: string): void {
  if (process.env.XSMIG_NO_TEMP_GUARD) return;
  try {
    const child = spawn('/bin/sh', ['-c', WATCHER, 'xsmig-temp-guard', path], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    // (no watcher: the temporary is still removed on every path but a kill)
  }
}
