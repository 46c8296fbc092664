// The real captures under every rule and reader profile, the producer defects byte for byte as
// the format facts describe them, and what each reader profile loses or refuses.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkStream, StreamChecker, TARGET_NAMES, targetLosses, type TargetName } from '../src/check/index.js';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream } from '../src/model/types.js';
import {
  domain, end, globalData, globalQuota, header, node, record, ring, socket, stream, transaction, watch, watchExt,
  watchExtXen422,
} from './helpers/assemble.js';

const CAPTURES = new URL('../fixtures/captures/', import.meta.url);
const capture = (name: string) => decodeStreamDetailed(readFileSync(new URL(`${name}.bin`, CAPTURES)));
const captureText = (name: string) => readFileSync(new URL(`${name}.txt`, CAPTURES), 'utf8');
const decode = (b: Uint8Array) => decodeStreamDetailed(b);
const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex'));
const clone = (s: Stream): Stream => decodeStreamDetailed(encodeStream(s)).stream;

describe('real captures', () => {
  for (const name of ['417-basic', 'head-v2-basic', 'head-v2-quota']) {
    it(`${name}: no finding at all`, () => {
      const { stream: s, locations } = capture(name);
      expect(checkStream(s, { locations }).findings).toEqual([]);
    });
  }

  it('head-v2-depth-a: the three Xen 4.22 short headers, as errors (the depth is gone for good), and nothing else', () => {
    const { stream: s, locations } = capture('head-v2-depth-a');
    const r = checkStream(s, { locations });
    expect(r.findings.map((f) => [f.rule, f.severity, f.recordIndex, f.offset, f.connId])).toEqual([
      ['defect.xen-4.22-short-header', 'error', 6, 352, 4],
      ['defect.xen-4.22-short-header', 'error', 7, 392, 4],
      ['defect.xen-4.22-short-header', 'error', 8, 424, 4],
    ]);
    expect(r.findings[0]!.message).toContain('the depth is lost for good');
    // The stream no longer holds what its writer held (issue 14, item 6).
    expect(r.ok).toBe(false);
  });

  const ready: Record<string, TargetName[]> = {
    '417-basic': ['spec-v1', 'spec-v2', 'xen-4.17', 'xen-4.21', 'xen-4.22'],
    // (xenstored 4.21 keeps no quota: it skips GLOBAL_QUOTA_DATA and ignores DOMAIN_DATA's quotas.)
    'head-v2-basic': ['spec-v2', 'xen-4.22'],
    'head-v2-quota': ['spec-v2', 'xen-4.22'],
    'head-v2-depth-a': [],
  };
  for (const [name, targets] of Object.entries(ready)) {
    for (const t of TARGET_NAMES) {
      it(`${name} for ${t}: ${targets.includes(t) ? 'ready' : 'not ready'}`, () => {
        const { stream: s, locations } = capture(name);
        const r = checkStream(s, { locations, target: t });
        if (targets.includes(t)) {
          expect(r.losses).toEqual([]);
          expect(r.ok).toBe(true);
        } else {
          expect(r.losses!.length).toBeGreaterThan(0);
          expect(r.ok).toBe(false);
        }
      });
    }
  }

  it('version-2 captures: version-1 readers refuse the header and list nothing else', () => {
    for (const name of ['head-v2-basic', 'head-v2-quota', 'head-v2-depth-a']) {
      for (const t of ['spec-v1', 'xen-4.17'] as const) {
        const losses = targetLosses(capture(name).stream, t);
        expect(losses.map((l) => [l.kind, l.offset])).toEqual([['refuse', 8]]);
        expect(losses[0]!.message).toContain('version 2');
      }
    }
  });

  it('head-v2-depth-a for xen-4.22 predicts the watches the restoring daemon really made (capture notes)', () => {
    const notes = captureText('head-v2-depth-a');
    // What the capture's post-restore probes found:
    expect(notes).toContain(`'ocal/domain' (relative) with token '', 'm' with token 'deep', '/b/c' with token 'ro'`);
    const losses = targetLosses(capture('head-v2-depth-a').stream, 'xen-4.22');
    expect(losses.map((l) => [l.kind, l.connId, l.recordIndex])).toEqual([['lose', 4, 6], ['lose', 4, 7], ['lose', 4, 8]]);
    expect(losses[0]!.message).toContain('restores a watch on "ocal/domain" with token ""');
    expect(losses[1]!.message).toContain('restores a watch on "m" with token "deep"');
    expect(losses[2]!.message).toContain('restores a watch on "/b/c" with token "ro"');
    // depth = the first two path bytes, little-endian: "/l" = 0x6c2f.
    expect(losses[0]!.message).toContain(`depth ${0x6c2f}`);
  });

  it('head-v2-depth-a for xen-4.21 and spec-v2: the three depth watches are lost', () => {
    const s = capture('head-v2-depth-a').stream;
    expect(targetLosses(s, 'xen-4.21').filter((l) => l.recordType === 'WATCH_DATA_EXTENDED').map((l) => l.message)).toEqual([
      expect.stringContaining('watch "/local/domain" token "d1" is skipped'),
      expect.stringContaining('watch "/vm" token "vmdeep" is skipped'),
      expect.stringContaining('watch "/a/b/c" token "zero" is skipped'),
    ]);
    expect(targetLosses(s, 'spec-v2').every((l) => l.kind === 'lose' && l.message.includes('depth was never written'))).toBe(true);
  });
});

