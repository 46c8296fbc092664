// Small fast-check generators of model records of every type (with the optional fields and
// odd values a decoder must keep), for the differential tests of the fast decode and encode paths.

import fc from 'fast-check';
import type { XsRecord } from '../../src/model/types.js';

export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.nat({ max: 0xffffffff });
export const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
export const bytes = (max: number) => fc.uint8Array({ maxLength: max });
/** Strings of bytes 1-255 (one char per byte), mostly path-like. */
export const str = (max: number) =>
  fc.oneof(
    fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: max }).map((a) => String.fromCharCode(...a)),
    fc.array(fc.constantFrom('local', 'domain', '1', '0', 'device', 'vif', 'state', 'backend'), { minLength: 1, maxLength: 6 }).map((a) => `/${a.join('/')}`),
    fc.constantFrom('@releaseDomain', '@introduceDomain', '/'),
  );
const quotas = fc.array(fc.record({ name: str(12).map((s) => s.replace(/\0/g, '')), value: u32 }), { maxLength: 4 });

export const recordArb: fc.Arbitrary<XsRecord> = fc.oneof(
  fc.constant<XsRecord>({ type: 'TRANSACTION_DATA', connId: 3, txId: 9 }),
  fc.record({ rwSocketFd: i32, evtchnFd: i32 }).map((r): XsRecord => ({ type: 'GLOBAL_DATA', ...r })),
  fc
    .record({
      connId: u32,
      connType: fc.constantFrom(0, 1, 2, 0x1234),
      unique: fc.boolean(),
      otherBits: u16,
      ring: fc.record({ domid: u16, tdomid: u16, evtchn: u32 }),
      socketFd: i32,
      pad: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: undefined }),
      raw: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      outRespLen: u16,
      inData: bytes(40),
      outData: bytes(40),
      uniqueId: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
      dataPad: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    })
    .map((c): XsRecord => {
      const fields = (c.otherBits & ~1) | (c.unique ? 1 : 0);
      const connSpec = c.connType === 0 ? c.ring : c.connType === 1 ? (c.pad ? { socketFd: c.socketFd, pad: c.pad } : { socketFd: c.socketFd }) : { raw: c.raw };
      const r: XsRecord = { type: 'CONNECTION_DATA', connId: c.connId, connType: c.connType, fields, connSpec, outRespLen: c.outRespLen, inData: c.inData, outData: c.outData };
      if (c.unique) {
        const n = (8 - ((24 + c.inData.length + c.outData.length) % 8)) % 8;
        const pad = c.dataPad.subarray(0, n);
        if (pad.some((b) => b !== 0)) r.dataPad = pad;
        r.uniqueId = c.uniqueId;
      }
      return r;
    }),
  fc.record({ connId: u32, wpath: str(30), token: str(20) }).map((r): XsRecord => ({ type: 'WATCH_DATA', ...r })),
  fc
    .record({ connId: u32, depth: u16, pad: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }), wpath: str(30), token: str(20), short: fc.boolean() })
    .map((w): XsRecord =>
      w.short
        ? { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: null, wpath: `/${w.wpath}`, token: w.token, producerDefect: 'xen-4.22-short-header' }
        : w.pad
          ? { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: w.depth, pad: w.pad, wpath: w.wpath, token: w.token }
          : { type: 'WATCH_DATA_EXTENDED', connId: w.connId, depth: w.depth, wpath: w.wpath, token: w.token },
    ),
  fc
    .record({
      connId: fc.oneof(fc.constant(0), u32),
      txId: u32,
      access: fc.constantFrom(0, 1, 2, 7),
      perms: fc.array(fc.record({ perm: fc.oneof(fc.constantFrom('n', 'r', 'w', 'b'), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))), flags: fc.integer({ min: 0, max: 255 }), domid: u16 }), { maxLength: 5 }),
      path: str(40),
      value: bytes(48),
    })
    .map((n): XsRecord => ({ type: 'NODE_DATA', ...n })),
  fc.record({ domQuotas: quotas, globQuotas: quotas }).map((q): XsRecord => ({ type: 'GLOBAL_QUOTA_DATA', ...q })),
  fc.record({ domainId: u16, features: u32, quotas }).map((d): XsRecord => ({ type: 'DOMAIN_DATA', ...d })),
  fc.record({ typeCode: fc.oneof(fc.integer({ min: 9, max: 40 }), fc.constant(0xffffffff)), body: bytes(30) }).map((u): XsRecord => ({ type: 'UNKNOWN', ...u })),
);

