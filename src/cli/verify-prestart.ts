// A large conversion verifies with a second thread (convert/verify-thread.ts) whose start-up
// takes about 40 ms of CPU. main.ts starts it here, before loading the convert command, when
// an argument names a file large enough: it boots on the other core while the command loads,
// and the command adopts it (takeVerifyThread). A guess that was wrong costs only the boot:
// a thread never begun stops at exit.

import { statSync } from 'node:fs';
import { VerifyThread } from '../convert/verify-thread.js';

let started: VerifyThread | undefined;

/**
 * Inputs of at least this many bytes are verified with the second thread: below it, starting
 * the thread costs more than it saves. XSMIG_VERIFY_THREAD_MIN sets it (the tests set 0, to
 * run the threaded verify on small streams).
 */
export function verifyThreadMin(): number {
  const v = process.env['XSMIG_VERIFY_THREAD_MIN'];
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : 16 << 20;
}

/** Starts the thread when one of `args` (convert's, not yet parsed) names a file of verifyThreadMin() bytes or more. */
export function prestart(args: readonly string[]): void {
  const min = verifyThreadMin();
  for (const a of args) {
    if (a.startsWith('-')) continue;
    try {
      const s = statSync(a);
      if (s.isFile() && s.size >= min) {
        started = VerifyThread.spawn();
        return;
      }
    } catch {
      // (not a file: an option's value, or an input the command will report)
    }
  }
}

/** The thread prestart started, once (then undefined). */
export function takeVerifyThread(): VerifyThread | undefined {
  const t = started;
  started = undefined;
  return t;
}
