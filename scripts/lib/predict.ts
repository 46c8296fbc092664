// The oracle of scripts/fuzz-daemon.ts: what a daemon should hold after restoring a stream,
// predictRestore of src/check/restore-model.ts (the restore model), or, for trying another
// model, predictRestore of a module given by path (--model).

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { predictRestore, type RestoreOutcome } from '../../src/check/restore-model.js';
import type { TargetName } from '../../src/check/types.js';
import type { Stream } from '../../src/model/types.js';

export type { RestoreOutcome };
export type PredictRestore = (stream: Stream, target: TargetName, opts?: { hostIds?: ReadonlyMap<number, bigint> }) => RestoreOutcome;

/** predictRestore of src/check/restore-model.ts, or of `module` (a path) when given. */
export async function loadPredictRestore(module?: string): Promise<{ predict: PredictRestore }> {
  if (!module) return { predict: predictRestore };
  const m = (await import(pathToFileURL(resolve(module)).href)) as { predictRestore?: PredictRestore };
  if (typeof m.predictRestore !== 'function') throw new Error(`${module} exports no predictRestore`);
  return { predict: m.predictRestore };
}
