// Golden vectors: hand-assembled streams (fixtures/golden/*.hex, one comment per field) and
// the model each must decode to, in xsmig's JSON form. Checked both ways: bytes -> model must
// give the JSON, JSON -> bytes must give the hex file byte for byte.

import { describe, expect, it } from 'vitest';
import { decodeStream, decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { streamAnomalies } from '../src/model/anomalies.js';
import { ALL_RECORD_TYPE_NAMES } from '../src/wire/constants.js';
import { HexSyntaxError, loadGoldenVectors, parseAnnotatedHex, recordMarks } from './helpers/annotated-hex.js';

const vectors = loadGoldenVectors();

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

describe('annotated hex reader', () => {
  it('reads bytes, skips comments and records marks', () => {
    const h = parseAnnotatedHex('# title\n## header\n01 02  # a\n\n## record 0: END\nff # b\n');
    expect(hexOf(h.bytes)).toBe('0102ff');
    expect(h.marks).toEqual([{ label: 'header', offset: 0 }, { label: 'record 0: END', offset: 2 }]);
  });
  it('refuses a line of bytes without a comment, and a token that is not one byte', () => {
    expect(() => parseAnnotatedHex('01 02\n')).toThrow(HexSyntaxError);
    expect(() => parseAnnotatedHex('01 02 #   \n')).toThrow(HexSyntaxError);
    expect(() => parseAnnotatedHex('0102 # two bytes in one token\n')).toThrow(HexSyntaxError);
    expect(() => parseAnnotatedHex('0g # not hex\n')).toThrow(HexSyntaxError);
  });
});

/** Names of the anomaly markers a decoded stream carries (what a checker would report). */
function anomalies(s: Stream): string[] {
  const found = new Set<string>();
  if (s.header.reservedFlags !== 0) found.add('reservedFlags');
  if (s.trailing) found.add('trailing');
  const visit = (r: XsRecord) => {
    if (r.type === 'UNKNOWN') found.add('unknownType');
    if (r.len !== undefined) found.add('len');
    if (r.padding) found.add('padding');
    if (r.unterminated) found.add('unterminated');
    if (r.type === 'CONNECTION_DATA') {
      if (r.dataPad) found.add('dataPad');
      if ('pad' in r.connSpec && r.connSpec.pad !== undefined) found.add('pad');
    }
    if (r.type === 'WATCH_DATA_EXTENDED') {
      if (r.pad !== undefined) found.add('pad');
      if (r.producerDefect) found.add('producerDefect');
    }
  };
  s.records.forEach(visit);
  return [...found].sort();
}

/** What each vector must be marked with; a vector not listed here must carry no marker. */
const EXPECTED_ANOMALIES: Record<string, string[]> = {
  'unknown-type': ['unknownType'],
  'anomaly-unpadded-len': ['len'],
  'anomaly-nonzero-padding': ['padding'],
  'anomaly-reserved-flags': ['reservedFlags'],
  'anomaly-unknown-type-unpadded': ['len', 'unknownType'],
  'anomaly-trailing': ['trailing'],
  'anomaly-unterminated': ['unterminated'],
  'anomaly-short-header-len-matches': ['producerDefect'],
  'anomaly-short-header-overrun': ['producerDefect'],
  'anomaly-internal-pad': ['dataPad', 'pad'],
};

describe('golden vectors', () => {
  it('are all there: every record type in both byte orders, and the non-canonical cases', () => {
    const names = new Set(vectors.map((v) => `${v.name}.${v.order}`));
    const required = [
      'end', 'global-data', 'connection-ring-unique-id', 'connection-ring-pending', 'connection-socket',
      'watch-data', 'transaction-data', 'node-committed', 'node-transaction', 'global-quota',
      'domain-data', 'watch-extended-depth', 'watch-extended-unlimited', 'unknown-type',
    ];
    for (const n of required) {
      expect(names, n).toContain(`${n}.little`);
      expect(names, n).toContain(`${n}.big`);
    }
    for (const n of Object.keys(EXPECTED_ANOMALIES)) expect(names, n).toContain(`${n}.little`);
    // Every record type of the format occurs in a vector of each byte order.
    for (const order of ['little', 'big'] as const) {
      const types = new Set<string>();
      for (const v of vectors.filter((x) => x.order === order)) {
        for (const r of (v.json.records as { type: string }[])) types.add(r.type);
      }
      for (const t of [...ALL_RECORD_TYPE_NAMES, 'UNKNOWN']) expect(types, `${t} (${order})`).toContain(t);
    }
  });

  for (const v of vectors) {
    describe(v.file, () => {
      it('decodes to the expected JSON form', () => {
        expect(streamToJson(decodeStream(v.hex.bytes))).toEqual(v.json);
      });

      it('encodes from the JSON form to the same bytes', () => {
        const out = encodeStream(streamFromJson(v.json));
        expect(hexOf(out)).toBe(hexOf(v.hex.bytes));
      });

      it('declares the byte order of its file name in its header', () => {
        expect(decodeStream(v.hex.bytes).header.byteOrder).toBe(v.order);
      });

      it('has its records where the hand-written marks put them', () => {
        const { locations } = decodeStreamDetailed(v.hex.bytes);
        expect(locations.map((l) => l.offset)).toEqual(recordMarks(v.hex).map((m) => m.offset));
      });

      it('carries exactly the anomaly markers expected of it', () => {
        expect(anomalies(decodeStream(v.hex.bytes))).toEqual(EXPECTED_ANOMALIES[v.name] ?? []);
      });

      it('is reported by the model anomaly list with the same kinds', () => {
        const kind: Record<string, string> = {
          unknownType: 'unknown-type', len: 'len', padding: 'padding', reservedFlags: 'reserved-flags', trailing: 'trailing',
          unterminated: 'unterminated', producerDefect: 'producer-defect', dataPad: 'internal-pad', pad: 'internal-pad',
        };
        const expected = [...new Set((EXPECTED_ANOMALIES[v.name] ?? []).map((a) => kind[a]!))].sort();
        expect([...new Set(streamAnomalies(decodeStream(v.hex.bytes)).map((a) => a.kind))].sort()).toEqual(expected);
      });

      it('decodes the same through the chunked StreamReader (1-byte chunks)', () => {
        const recs: XsRecord[] = [];
        let trailing: Uint8Array | undefined;
        const reader = new StreamReader({
          onRecord: (r) => recs.push(r),
          onTrailing: (_n, head) => { trailing = Buffer.from(head); },
        });
        for (let i = 0; i < v.hex.bytes.length; i++) reader.push(v.hex.bytes.subarray(i, i + 1));
        reader.end();
        const whole = decodeStream(v.hex.bytes);
        expect(streamToJson({ header: whole.header, records: recs, ...(trailing ? { trailing } : {}) })).toEqual(streamToJson(whole));
      });
    });
  }
});
