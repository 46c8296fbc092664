// Pending data in dump --hex and --json (issue 17): each wire message of in-data and out-data
// with its fields: type and its name, req-id, tx-id, len, payload.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { XsRecord } from '../src/model/types.js';
import { CAPTURES, runCli } from './helpers/cli.js';

const QUOTA = `${CAPTURES}head-v2-quota.bin`;

/** A wire message: 16-byte header in `order`, then the payload. */
function msg(order: 'little' | 'big', type: number, reqId: number, txId: number, payload: string, len = payload.length): Buffer {
  const h = Buffer.alloc(16);
  const w = (v: number, at: number) => (order === 'little' ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  w(type, 0); w(reqId, 4); w(txId, 8); w(len, 12);
  return Buffer.concat([h, Buffer.from(payload, 'latin1')]);
}

/** head-v2-quota with connection 9's out-data: 3 bytes of a partly sent response, two events, a header fragment. */
function pendingStream(order: 'little' | 'big'): { bytes: Buffer; start: number } {
  const s = decodeStream(readFileSync(QUOTA));
  s.header.byteOrder = order;
  const c = s.records.find((r) => r.type === 'CONNECTION_DATA' && r.connId === 9) as Extract<XsRecord, { type: 'CONNECTION_DATA' }>;
  c.outData = Buffer.concat([Buffer.from('xyz'), msg(order, 15, 0, 0, '/a\0tok\0'), msg(order, 16, 7, 3, 'EINVAL\0'), Buffer.from([1, 2, 3])]);
  c.outRespLen = 3;
  const bytes = Buffer.from(encodeStream(s));
  const i = s.records.indexOf(c);
  return { bytes, start: i };
}

describe('pending wire messages in dump --hex and --json', () => {
  it('--hex: a line per header field and payload of each in-data message (the capture\'s partial WRITE)', () => {
    const out = runCli(['dump', '--hex', '--type', 'conn', '--conn', '8', QUOTA]).stdout;
    const tags = out.split('\n').filter((l) => /^ {4}[0-9a-f]{8}: /.test(l)).map((l) => l.slice(82).trim());
    expect(tags).toEqual(expect.arrayContaining(['in-data[0].type (WRITE)', 'in-data[0].req-id', 'in-data[0].tx-id', 'in-data[0].len', 'in-data[0].payload (12 of 25 bytes received)']));
    expect(out).toMatch(/00000298: 0b 00 00 00 .* in-data\[0\]\.type \(WRITE\)/);
    expect(out).toMatch(/000002a8: 2f 70 61 72 74 69 61 6c 2f 6e 6f 64 .* in-data\[0\]\.payload/);
  });

  for (const order of ['little', 'big'] as const) {
    it(`--hex and --json, ${order}-endian: partly sent response, messages, header fragment`, () => {
      const { bytes, start } = pendingStream(order);
      const hex = runCli(['dump', '--hex', '--record', String(start), '-'], { input: bytes }).stdout;
      for (const t of ['out-data: rest of a partly sent response', 'out-data[0].type (WATCH_EVENT)', 'out-data[0].payload', 'out-data[1].type (ERROR)', 'out-data[1].req-id', 'out-data[1].tx-id', 'out-data[1].len', 'out-data: fragment of a message header']) {
        expect(hex, t).toContain(t);
      }
      const lines = runCli(['dump', '--json', '--record', String(start), '-'], { input: bytes }).stdout.trim().split('\n');
      const j = JSON.parse(lines[1]!);
      expect(j.outDataMessages).toEqual({
        partialResponse: 'xyz',
        messages: [
          { type: 15, typeName: 'WATCH_EVENT', reqId: 0, txId: 0, len: 7, payloadHex: '2f6100746f6b00' },
          { type: 16, typeName: 'ERROR', reqId: 7, txId: 3, len: 7, payloadHex: '45494e56414c00' },
        ],
        fragmentHex: '010203',
      });
      expect(j.inDataMessages).toBeUndefined();
    });
  }

  it('--json: the capture\'s partial WRITE in in-data', () => {
    const recs = runCli(['dump', '--json', '--type', 'conn', QUOTA]).stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l));
    const c8 = recs.find((r) => r.connId === 8);
    expect(c8.inDataMessages).toEqual({ messages: [{ type: 11, typeName: 'WRITE', reqId: 5, txId: 0, len: 25, payload: '/partial/nod', complete: false }] });
    expect(recs.find((r) => r.connId === 9).outDataMessages.messages[0]).toMatchObject({ typeName: 'CONTROL', reqId: 2, len: 3 });
  });
});
