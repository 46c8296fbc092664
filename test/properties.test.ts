// fast-check properties of the codec, with a fixed seed (fast-check prints seed and path on a
// failure; XSMIG_SEED=N reruns with another seed): for every record type and for whole
// streams, in both byte orders, canonical and with the non-canonical oddities:
//   model -> bytes -> model is the identity,
//   bytes -> model -> bytes is the identity,
//   bytes -> JSON text -> model -> bytes is the identity,
//   the chunked StreamReader sees the same records as the in-memory decoder.
// And the stream arbitrary's "valid by construction" claim, checked by rules written here.

import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  recordArbitraries,
  recordArbitrary,
  streamArbitrary,
  type RecordArbitraryOptions,
  type StreamArbitraryOptions,
} from '../src/model/arbitraries.js';
import { decodeRecordAt, decodeStream } from '../src/model/decode.js';
import { encodeStream, writeRecord } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import type { ByteOrder } from '../src/wire/constants.js';
import { BinaryWriter } from '../src/wire/writer.js';
import { checkStream } from '../src/check/index.js';
import { comparable, hex } from './helpers/model-eq.js';
import { firstBrokenRule, parentOf } from './helpers/stream-rules.js';

const SEED = Number(process.env.XSMIG_SEED ?? 20261122);
const ORDERS: ByteOrder[] = ['little', 'big'];

function viaJson(s: Stream): Uint8Array {
  return encodeStream(streamFromJson(JSON.parse(JSON.stringify(streamToJson(s)))));
}

function checkStreamRoundTrips(s: Stream): void {
  const bytes = encodeStream(s);
  const back = decodeStream(bytes);
  expect(comparable(back)).toEqual(comparable(s));
  expect(hex(encodeStream(back))).toBe(hex(bytes));
  expect(hex(viaJson(back))).toBe(hex(bytes));
}

function streamOf(r: XsRecord, byteOrder: ByteOrder): Stream {
  return { header: { version: 2, byteOrder, reservedFlags: 0 }, records: r.type === 'END' ? [r] : [r, { type: 'END' }] };
}

