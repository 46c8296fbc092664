// CommittedPaths (the checker's memory of committed node paths) against the plain definition it
// replaces: a Set of path strings, parentOf() by the last '/', the rules of checkNode.

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCEPTED, MAX, clean } from './helpers/paths.js';
import { CommittedPaths, PATH_DUPLICATE, PATH_NEW, PATH_PARENT_MISSING } from '../src/check/path-set.js';


/** The definition: what checkNode did with a Set of strings. */
class Reference {
  readonly set = new Set<string>();
  commit(path: string): number {
    let r = PATH_NEW;
    if (this.set.has(path)) r = PATH_DUPLICATE;
    else if (path !== '/') {
      const i = path.lastIndexOf('/');
      const parent = i <= 0 ? '/' : path.slice(0, i);
      if (parent !== '/' && !this.set.has(parent)) r = PATH_PARENT_MISSING;
    }
    this.set.add(path);
    return r;
  }
}

/**
 * Runs both over `paths`, committed in order as the checker does: probe, then commit with
 * whether the path is clean. Every other path is committed without a probe.
 */
function compare(paths: string[]): void {
  const ref = new Reference();
  const got = new CommittedPaths(ACCEPTED, MAX);
  paths.forEach((p, i) => {
    let r: number;
    if (i % 2 === 0) {
      const probed = got.probe(p);
      if (probed) expect(clean(p), `probe(${JSON.stringify(p)}) says clean`).toBe(true);
      r = got.commit(p, probed || clean(p));
    } else {
      r = got.commit(p, clean(p));
    }
    expect(r, `path #${i} ${JSON.stringify(p)} after ${JSON.stringify(paths.slice(0, i))}`).toBe(ref.commit(p));
  });
  expect(got.size).toBe(ref.set.size);
}

// Paths from a small alphabet so that shared prefixes, siblings, revisits and duplicates are common.
const component = fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'x1', '0', '00', 'a b', '\u00e9', '\u0100', 'a\0', 'abcdefghijklmnopqrstu');
const path = fc.array(component, { minLength: 1, maxLength: 5 }).map((cs) => `/${cs.join('/')}`);

describe('CommittedPaths', () => {
  it('answers as a Set of path strings would, in a tree-order stream', () => {
    const paths = ['/', '/local', '/local/domain'];
    for (let d = 0; d < 50; d++) {
      paths.push(`/local/domain/${d}`);
      for (const n of ['name', 'device', 'device/vif', 'device/vif/0', 'device/vif/0/state']) paths.push(`/local/domain/${d}/${n}`);
    }
    compare(paths);
  });

  it('finds duplicates and missing parents out of order, with wide directories', () => {
    const paths: string[] = ['/w'];
    for (let i = 0; i < 100; i++) paths.push(`/w/${i}`); // past the list length: a Map
    paths.push('/w/7', '/v/1', '/w/99', '/v', '/v/1', '/w/3/x', '/w/3', '/w/3/x', '/', '/', '/w/');
    for (let i = 0; i < 100; i += 7) paths.push(`/w/${i}`);
    compare(paths);
  });

  it('agrees with the definition on random orders of odd paths', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 80 }), (paths) => {
        compare(paths);
      }),
      { seed: 20261122, numRuns: 500 },
    );
  });
});
