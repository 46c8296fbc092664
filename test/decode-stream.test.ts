// Streamed decode (issue 16): the JSON form written record by record (JsonFormWriter behind a
// StreamReader, as `xsmig decode` does) is byte for byte streamToJsonText of the whole stream:
// on every capture, every golden vector, generated streams (non-canonical ones included) and
// trailing data longer than the reader keeps.
import { readdirSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { streamToJsonText } from '../src/model/json.js';
import { JsonFormWriter } from '../src/model/json-stream.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { streamBytesArbitrary } from '../src/model/arbitraries.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { CAPTURES, runCli } from './helpers/cli.js';

/** The JSON form through the streaming path, the input cut into `chunk`-byte pieces. */
export function streamedJson(bytes: Uint8Array, chunk: number): string {
  const parts: Uint8Array[] = [];
  const out = new JsonFormWriter((c) => parts.push(Buffer.from(c)));
  const reader = new StreamReader({
    onHeader: (h) => out.header(h),
    onRecord: (r, loc) => out.recordAt(r, loc),
  });
  for (let at = 0; at < bytes.length; at += chunk) {
    const c = bytes.subarray(at, Math.min(bytes.length, at + chunk));
    reader.push(c);
    out.input(c);
  }
  reader.end();
  out.end();
  return Buffer.concat(parts).toString('utf8');
}

const captures = readdirSync(CAPTURES).filter((f) => f.endsWith('.bin')).map((f) => ({ name: f, bytes: readFileSync(join(CAPTURES, f)) }));
const golden = loadGoldenVectors().map((v) => ({ name: `golden ${v.name}.${v.order}`, bytes: Buffer.from(v.hex.bytes) }));

describe('streamed decode: the same JSON text as the whole-model decode', () => {
  for (const { name, bytes } of [...captures, ...golden]) {
    it(`${name} (chunks of 1, 7 and 64 KiB bytes)`, () => {
      const want = streamToJsonText(decodeStream(bytes));
      for (const n of [1, 7, 1 << 16]) expect(streamedJson(bytes, n)).toBe(want);
    });
  }

  it('generated streams, canonical and not, cut anywhere', () => {
    fc.assert(fc.property(fc.oneof(streamBytesArbitrary(), streamBytesArbitrary({ nonCanonical: true })), fc.integer({ min: 1, max: 300 }), (bytes, n) => {
      expect(streamedJson(bytes, n)).toBe(streamToJsonText(decodeStream(bytes)));
    }), { numRuns: 150 });
  });

  it('trailing data longer than the MiB the reader keeps', () => {
    const base = captures[0]!.bytes;
    const tail = Buffer.alloc(3 << 20);
    for (let i = 0; i < tail.length; i++) tail[i] = (i * 31) & 0xff;
    const bytes = Buffer.concat([base, tail]);
    expect(streamedJson(bytes, 1 << 16)).toBe(streamToJsonText(decodeStream(bytes)));
  });
});

describe('xsmig decode (CLI) streams the same bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsmig-decode-stream-'));
  const files = [...captures, ...golden];
  const tail = Buffer.concat([captures[0]!.bytes, Buffer.alloc((1 << 20) + 5, 0xab)]);
  files.push({ name: 'trailing', bytes: tail });
  const gen = runCli(['gen', '--seed', '11', '--non-canonical', '-o', '-']);
  files.push({ name: 'gen --non-canonical', bytes: gen.stdoutBytes });
  const big = runCli(['gen', '--seed', '12', '--size', '3M', '-o', '-']);
  files.push({ name: 'gen --size 3M', bytes: big.stdoutBytes });
  it('on every capture, golden vector and generated stream, from a file and from stdin', () => {
    files.forEach(({ name, bytes }, i) => {
      const want = streamToJsonText(decodeStream(bytes));
      const p = join(dir, `${i}.bin`);
      writeFileSync(p, bytes);
      const r = runCli(['decode', p]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toBe(want);
      if (i % 5 === 0) expect(runCli(['decode', '-'], { input: bytes }).stdout, name).toBe(want);
    });
  });
});
