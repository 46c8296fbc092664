// dump's fast text renderer must print exactly what the general renderer prints (without
// colour), record for record: on the real captures and on generated streams of both byte
// orders, including the non-canonical ones (which it must hand back to the general path).

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { palette } from '../src/cli/color.js';
import { fastRecordText, renderRecord } from '../src/cli/render/record.js';
import { fc, streamBytesArbitrary } from '../src/model/arbitraries.js';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { CAPTURES } from './helpers/cli.js';

function compare(bytes: Uint8Array, maxBytes: number): { fast: number; total: number } {
  const { stream, locations } = decodeStreamDetailed(bytes);
  let fast = 0;
  stream.records.forEach((r, i) => {
    const loc = locations[i]!;
    const own = bytes.subarray(loc.offset, loc.offset + loc.wireLen);
    const text = fastRecordText(r, loc, maxBytes);
    if (text === undefined) return;
    fast++;
    const general = renderRecord(r, loc, own, { order: stream.header.byteOrder, maxBytes, hex: false, color: palette(false) });
    expect(text).toBe(`${general.join('\n')}\n`);
  });
  return { fast, total: stream.records.length };
}

describe('dump fast text = general text', () => {
  for (const f of readdirSync(CAPTURES).filter((n) => n.endsWith('.bin'))) {
    it(f, () => {
      const { fast } = compare(readFileSync(`${CAPTURES}${f}`), 128);
      expect(fast).toBeGreaterThan(25); // the NODE_DATA records at least
    });
  }

  it('generated streams, canonical and not, both byte orders, values cut or not', () => {
    let fastSeen = 0;
    fc.assert(
      fc.property(
        streamBytesArbitrary({ nonCanonical: true }),
        fc.constantFrom(0, 4, 128),
        (bytes, maxBytes) => {
          fastSeen += compare(bytes, maxBytes).fast;
        },
      ),
      { seed: 20261122, numRuns: 150 },
    );
    expect(fastSeen).toBeGreaterThan(100);
  });
});
