// Bugs found by the property tests and the fuzzer, one test each, on hand-built inputs.

import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { printableText, streamFromJson, streamToJson } from '../src/model/json.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+|#[^\n]*/g, ''), 'hex');

describe('JSON form keeps a value that starts with a UTF-8 byte order mark', () => {
  // Found by test/properties.test.ts: TextDecoder drops a leading BOM unless told not to.
  const stream = hex(`
    78656e73746f7265 00000002 00000000   # "xenstore", version 2, flags 0 (little-endian)
    05000000 20000000                    # NODE_DATA, len 32 (27-byte body + 5 padding)
    00000000 00000000                    # conn-id 0, tx-id 0
    0200 0500 0000 0100                  # path-len 2, value-len 5, access 0, perm-count 1
    6e 00 0000                           # perm 'n', flags 0, domid 0
    2f00                                 # path "/"
    efbbbf 6869                          # value: U+FEFF "hi"
    0000000000                           # padding to 32
    00000000 00000000                    # END
  `);

  it('shows the value as text with its U+FEFF', () => {
    expect(printableText(hex('efbbbf6869'))).toBe('\uFEFFhi');
  });

  it('round-trips through the JSON text byte for byte', () => {
    const json = JSON.parse(JSON.stringify(streamToJson(decodeStream(stream))));
    expect(Buffer.from(encodeStream(streamFromJson(json))).equals(stream)).toBe(true);
  });
});

describe('reserved header flag bit 31 reads as a positive number', () => {
  // Found by test/properties.test.ts: `flags & ~1` is a signed 32-bit result in JavaScript,
  // so a model built with reservedFlags 0x80000000 came back as -2147483648.
  const stream = hex(`
    78656e73746f7265 00000001 80000000   # "xenstore", version 1, flags: bit 31 set, little-endian
    00000000 00000000                    # END
  `);

  it('decodes to 0x80000000', () => {
    expect(decodeStream(stream).header.reservedFlags).toBe(0x80000000);
  });

  it('a model holding 0x80000000 comes back equal', () => {
    const s = { header: { version: 1, byteOrder: 'big' as const, reservedFlags: 0x80000000 }, records: [{ type: 'END' as const }] };
    expect(decodeStream(encodeStream(s)).header).toEqual(s.header);
  });
});

// checkWatch handed the watch set the key buffer before writing the key into it: a key longer
// than the buffer (256 bytes) got a new, larger one, and the set read the old, short one. The
// first watch of a long path was remembered wrong, and its duplicate went unreported.
describe('a duplicate watch with a long path is reported (the key buffer grows for it)', () => {
  it('finds refs.watch-duplicate for two equal watches of a 316-byte path', async () => {
    const { checkStream } = await import('../src/check/index.js');
    const wpath = `/local/domain/1/${'x'.repeat(300)}`;
    const s = decodeStream(encodeStream({
      header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
      records: [
        { type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: 0, connSpec: { domid: 1, tdomid: 0x7ff4, evtchn: 5 }, outRespLen: 0, inData: new Uint8Array(0), outData: new Uint8Array(0) },
        { type: 'WATCH_DATA', connId: 1, wpath, token: 'tok' },
        { type: 'WATCH_DATA', connId: 1, wpath, token: 'tok' },
        { type: 'END' },
      ],
    }));
    expect(checkStream(s).findings.filter((f) => f.rule === 'refs.watch-duplicate').map((f) => f.recordIndex)).toEqual([2]);
  });
});
