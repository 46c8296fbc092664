// CommittedPaths.commitClean (the checker's fast path: a path as bytes, committed only when it is
// clean, new and has its parent) against the plain definition: a Set of path strings, parentOf()
// by the last '/', and the definition of a clean path. Whatever commitClean declines, the checker
// commits by string (commit()), as here.

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCEPTED, MAX, clean } from './helpers/paths.js';
import { CommittedPaths, PATH_DUPLICATE, PATH_NEW, PATH_NOT_CLEAN, PATH_PARENT_MISSING } from '../src/check/path-set.js';


class Reference {
  readonly set = new Set<string>();
  status(path: string): number {
    if (this.set.has(path)) return PATH_DUPLICATE;
    if (path !== '/') {
      const i = path.lastIndexOf('/');
      const parent = i <= 0 ? '/' : path.slice(0, i);
      if (parent !== '/' && !this.set.has(parent)) return PATH_PARENT_MISSING;
    }
    return PATH_NEW;
  }
}

/** `path` as bytes at a random place inside a larger buffer (as a record lies in a chunk). */
function placed(path: string, pad: number): { buf: Uint8Array; view: DataView; start: number; end: number } {
  const bytes = Buffer.from(path, 'latin1');
  const buf = new Uint8Array(pad + bytes.length + 3).fill(0x2f); // ('/' around it: must not be read)
  buf.set(bytes, pad);
  return { buf, view: new DataView(buf.buffer), start: pad, end: pad + bytes.length };
}

function compare(paths: string[], pads: number[]): void {
  const ref = new Reference();
  const got = new CommittedPaths(ACCEPTED, MAX, 4);
  paths.forEach((p, i) => {
    const want = ref.status(p);
    if (!p.startsWith('/')) {
      const { buf, view, start, end } = placed(p, 1);
      expect(got.commitClean(buf, view, start, end), `relative ${JSON.stringify(p)}`).toBe(PATH_NOT_CLEAN);
      return;
    }
    const pad = pads[i % pads.length]!;
    const { buf, view, start, end } = placed(p, pad);
    const r = got.commitClean(buf, view, start, end);
    // The set reads the previous path where it lies until detach(): a reused buffer is
    // overwritten only after it (here: every third path, with the next path's bytes, which
    // would make it take the next path's directory for one it has seen).
    if (pad % 3 === 0) {
      got.detach();
      buf.fill(0x61);
      const next = Buffer.from(paths[i + 1] ?? '', 'latin1');
      buf.set(next.subarray(0, buf.length - start), start);
    }
    const where = `path #${i} ${JSON.stringify(p)} after ${JSON.stringify(paths.slice(0, i))}`;
    if (r === PATH_NOT_CLEAN) expect(clean(p) && p.charCodeAt(0) === 0x2f, `${where}: declined as not clean`).toBe(false);
    else {
      expect(clean(p), `${where}: taken as clean`).toBe(true);
      expect(r, where).toBe(want);
    }
    if (r !== PATH_NEW) {
      expect(got.commit(p), `${where}, by string`).toBe(want);
      expect(got.lastClean, `${where}: lastClean`).toBe(clean(p));
    }
    ref.set.add(p);
    expect(got.size, where).toBe(ref.set.size);
  });
}

const component = fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'x1', '0', '00', 'a b', '\u00e9', 'a\0', '//', 'abcdefghijklmnopqrstu');
const path = fc.oneof(
  { weight: 5, arbitrary: fc.array(component, { minLength: 1, maxLength: 5 }).map((cs) => `/${cs.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a', 'a/b', '@x', '/', '//', '/a/', `/${'q'.repeat(39)}`, `/${'q'.repeat(40)}`) },
);

describe('CommittedPaths.commitClean', () => {
  it('takes a tree-order stream whole, and declines what the definition says it must', () => {
    const paths = ['/', '/local', '/local/domain'];
    for (let d = 0; d < 60; d++) {
      paths.push(`/local/domain/${d}`);
      for (const n of ['name', 'device', 'device/vif', 'device/vif/0', 'device/vif/0/state', 'name', 'x//y', 'device/vif/1/state']) paths.push(`/local/domain/${d}/${n}`);
    }
    compare(paths, [0, 3, 17]);
  });

  it('agrees with the definition on random orders of odd paths', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 80 }), fc.array(fc.nat(20), { minLength: 1, maxLength: 5 }), (paths, pads) => {
        compare(paths, pads);
      }),
      { seed: 5150, numRuns: 600 },
    );
  });
});