describe('producer defects, byte for byte', () => {
  it("Xen 4.22's short header: the hand-assembled record equals the capture's record #6", () => {
    const rec = hexBytes(`
      08000000  # type 8 WATCH_DATA_EXTENDED
      20000000  # len 32 = roundup(12 + 14 + 3, 8)
      04000000  # +0 conn-id 4
      0e00      # +4 wpath-len 14
      0300      # +6 token-len 3
                # (no depth, no pad: the writer copies only 8 header bytes)
      2f6c6f63616c2f646f6d61696e00  # +8 wpath "/local/domain" NUL
      643100    # +22 token "d1" NUL
      00000000000000  # zero padding of the file position to 8 (25 -> 32)
    `);
    const bytes = readFileSync(new URL('head-v2-depth-a.bin', CAPTURES));
    expect(Buffer.from(bytes.subarray(352, 352 + rec.length)).equals(Buffer.from(rec))).toBe(true);
  });

  it("Xen 4.22's short header whose len overruns: decoded at the real boundary, an error, refused by every reader", () => {
    const bytes = hexBytes(`
      78656e73746f7265 00000002 00000000  # header: "xenstore", version 2, little-endian
      02000000 18000000                   # CONNECTION_DATA, len 24
      01000000 0100 0000                  # conn-id 1, conn-type 1 socket, fields 0
      05000000 00000000                   # socket-fd 5, pad
      0000 0000 00000000                  # in-data-len 0, out-resp-len 0, out-data-len 0
      08000000 18000000                   # WATCH_DATA_EXTENDED, len 24 = roundup(12 + 5 + 3, 8)
      01000000 0500 0300                  # conn-id 1, wpath-len 5, token-len 3 (no depth, no pad)
      2f61626300 746b00                   # wpath "/abc", token "tk": 16 bytes, already aligned
      05000000 18000000                   # NODE_DATA "/" (the record len 24 claims 8 bytes of)
      00000000 00000000 0200 0000 0000 0100  # conn-id 0, tx-id 0, path-len 2, value-len 0, access 0, perm-count 1
      6e00 0000 2f00 0000                 # perm n, flags 0, domid 0; path "/"; padding
      00000000 00000000                   # END
    `);
    const { stream: s, locations } = decode(bytes);
    const w = s.records[1]!;
    expect(w).toMatchObject({ type: 'WATCH_DATA_EXTENDED', connId: 1, depth: null, wpath: '/abc', token: 'tk', producerDefect: 'xen-4.22-short-header' });
    expect(s.records[2]).toMatchObject({ type: 'NODE_DATA', path: '/' });
    expect(locations[2]!.offset).toBe(16 + 32 + 24);
    const r = checkStream(s, { locations });
    expect(r.findings.map((f) => f.rule)).toEqual(['defect.xen-4.22-short-header-overrun']);
    expect(r.findings[0]!.message).toContain('len 24 claims 8 bytes of the next record');
    for (const t of TARGET_NAMES) {
      const losses = targetLosses(s, t, locations);
      // Version-1 readers refuse the version-2 header already (no record index).
      // The daemons also find no domain for the owner of "/" (dom0 has no ring connection here).
      const expected = t === 'spec-v1' || t === 'xen-4.17' ? [['refuse', undefined]] : t === 'spec-v2' ? [['refuse', 1]] : [['refuse', 1], ['refuse', 2]];
      expect(losses.map((l) => [l.kind, l.recordIndex]), t).toEqual(expected);
    }
  });

  // What Xen 4.22 writes when told `live-update -s -v 1` with a depth watch: version 1, the
  // watch still as type 8 with the short header, GLOBAL_QUOTA_DATA and DOMAIN_DATA with
  // features zero (4.21+ writes both in version 1 too), unique-id on the ring.
  const xen422v1 = () =>
    stream(
      header(1),
      globalData(4, 7),
      globalQuota([['nodes', 1000], ['watches', 128]]),
      ring(1, 0, { fields: 1, uniqueId: 0x0102030405060000n }),
      socket(2, 8),
      watchExtXen422(2, '/local/domain', 'd1'),
      node('/'),
      node('/local'),
      domain(0, 0, [['nodes', 1000], ['watches', 128]]),
      end(),
    );

  it("Xen 4.22's version-1 stream with a depth watch: both defects named", () => {
    const { stream: s, locations } = decode(xen422v1());
    const r = checkStream(s, { locations });
    expect(r.findings.map((f) => [f.rule, f.severity, f.recordIndex])).toEqual([
      ['defect.xen-4.22-v1-extended-watch', 'error', 4],
      ['defect.xen-4.22-short-header', 'error', 4],
    ]);
    expect(r.findings[0]!.message).toContain('readers 4.17-4.20 skip it and the watch vanishes on rollback');
  });

  it('…and what a Xen 4.17 rollback loses from it: the watch, the global and the per-domain quotas', () => {
    const { stream: s, locations } = decode(xen422v1());
    const losses = targetLosses(s, 'xen-4.17', locations);
    expect(losses.map((l) => [l.kind, l.subject, l.recordIndex, l.connId, l.domid])).toEqual([
      ['lose', 'global quotas', 1, undefined, undefined],
      ['lose', 'connection 2', 4, 2, undefined],
      ['lose', 'domain 0', 7, undefined, 0],
    ]);
    expect(losses[1]!.message).toContain('watch "/local/domain" token "d1" is skipped');
    expect(losses[2]!.message).toContain("its 2 quotas fall back to the daemon's defaults");
  });

  it("Xen 4.22's DOMAIN_DATA for a domain only named in a permission: 4.21+ refuse", () => {
    const { stream: s, locations } = decode(
      stream(header(2), ring(1, 0), node('/'), node('/a', { perms: [['n', 0, 0], ['r', 0, 9]] }), domain(0, 14), domain(9, 14), end()),
    );
    const r = checkStream(s, { locations });
    expect(r.findings.map((f) => [f.rule, f.domid, f.recordIndex])).toEqual([['refs.domain-not-found', 9, 4]]);
    for (const t of ['xen-4.21', 'xen-4.22'] as const) {
      // (and its permission entry would be restored marked stale, had the restore lived)
      expect(targetLosses(s, t).map((l) => [l.kind, l.domid])).toEqual([['refuse', 9], ['lose', 9]]);
    }
    expect(targetLosses(s, 'spec-v2')).toEqual([]);
  });

  it('a domain named before its ring connection: not found, and the message says where it comes later', () => {
    const { stream: s } = decode(stream(header(2), node('/'), domain(3), ring(1, 3), end()));
    const r = checkStream(s);
    expect(r.findings.map((f) => f.rule)).toEqual(['refs.domain-not-found']);
    expect(r.findings[0]!.message).toContain('its ring connection is record #2');
  });
});

