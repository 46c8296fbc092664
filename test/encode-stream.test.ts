// Streamed encode (issue 16): the JSON form read line by line (JsonFormReader) and written
// record by record (StreamWriter), as `xsmig encode` does: the decode document as decode
// writes it, dump --json's NDJSON, and other layouts parsed whole; the same bytes, errors and
// refusals as the whole-model encode.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { streamToJson, streamToJsonText } from '../src/model/json.js';
import { JsonFormReader, type JsonFormLayout } from '../src/model/json-stream.js';
import { StreamWriter } from '../src/model/stream-writer.js';
import { streamBytesArbitrary } from '../src/model/arbitraries.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { CAPTURES, runCli } from './helpers/cli.js';

/** Encodes a JSON form's text through the streaming path, fed in `chunk`-byte pieces. */
function streamedEncode(text: string, chunk: number): { bytes: Buffer; layout: JsonFormLayout; records: number } {
  const parts: Buffer[] = [];
  let w: StreamWriter | undefined;
  let trailing: Uint8Array | undefined;
  let records = 0;
  const reader = new JsonFormReader({
    onHeader: (h) => (w = new StreamWriter(h, (c) => parts.push(Buffer.from(c)))),
    onRecord: (r) => {
      records++;
      w!.write(r);
    },
    onTrailing: (b) => (trailing = b),
  });
  const b = Buffer.from(text, 'utf8');
  for (let at = 0; at < b.length; at += chunk) reader.push(b.subarray(at, at + chunk));
  reader.end();
  w!.end(trailing);
  return { bytes: Buffer.concat(parts), layout: reader.layout, records };
}

const captures = readdirSync(CAPTURES).filter((f) => f.endsWith('.bin')).map((f) => ({ name: f, bytes: readFileSync(join(CAPTURES, f)) }));
const golden = loadGoldenVectors().map((v) => ({ name: `golden ${v.name}.${v.order}`, bytes: Buffer.from(v.hex.bytes) }));
const withTrailing = { name: 'trailing', bytes: Buffer.concat([captures[0]!.bytes, Buffer.alloc(70000, 0x5a)]) };

describe('streamed encode of the decode document: the bytes decoded', () => {
  for (const { name, bytes } of [...captures, ...golden, withTrailing]) {
    it(`${name}, a record per line (chunks of 1, 7, 64 KiB)`, () => {
      const text = streamToJsonText(decodeStream(bytes));
      for (const n of [1, 7, 1 << 16]) {
        const r = streamedEncode(text, n);
        expect(r.layout).toBe('lines');
        expect(r.bytes.equals(bytes)).toBe(true);
      }
    });
  }

  it('generated streams, canonical and not', () => {
    fc.assert(fc.property(fc.oneof(streamBytesArbitrary(), streamBytesArbitrary({ nonCanonical: true })), fc.integer({ min: 1, max: 500 }), (bytes, n) => {
      expect(streamedEncode(streamToJsonText(decodeStream(bytes)), n).bytes.equals(Buffer.from(bytes))).toBe(true);
    }), { numRuns: 150 });
  });

  it('other layouts are parsed whole: pretty-printed, on one line, with a BOM, CRLF, keys in another order', () => {
    for (const { bytes } of [...captures, withTrailing]) {
      const j = streamToJson(decodeStream(bytes));
      const texts = [
        JSON.stringify(j, null, 2),
        JSON.stringify(j),
        `\ufeff${streamToJsonText(decodeStream(bytes))}`,
        streamToJsonText(decodeStream(bytes)).replace(/\n/g, '\r\n'),
        JSON.stringify({ records: j.records, header: j.header, format: j.format, trailingHex: j.trailingHex }, null, 1),
      ];
      for (const t of texts) expect(streamedEncode(t, 100).bytes.equals(bytes)).toBe(true);
      expect(streamedEncode(texts[0]!, 100).layout).toBe('whole');
      expect(streamedEncode(texts[2]!, 100).layout).toBe('lines');
      expect(streamedEncode(texts[3]!, 100).layout).toBe('lines');
    }
  });

  it('a layout that stops after some records: the rest parsed whole from that line', () => {
    const bytes = captures[0]!.bytes;
    const lines = streamToJsonText(decodeStream(bytes)).split('\n');
    // Record 3 (line 8) pretty-printed over several lines.
    const rec = JSON.parse(lines[7]!.trim().replace(/,$/, '')) as object;
    const text = [...lines.slice(0, 7), `${JSON.stringify(rec, null, 2)},`, ...lines.slice(8)].join('\n');
    const r = streamedEncode(text, 64);
    expect(r.layout).toBe('lines');
    expect(r.bytes.equals(bytes)).toBe(true);
  });

  it('errors: the JSON path and message of the whole-model encode; JSON syntax refused', () => {
    const lines = streamToJsonText(decodeStream(captures[0]!.bytes)).split('\n');
    const bad = (i: number, f: (l: string) => string): string => lines.map((l, k) => (k === i ? f(l) : l)).join('\n');
    expect(() => streamedEncode(bad(6, (l) => l.replace('"type":"', '"type":"X')), 50)).toThrow(/^records\[2\]\.type: unknown record type/);
    expect(() => streamedEncode(bad(1, (l) => l.replace('xsmig-stream/1', 'other')), 50)).toThrow('$.format: expected "xsmig-stream/1"');
    // A comma after the last record, a comma missing between two: not JSON.
    const last = lines.findIndex((l) => l === '  ]') - 1;
    expect(() => streamedEncode(bad(last, (l) => `${l},`), 50)).toThrow(SyntaxError);
    expect(() => streamedEncode(bad(5, (l) => l.replace(/,$/, '')), 50)).toThrow(SyntaxError);
    expect(() => streamedEncode(lines.slice(0, 8).join('\n'), 50)).toThrow(SyntaxError);
  });
});

