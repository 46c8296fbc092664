// Checker API: checkStream (the CheckFn of types.ts), the record-by-record StreamChecker, the
// rule registry and the reader profiles.

import type { RecordLocation, Stream } from '../model/types.js';
import { StreamChecker } from './checker.js';
import type { CheckFn, CheckOptions, CheckReport, TargetLoss, TargetName } from './types.js';

export { StreamChecker, type CheckerOptions } from './checker.js';
export { CheckReader, type CheckedStream } from './check-reader.js';
export { RULES, RULE_LIST, ruleDef, type RuleDef } from './rules.js';
export { PROFILES, type ReaderProfile, type WatchExtHandling } from './profiles.js';
export * from './types.js';

/** Checks a whole stream: every rule, and with `target` what that reader would lose or refuse. */
export const checkStream: CheckFn = (stream: Stream, opts: CheckOptions = {}): CheckReport => {
  // (Room for as many paths as there are records, made once: growing arrays next to a whole
  // decoded stream would cost full collections of a large heap.)
  const expectedNodes = stream.records.length;
  const checker = new StreamChecker(stream.header, { ...(opts.target ? { target: opts.target } : {}), ...(opts.hostIds ? { hostIds: opts.hostIds } : {}), expectedNodes });
  stream.records.forEach((r, i) => checker.visit(r, opts.locations?.[i]));
  return checker.finish(stream.trailing);
};

/**
 * What `target` would lose or refuse when restoring `stream` (empty: it restores everything),
 * per connection and domain. For convert's verify stage and its loss report.
 */
export function targetLosses(stream: Stream, target: TargetName, locations?: RecordLocation[]): TargetLoss[] {
  return checkStream(stream, locations ? { target, locations } : { target }).losses ?? [];
}

/** Counts of findings by severity. */
export function countBySeverity(report: CheckReport): { error: number; warning: number; info: number } {
  const c = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) c[f.severity]++;
  return c;
}
