// The rig's own helpers against the three real daemons (test/helpers/interop-rig.ts):
// roundTrip (interop/roundtrip.sh: restore a file, then the daemon's second live update with
// its own dump), probeWatches (interop/restore-watches.sh) and restoreStream with a daemon.
// A daemon that is not set up skips its tests and says why; XSMIG_INTEROP=require fails.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { CAPTURES, ROOT } from './helpers/cli.js';
import { DAEMON_VERSIONS, probeWatches, rigMissing, roundTrip } from './helpers/interop-rig.js';

const work = mkdtempSync(join(tmpdir(), 'xsmig-rig-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const v of DAEMON_VERSIONS) {
  const why = rigMissing(v);
  if (why && process.env.XSMIG_INTEROP === 'require') throw new Error(`interop rig required (XSMIG_INTEROP=require) but not available: ${why}`);
  describe(`interop rig helpers, xenstored ${v}`, () => {
    if (why) {
      it.skip(`skipped: ${why}`, () => {});
      return;
    }
    it('roundTrip: restores the 4.17 capture, re-dumps it and survives its own dump', async () => {
      const r = await roundTrip(work, `${CAPTURES}417-basic.bin`, `rt-${v}`, { daemon: v });
      expect(r.alive, r.raw).toBe(true);
      expect(r.listing).toContain('/local/domain/1/name = "guest1"   (b1,w2)');
      expect(r.aliveAfterRedump, r.raw).toBe(true);
      expect(r.sameTreeAfterRedump).toBe(true);
      const dump = decodeStream(r.redump!);
      expect(dump.header.version).toBe(v === '4.17' ? 1 : 2);
      expect(dump.records.some((x) => x.type === 'NODE_DATA' && x.path === '/local/domain/1/name')).toBe(true);
    });
    it('roundTrip: a stream the daemon refuses (big-endian records) is reported dead, with no re-dump', async () => {
      const s = decodeStream(new Uint8Array(readFileSync(`${CAPTURES}417-basic.bin`)));
      s.header.byteOrder = 'big';
      const file = join(work, `big-${v}.bin`);
      writeFileSync(file, encodeStream(s));
      const r = await roundTrip(work, file, `rt-big-${v}`, { daemon: v, env: { FIXFDS: 'no' } });
      expect(r.alive).toBe(false);
      expect(r.aliveAfterRedump).toBe(false);
      expect(r.redump).toBeUndefined();
    });
  });
}

describe('probeWatches, xenstored 4.22', () => {
  const why = rigMissing('4.22');
  if (why) {
    it.skip(`skipped: ${why}`, () => {});
    return;
  }
  it('lists the events of head-v2-depth-a as the rig README shows them (4.22 misreads the depth watches)', async () => {
    const r = await probeWatches(work, `${CAPTURES}head-v2-depth-a.bin`, join(ROOT, 'interop', 'scenarios', 'post-depth-a.xs'), 'probe-depth-a', '4.22');
    expect(r.alive, r.raw).toBe(true);
    expect([...r.adopted]).toEqual([[4, 'open']]);
    expect(r.events).toEqual([
      { token: 'plain', path: '/a/b/c', connId: 4 },
      { token: '', path: 'ocal/domain/probe1', connId: 4 },
      { token: 'deep', path: 'm/probe2', connId: 4 },
      { token: 'ro', path: '/b/c/probe3', connId: 4 },
    ]);
  });
});