describe('xsmig encode (CLI): decode | encode and dump --json | encode, byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsmig-encode-stream-'));
  const files = [...captures, ...golden.filter((_, i) => i % 4 === 0), withTrailing];
  files.push({ name: 'gen --non-canonical', bytes: runCli(['gen', '--seed', '21', '--non-canonical', '-o', '-']).stdoutBytes });
  files.push({ name: 'gen --size 3M', bytes: runCli(['gen', '--seed', '22', '--size', '3M', '-o', '-']).stdoutBytes });
  it('decode | encode gives the bytes decoded; so does dump --json | encode (no trailing bytes)', () => {
    files.forEach(({ name, bytes }, i) => {
      const p = join(dir, `${i}.bin`);
      writeFileSync(p, bytes);
      const json = runCli(['decode', p]).stdoutBytes;
      const enc = runCli(['encode', '-', '-o', '-'], { input: json });
      expect(enc.status, `${name}: ${enc.stderr}`).toBe(0);
      expect(enc.stdoutBytes.equals(bytes), name).toBe(true);
      if (name === 'trailing') return;
      const nd = runCli(['dump', '--json', p]).stdoutBytes;
      const enc2 = runCli(['encode', '-', '-o', '-'], { input: nd });
      expect(enc2.status, `${name}: ${enc2.stderr}`).toBe(0);
      expect(enc2.stdoutBytes.equals(bytes), name).toBe(true);
    });
  });

  it('refuses a dump --json that does not hold the stream: trailing bytes, a filtered dump', () => {
    const p = join(dir, 'trailing.bin');
    writeFileSync(p, withTrailing.bytes);
    const t = runCli(['encode', '-', '-o', join(dir, 'out1')], { input: runCli(['dump', '--json', p]).stdoutBytes });
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/trailingBytes: dump --json gives only the count/);
    const c = join(dir, 'c.bin');
    writeFileSync(c, captures[0]!.bytes);
    const f = runCli(['encode', '-', '-o', join(dir, 'out2')], { input: runCli(['dump', '--json', '--type', 'NODE_DATA', c]).stdoutBytes });
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/\.index: expected 0, found \d+: a filtered dump --json/);
    expect(readdirSync(dir).filter((n) => n.startsWith('out') || n.includes('.tmp'))).toEqual([]);
  });

  it('no END, records after END: the whole-model messages', () => {
    const lines = streamToJsonText(decodeStream(captures[0]!.bytes)).split('\n');
    const endLine = lines.findIndex((l) => l.includes('"type":"END"'));
    const noEnd = [...lines.slice(0, endLine - 1), lines[endLine - 1]!.replace(/,$/, ''), ...lines.slice(endLine + 1)].join('\n');
    const r1 = runCli(['encode', '-', '-o', '-'], { input: noEnd });
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/the stream has no END record/);
    const after = [...lines.slice(0, endLine), `${lines[endLine]!},`, lines[2 + 3]!.replace(/,$/, ''), ...lines.slice(endLine + 1)].join('\n');
    const r2 = runCli(['encode', '-', '-o', '-'], { input: after });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`records\\[${endLine - 4}\\] \\(END\\): END is not the last record \\(1 record\\(s\\) after it`));
  });
});