describe('reader profiles', () => {
  it('head-v2-quota written as version 1 (features zeroed): xen-4.17 and xen-4.21 lose every quota, xen-4.22 nothing', () => {
    const s = clone(capture('head-v2-quota').stream);
    s.header.version = 1;
    for (const r of s.records) if (r.type === 'DOMAIN_DATA') r.features = 0;
    const losses = targetLosses(s, 'xen-4.17');
    expect(losses.map((l) => l.subject)).toEqual(['global quotas', 'domain 6', 'domain 3', 'domain 0', 'domain 5', 'domain 2', 'domain 1']);
    expect(losses.every((l) => l.kind === 'lose')).toBe(true);
    const l21 = targetLosses(s, 'xen-4.21');
    expect(l21.map((l) => l.subject)).toEqual(['global quotas', 'domain 6', 'domain 3', 'domain 0', 'domain 5', 'domain 2', 'domain 1']);
    expect(l21.slice(1).every((l) => l.message.includes('xenstored 4.21 has no quota support and keeps no quota'))).toBe(true);
    expect(targetLosses(s, 'xen-4.22')).toEqual([]);
    expect(targetLosses(s, 'spec-v1')).toEqual([]);
  });

  it('features left in a version-1 stream: every reader loses them, per domain', () => {
    const s = clone(capture('head-v2-quota').stream);
    s.header.version = 1;
    const withFeatures = [3, 0, 5, 2, 1]; // domain 6 has features 0
    for (const t of ['spec-v1', 'spec-v2', 'xen-4.21', 'xen-4.22'] as const) {
      const losses = targetLosses(s, t).filter((l) => l.effect?.kind === 'ignore-features' || !t.startsWith('xen'));
      expect(losses.map((l) => l.domid), t).toEqual(withFeatures);
      expect(losses[0]!.message).toContain('are ignored in a version-1 stream');
    }
    const r = checkStream(s);
    expect(r.findings.map((f) => f.rule)).toEqual(withFeatures.map(() => 'v2.features-in-v1'));
  });

  it('big-endian records: xenstored refuses (little-endian hosts), the document readers do not', () => {
    const s = clone(capture('417-basic').stream);
    s.header.byteOrder = 'big';
    // Pending out-data is raw wire traffic in the writer's byte order; flipping only the
    // header would leave it little-endian (connections.out-data-framing), so drop it here.
    for (const r of s.records) if (r.type === 'CONNECTION_DATA') r.outData = new Uint8Array(0);
    const big = decodeStreamDetailed(encodeStream(s)).stream;
    expect(checkStream(big).findings).toEqual([]);
    for (const t of ['xen-4.17', 'xen-4.21', 'xen-4.22'] as const) {
      expect(targetLosses(big, t).map((l) => [l.kind, l.offset])).toEqual([['refuse', 12]]);
    }
    expect(targetLosses(big, 'spec-v1')).toEqual([]);
  });

  it('flipping only the header byte order leaves pending wire headers in the old order: caught', () => {
    // 417-basic's connection 6 holds the live-update client's queued "OK" reply (16 + 3 bytes,
    // wire header little-endian). Read as big-endian, its len 3 becomes 0x03000000.
    const s = clone(capture('417-basic').stream);
    s.header.byteOrder = 'big';
    const big = decodeStreamDetailed(encodeStream(s)).stream;
    const f = checkStream(big).findings;
    expect(f.map((x) => [x.rule, x.connId])).toEqual([['connections.out-data-framing', 6]]);
    expect(f[0]!.message).toContain(`declares a ${0x03000000}-byte payload`);
  });

  it('reserved flag bits: xenstored refuses the whole stream', () => {
    const { stream: s } = decode(stream(header(1, 4), node('/'), end()));
    expect(targetLosses(s, 'xen-4.17').map((l) => l.kind)).toEqual(['refuse']);
    expect(targetLosses(s, 'spec-v1')).toEqual([]);
  });

  it('an unpadded len: xenstored refuses, the document readers do not', () => {
    const { stream: s } = decode(stream(header(1), ring(1, 0), node('/', { len: 22 }), end()));
    expect(targetLosses(s, 'xen-4.17').map((l) => [l.kind, l.recordIndex])).toEqual([['refuse', 1]]);
    expect(targetLosses(s, 'spec-v1')).toEqual([]);
  });

  it('transactions: xenstored drops the transaction and commits its node', () => {
    const { stream: s } = decode(
      stream(header(2), ring(2, 0), socket(1, 5), transaction(1, 7), node('/'), node('/tx', { connId: 1, txId: 7, access: 2 }), end()),
    );
    expect(checkStream(s).findings).toEqual([]);
    const losses = targetLosses(s, 'xen-4.21');
    expect(losses.map((l) => [l.kind, l.connId, l.recordIndex])).toEqual([['lose', 1, 2], ['lose', 1, 4]]);
    expect(losses[0]!.message).toContain('open transaction 7 is dropped');
    expect(losses[1]!.message).toContain('writes it into the committed tree');
    expect(targetLosses(s, 'spec-v2')).toEqual([]);
  });

  it('a conforming extended watch: spec-v2 keeps it, xen-4.21 skips it, xen-4.22 dies on it', () => {
    const { stream: s } = decode(stream(header(2), ring(2, 0), ring(1, 3), watchExt(1, '/local/domain/3', 'tok', 1), node('/'), end()));
    expect(checkStream(s).findings).toEqual([]);
    expect(targetLosses(s, 'spec-v2')).toEqual([]);
    const l21 = targetLosses(s, 'xen-4.21');
    expect(l21.map((l) => [l.kind, l.connId, l.domid, l.subject])).toEqual([['lose', 1, 3, 'connection 1 (domain 3)']]);
    const l22 = targetLosses(s, 'xen-4.22');
    // wpath read from +10 (the zero pad) is empty: seen on the real 4.22 (test/interop-profiles.test.ts).
    expect(l22.map((l) => l.kind)).toEqual(['refuse']);
    expect(l22[0]!.message).toContain('("allocation error for read watch")');
  });

  it('quota names xenstored does not know: ignored by xen-4.21 and 4.22 only', () => {
    const { stream: s } = decode(stream(header(2), globalQuota([['nodes', 10], ['permissions', 5]]), ring(1, 0), node('/'), end()));
    expect(checkStream(s).findings).toEqual([]); // "permissions" is in the protocol document
    expect(targetLosses(s, 'xen-4.22').map((l) => l.message)).toEqual([expect.stringContaining('permissions=5')]);
    expect(targetLosses(s, 'spec-v2')).toEqual([]);
  });

  it('an unknown record type is lost by every reader', () => {
    const { stream: s } = decode(stream(header(1), ring(1, 0), node('/'), record(12, [1, 2, 3, 4, 5, 6, 7, 8]), end()));
    for (const t of TARGET_NAMES) expect(targetLosses(s, t).map((l) => [l.kind, l.recordIndex]), t).toEqual([['lose', 2]]);
  });

  it('a watch for an unknown connection and a node without parent: xenstored aborts', () => {
    const { stream: s } = decode(stream(header(1), ring(1, 0), watch(9, '/a', 't'), node('/'), node('/a/b'), end()));
    expect(targetLosses(s, 'xen-4.17').map((l) => [l.kind, l.recordIndex])).toEqual([['refuse', 1], ['refuse', 3]]);
    expect(targetLosses(s, 'spec-v1')).toEqual([]);
  });
});

describe('engine', () => {
  it('visiting record by record gives what checkStream gives', () => {
    const { stream: s, locations } = decode(
      stream(header(2), socket(1, 5), watch(1, '/a', 't'), watch(1, '/a', 't'), node('/'), node('/x/y'), domain(4), end()),
    );
    const c = new StreamChecker(s.header, { target: 'xen-4.22' });
    s.records.forEach((r, i) => c.visit(r, locations[i]));
    expect(c.finish(s.trailing)).toEqual(checkStream(s, { locations, target: 'xen-4.22' }));
  });

  it('without locations, messages name record index and type but no offset', () => {
    const { stream: s } = decode(stream(header(2), node('/'), node('/a/b'), end()));
    const f = checkStream(s).findings[0]!;
    expect(f.offset).toBeUndefined();
    expect(f.message.startsWith('record #1 (NODE_DATA): ')).toBe(true);
  });
});
