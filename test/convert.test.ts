// The converter against hand-assembled byte vectors (one comment per field, from the format
// facts): what a downgrade, a byte-order conversion and a repair must write.

import { describe, expect, it } from 'vitest';
import { convert, ConvertError, ConvertRefused, planConversion } from '../src/convert/convert.js';
import { deltaId, diffStreams } from '../src/convert/diff.js';
import { parsePending, swapPending } from '../src/convert/pending.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream } from '../src/model/types.js';

/** Hex with `#` comments and any whitespace. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}
const bytesOf = (s: Stream): Buffer => Buffer.from(encodeStream(s));

const HEADER_V2_LE = `
  78656e73746f7265  # ident "xenstore"
  00000002          # version 2 (big-endian)
  00000000          # flags: little-endian records`;
const GLOBAL_LE = `
  01000000 08000000 # GLOBAL_DATA, len 8
  04000000          # rw-socket-fd 4
  07000000          # evtchn-fd 7`;
const RING_CONN_LE = `
  02000000 18000000 # CONNECTION_DATA, len 24
  01000000          # conn-id 1
  0000 0000         # conn-type 0 (ring), fields 0
  0100 f47f         # domid 1, tdomid DOMID_INVALID
  65000000          # evtchn 101
  0000 0000         # in-data-len 0, out-resp-len 0
  00000000          # out-data-len 0`;
const DOMAIN_LE = (features: string) => `
  07000000 18000000 # DOMAIN_DATA, len 24 (body 18)
  0100 0100         # domain-id 1, n-quota 1
  ${features}       # features
  e8030000          # quota-val 1000
  6e6f64657300      # "nodes"
  000000000000      # padding to 8`;
const END = `00000000 00000000 # END, len 0`;

const V2 = hex(`${HEADER_V2_LE} ${GLOBAL_LE} ${RING_CONN_LE}
  08000000 18000000 # WATCH_DATA_EXTENDED, len 24 (body 12 + 4 + 2 = 18)
  01000000          # conn-id 1
  0400 0200         # wpath-len 4, token-len 2
  0200 0000         # depth 2, pad
  2f766d00          # "/vm"
  7400              # "t"
  000000000000      # padding to 8
  ${DOMAIN_LE('04000000 # features: bit 2, watch-depth')}
  ${END}`);

const V1_EXPECTED = hex(`
  78656e73746f7265 00000001 00000000  # header: version 1, little-endian
  ${GLOBAL_LE} ${RING_CONN_LE}
  03000000 10000000 # WATCH_DATA, len 16 (body 8 + 4 + 2 = 14, padded)
  01000000          # conn-id 1
  0400 0200         # wpath-len 4, token-len 2
  2f766d00 7400     # "/vm", "t"
  0000              # padding to 8
  ${DOMAIN_LE('00000000 # features 0 in version 1')}
  ${END}`);

const V2_BIG = hex(`
  78656e73746f7265 00000002 00000001  # header: version 2, flags bit 0 = big-endian records
  00000001 00000008 00000004 00000007 # GLOBAL_DATA, len 8, fds 4 and 7
  00000002 00000018                   # CONNECTION_DATA, len 24
  00000001 0000 0000 0001 7ff4 00000065 0000 0000 00000000
  00000008 00000018                   # WATCH_DATA_EXTENDED, len 24
  00000001 0004 0002 0002 0000 2f766d00 7400 000000000000
  00000007 00000018                   # DOMAIN_DATA, len 24
  0001 0001 00000004 000003e8 6e6f64657300 000000000000
  00000000 00000000                   # END`);

describe('downgrade to version 1', () => {
  const input = decodeStream(V2);

  it('writes exactly the hand-assembled version-1 bytes', () => {
    const plan = convert(input, { toVersion: 1, force: true });
    expect(bytesOf(plan.stream).toString('hex')).toBe(V1_EXPECTED.toString('hex'));
  });

  it('reports the depth limit and the feature bit as lossy, naming them, and refuses without --force', () => {
    const plan = planConversion(input, { toVersion: 1 });
    expect(plan.refused).toBe(true);
    expect(plan.refusal?.reason).toBe('lossy');
    const lossy = plan.changes.filter((c) => c.kind === 'lossy');
    expect(lossy.map((c) => [c.section, c.key, c.field, c.old, c.new, c.recordIndex])).toEqual([
      ['watch', 'conn 1 "/vm" token "t"', 'depth', 2, 0xffff, 2],
      ['domain', 'domain 1', 'features', 4, 0, 3],
    ]);
    expect(lossy[0]!.connId).toBe(1);
    expect(lossy[1]!.domid).toBe(1);
    expect(lossy[1]!.message).toContain('watch-depth');
    expect(plan.changes.filter((c) => c.kind === 'lossless').map((c) => c.field)).toEqual(['version', 'record']);
    let thrown: unknown;
    try {
      convert(input, { toVersion: 1 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConvertRefused);
    expect((thrown as ConvertRefused).plan.changes).toEqual(plan.changes);
  });

  it('an unlimited depth and zero features downgrade losslessly, without --force', () => {
    const s = decodeStream(V2);
    const w = s.records[2]!;
    if (w.type !== 'WATCH_DATA_EXTENDED') throw new Error('fixture');
    w.depth = 0xffff;
    const d = s.records[3]!;
    if (d.type !== 'DOMAIN_DATA') throw new Error('fixture');
    d.features = 0;
    const plan = convert(s, { toVersion: 1 });
    expect(plan.changes.every((c) => c.kind === 'lossless')).toBe(true);
    expect(bytesOf(plan.stream).toString('hex')).toBe(V1_EXPECTED.toString('hex'));
  });

  it('diff of input and output lists the same items as the report', () => {
    const plan = convert(input, { toVersion: 1, force: true });
    const d = diffStreams(input, decodeStream(bytesOf(plan.stream)));
    expect([...d.semantic, ...d.bytes].map(deltaId).sort()).toEqual(plan.changes.map(deltaId).sort());
  });

  it('a target that reads version 1 chooses version 1 and reports the records it skips', () => {
    const plan = convert(input, { target: 'xen-4.17', force: true });
    expect(plan.to.version).toBe(1);
    expect(plan.notes.join(' ')).toContain('xen-4.17 reads version 1');
    expect(plan.targetLosses.map((l) => [l.kind, l.recordType, l.domid])).toEqual([['lose', 'DOMAIN_DATA', 1]]);
  });
});

describe('byte order', () => {
  it('little to big writes the hand-assembled big-endian bytes; back gives the input', () => {
    const big = convert(decodeStream(V2), { byteOrder: 'big' });
    expect(big.changes.map((c) => [c.field, c.old, c.new, c.kind])).toEqual([['byte-order', 'little', 'big', 'lossless']]);
    expect(bytesOf(big.stream).toString('hex')).toBe(V2_BIG.toString('hex'));
    const back = convert(decodeStream(V2_BIG), { byteOrder: 'little' });
    expect(bytesOf(back.stream).toString('hex')).toBe(V2.toString('hex'));
  });

  it('swaps the header words of pending wire messages and keeps a partly sent reply as it is', () => {
    const out = hex(`
      4b00                                # tail of a reply already partly sent (out-resp-len 2): opaque
      00000000 02000000 00000000 03000000 # CONTROL reply: type 0, req-id 2, tx-id 0, len 3
      4f4b00                              # "OK"`);
    const swapped = swapPending(out, 'little', 2);
    expect(swapped.unconverted).toBeUndefined();
    expect(Buffer.from(swapped.data).toString('hex')).toBe(hex('4b00 00000000 00000002 00000000 00000003 4f4b00').toString('hex'));
    const inData = hex(`
      0b000000 05000000 00000000 04000000 2f610000 # WRITE, req-id 5, len 4: "/a" and a NUL... complete
      0c000000 06                                  # next request: type 12 and one byte of req-id`);
    const s = swapPending(inData, 'little');
    expect(Buffer.from(s.data).toString('hex')).toBe(hex('0000000b 00000005 00000000 00000004 2f610000 0000000c 06').toString('hex'));
    expect(s.unconverted).toMatch(/cut after 5 of 16 bytes.*1 byte/);
    expect(parsePending(s.data, 'big').messages.map((m) => [m.type, m.reqId, m.len])).toEqual([[11, 5, 4]]);
  });

  it('an unknown record body cannot be converted: reported as a loss, refused without --force', () => {
    const s = decodeStream(V2);
    s.records.splice(4, 0, { type: 'UNKNOWN', typeCode: 42, body: new Uint8Array([1, 0, 0, 0]) });
    const plan = planConversion(s, { byteOrder: 'big' });
    expect(plan.losses.map((l) => [l.source, l.recordIndex, l.recordType])).toEqual([['byte-order', 4, 'type 0x2a']]);
    expect(plan.refused).toBe(true);
  });
});

// Xen 4.22's writer: len = roundup(12 + p + t, 8) = 24, but only conn-id, wpath-len and
// token-len are written before the strings, then padding to 8: 16 bytes, not 24.
const DEFECTIVE = hex(`${HEADER_V2_LE} ${RING_CONN_LE}
  08000000 18000000 # WATCH_DATA_EXTENDED, declared len 24
  01000000          # conn-id 1
  0400 0200         # wpath-len 4, token-len 2 (no depth, no pad)
  2f766d00 7400     # "/vm", "t"
  0000              # padding to 8: the record really ends here
  ${END}`);

describe('repair', () => {
  it('the 4.22 short header needs an assumed depth to be repaired', () => {
    const s = decodeStream(DEFECTIVE);
    expect(s.records[1]).toMatchObject({ type: 'WATCH_DATA_EXTENDED', depth: null, producerDefect: 'xen-4.22-short-header' });
    const plan = planConversion(s, { repair: true });
    expect(plan.refused).toBe(true);
    expect(plan.refusal?.reason).toBe('needs-assume-depth');
    expect(plan.refusal?.message).toMatch(/record #1 .*--assume-depth/);
    expect(() => convert(s, { repair: true })).toThrow(ConvertRefused);
  });

  it('with --assume-depth it writes the documented layout and reports the assumption', () => {
    const plan = convert(decodeStream(DEFECTIVE), { repair: true, assumeDepth: 3 });
    expect(bytesOf(plan.stream).toString('hex')).toBe(
      hex(`${HEADER_V2_LE} ${RING_CONN_LE}
        08000000 18000000 # WATCH_DATA_EXTENDED, len 24
        01000000 0400 0200 # conn-id 1, wpath-len 4, token-len 2
        0300 0000          # depth 3 (assumed), pad
        2f766d00 7400 000000000000
        ${END}`).toString('hex'),
    );
    const depth = plan.changes.find((c) => c.field === 'depth')!;
    expect([depth.old, depth.new, depth.kind]).toEqual(['lost', 3, 'lossless']);
    expect(depth.assumption).toMatch(/assumed/);
    expect(plan.changes.find((c) => c.field === 'producer-defect')).toMatchObject({ section: 'framing', old: 'xen-4.22-short-header', new: null });
  });

  it('downgrading a short-header watch without repair is lossy (its depth is unknown)', () => {
    const s = decodeStream(DEFECTIVE);
    const plan = planConversion(s, { toVersion: 1 });
    expect(plan.refused).toBe(true);
    expect(plan.changes.find((c) => c.field === 'depth')).toMatchObject({ kind: 'lossy', old: 'lost', new: 0xffff });
    const assumed = convert(s, { toVersion: 1, repair: true, assumeDepth: 'unlimited' });
    expect(assumed.changes.find((c) => c.field === 'depth')).toMatchObject({ kind: 'lossless', old: 'lost', new: 0xffff });
  });

  it('normalises a doc-style len (body size, not padded) and reports it', () => {
    const s = decodeStream(hex(`${HEADER_V2_LE}
      05000000 16000000 # NODE_DATA, len 22: the body size, not rounded up (xenstored misreads this)
      00000000 00000000 # conn-id 0, tx-id 0
      0200 0000         # path-len 2, value-len 0
      0000 0100         # access 0, perm-count 1
      6e 00 0000        # perm n, flags 0, domid 0
      2f00              # "/"
      0000              # padding to 8
      ${END}`));
    expect(s.records[0]!.len).toBe(22);
    const plan = convert(s, { repair: true });
    expect(plan.changes.map((c) => [c.section, c.key, c.field, c.old, c.new])).toEqual([['framing', 'node /', 'len', 22, null]]);
    expect(bytesOf(plan.stream).readUInt32LE(16 + 4)).toBe(24);
  });

  it('drops a DOMAIN_DATA for a domain with no ring connection that owns no node (4.21+ aborts on it): lossy', () => {
    const s = decodeStream(V2);
    s.records.splice(4, 0, { type: 'DOMAIN_DATA', domainId: 7, features: 0, quotas: [{ name: 'nodes', value: 5 }] });
    expect(planConversion(s, { target: 'xen-4.22' }).refusal?.reason).toBe('target-refuses');
    const plan = planConversion(s, { repair: true, target: 'xen-4.22' });
    // (The documented-layout watch becomes plain: 4.22 dies on that layout, issue 14 item 1.)
    expect(plan.changes.map((c) => [c.key, c.field, c.kind])).toEqual([['conn 1 "/vm" token "t"', 'record', 'lossless'], ['conn 1 "/vm" token "t"', 'depth', 'lossy'], ['domain 7', 'exists', 'lossy']]);
    expect(plan.refusal?.reason).toBe('lossy');
    const forced = convert(s, { repair: true, force: true, target: 'xen-4.22' });
    expect(forced.stream.records.some((r) => r.type === 'DOMAIN_DATA' && r.domainId === 7)).toBe(false);
    // Nothing refused and nothing lost any more: the watch went plain (its depth widened, a
    // lossy change of the plan), the domain went.
    expect(forced.targetLosses).toEqual([]);
  });
});

describe('options', () => {
  const s = decodeStream(V2);
  it('rejects what cannot be done, with a typed error', () => {
    expect(() => planConversion(s, { toVersion: 3 })).toThrow(ConvertError);
    expect(() => planConversion(s, { assumeDepth: 2 })).toThrow(/--repair/);
    expect(() => planConversion(s, { repair: true, assumeDepth: 70000 })).toThrow(/0..65535/);
    const v3 = decodeStream(V2);
    v3.header.version = 3;
    expect(() => planConversion(v3, {})).toThrow(/version-3/);
  });
  it('a conversion to the same version and byte order changes nothing', () => {
    const plan = convert(s, {});
    expect(plan.changes).toEqual([]);
    expect(bytesOf(plan.stream).toString('hex')).toBe(V2.toString('hex'));
  });
});