describe('record properties', () => {
  const types = Object.keys(recordArbitraries) as (keyof typeof recordArbitraries)[];
  for (const nonCanonical of [false, true]) {
    for (const byteOrder of ORDERS) {
      for (const t of types) {
        const o: RecordArbitraryOptions = { nonCanonical };
        it(`${t}, ${byteOrder}-endian${nonCanonical ? ', non-canonical' : ''}: model, bytes and JSON round trips`, () => {
          fc.assert(
            fc.property(recordArbitraries[t](o) as fc.Arbitrary<XsRecord>, (r) => {
              // Alone, through the record-level API...
              const w = new BinaryWriter(byteOrder, undefined, 256);
              writeRecord(w, r);
              const bytes = w.result();
              const { record, location } = decodeRecordAt(bytes, 0, 0, byteOrder);
              expect(comparable(record)).toEqual(comparable(r));
              // (the short-header record may declare a len that runs past its real end)
              if (!(r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect)) expect(location.wireLen).toBe(bytes.length);
              // ... and in a stream.
              checkStreamRoundTrips(streamOf(r, byteOrder));
            }),
            { seed: SEED, numRuns: 60 },
          );
        });
      }
    }
  }

  it('version 1 records carry no features', () => {
    fc.assert(
      fc.property(recordArbitraries.DOMAIN_DATA({ version: 1 }), (r) => {
        expect(r.features).toBe(0);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('any mix of records in a stream round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary({ nonCanonical: true }), { maxLength: 12 }),
        fc.constantFrom<ByteOrder>(...ORDERS),
        (records, byteOrder) => {
          checkStreamRoundTrips({ header: { version: 2, byteOrder, reservedFlags: 0 }, records: [...records, { type: 'END' }] });
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});

/** Feeds `bytes` to a StreamReader in chunks cut at `cuts` and returns the stream it saw. */
function readChunked(bytes: Uint8Array, cuts: number[]): Stream {
  const records: XsRecord[] = [];
  let header: Stream['header'] | undefined;
  let trailing: Uint8Array | undefined;
  const r = new StreamReader({
    onHeader: (h) => (header = h),
    onRecord: (rec) => records.push(rec),
    onTrailing: (_n, head) => (trailing = head),
  });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of [...points, bytes.length]) {
    // Copy each chunk: the reader must not depend on the caller keeping its buffers apart.
    r.push(Uint8Array.from(bytes.subarray(at, p)));
    at = p;
  }
  r.end();
  const s: Stream = { header: header!, records };
  if (trailing) s.trailing = trailing;
  return s;
}

describe('stream properties', () => {
  const cases: [string, StreamArbitraryOptions][] = [];
  for (const byteOrder of ORDERS) {
    for (const version of [1, 2] as const) {
      cases.push([`version ${version}, ${byteOrder}-endian`, { version, byteOrder }]);
      cases.push([`version ${version}, ${byteOrder}-endian, non-canonical`, { version, byteOrder, nonCanonical: true }]);
    }
  }
  for (const [name, o] of cases) {
    it(`${name}: model, bytes and JSON round trips; chunked reading agrees`, () => {
      fc.assert(
        fc.property(streamArbitrary(o), fc.array(fc.nat(), { maxLength: 6 }), (s, cuts) => {
          checkStreamRoundTrips(s);
          const bytes = encodeStream(s);
          expect(comparable(readChunked(bytes, cuts))).toEqual(comparable(decodeStream(bytes)));
        }),
        { seed: SEED, numRuns: 40 },
      );
    });
  }

  it('larger streams (hundreds of nodes, bigger values) round-trip', () => {
    fc.assert(
      fc.property(
        streamArbitrary({ counts: { nodes: { min: 100, max: 300 }, connections: { min: 5, max: 12 } }, maxValueSize: 2048, nonCanonical: true }),
        (s) => checkStreamRoundTrips(s),
      ),
      { seed: SEED, numRuns: 8 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The stream arbitrary's promise, checked by rules stated independently of the generator.

describe('the stream arbitrary keeps its promise', () => {
  it('canonical streams obey every ordering and version rule', () => {
    fc.assert(
      fc.property(streamArbitrary(), (s) => {
        expect(firstBrokenRule(s, encodeStream(s))).toBeUndefined();
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("xsmig's own checker finds no error or warning in them (either version and byte order)", () => {
    fc.assert(
      fc.property(streamArbitrary(), (s) => {
        const bad = checkStream(s).findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.rule}: ${f.message}`);
        expect(bad).toEqual([]);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('the rules can fail: a stream with a node before its parent is caught', () => {
    const s = fc.sample(streamArbitrary({ counts: { nodes: { min: 3, max: 5 } } }), { seed: SEED, numRuns: 1 })[0]!;
    const nodes = s.records.filter((r): r is Extract<XsRecord, { type: 'NODE_DATA' }> => r.type === 'NODE_DATA' && r.path.startsWith('/') && r.path !== '/');
    const child = nodes.find((n) => parentOf(n.path) !== '/')!;
    expect(child).toBeDefined();
    // Move the parent after its child.
    const parent = s.records.find((r) => r.type === 'NODE_DATA' && r.path === parentOf(child.path))!;
    const broken = { ...s, records: s.records.filter((r) => r !== parent) };
    broken.records.splice(broken.records.indexOf(child) + 1, 0, parent);
    expect(firstBrokenRule(broken, encodeStream(broken))).toMatch(/before its parent/);
  });

  it('counts bound what is generated', () => {
    fc.assert(
      fc.property(
        streamArbitrary({ counts: { connections: { min: 2, max: 3 }, nodes: { min: 5, max: 6 }, watches: 0, transactions: 0 } }),
        (s) => {
          const n = (t: string) => s.records.filter((r) => r.type === t).length;
          // 2 or 3, plus dom0's ring connection.
          expect(n('CONNECTION_DATA')).toBeGreaterThanOrEqual(3);
          expect(n('CONNECTION_DATA')).toBeLessThanOrEqual(4);
          // 5 or 6 nodes below /, plus / and the two specials.
          expect(n('NODE_DATA')).toBeGreaterThanOrEqual(8);
          expect(n('NODE_DATA')).toBeLessThanOrEqual(9);
          expect(n('WATCH_DATA') + n('WATCH_DATA_EXTENDED') + n('TRANSACTION_DATA')).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('non-canonical streams do hold each kind of oddity', () => {
    const seen = new Set<string>();
    for (const s of fc.sample(streamArbitrary({ nonCanonical: true, version: 2 }), { seed: SEED, numRuns: 200 })) {
      if (s.header.reservedFlags) seen.add('reservedFlags');
      if (s.trailing) seen.add('trailing');
      for (const r of s.records) {
        for (const k of ['len', 'padding', 'unterminated', 'pad', 'dataPad', 'producerDefect']) if (k in r) seen.add(k);
        if (r.type === 'UNKNOWN') seen.add('UNKNOWN');
      }
    }
    expect([...seen].sort()).toEqual(['UNKNOWN', 'dataPad', 'len', 'pad', 'padding', 'producerDefect', 'reservedFlags', 'trailing', 'unterminated']);
  });
});
