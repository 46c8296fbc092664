// HOOK for the checker (issue 4, being written on another branch). The HTML report marks
// `check` findings on their records when the checker is there: `checkStream(stream, {locations})`
// exported by src/check/index.ts, with the contract of src/check/types.ts. Until that module
// lands, loadChecker() finds nothing and the report says that findings are not available.
// Once it has landed, this dynamic import can become a static one.

import type { CheckFn } from '../check/types.js';

/** Where the checker lives, relative to this module (kept in a variable: it may not exist yet). */
const CHECKER_MODULE = '../check/index.js';

export async function loadChecker(): Promise<CheckFn | undefined> {
  try {
    const mod = (await import(/* @vite-ignore */ CHECKER_MODULE)) as { checkStream?: CheckFn };
    return typeof mod.checkStream === 'function' ? mod.checkStream : undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // The checker module itself is missing: it has not landed. Anything else (a module it
    // imports is missing, it throws while loading) is a real fault and is reported.
    const msg = err?.message ?? '';
    const notFound = err?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|Does the file exist/i.test(msg);
    if (notFound && /check[\\/]index(\.[jt]s)?['"]?( |$)/.test(msg.split('\n')[0]!)) return undefined;
    throw e;
  }
}
