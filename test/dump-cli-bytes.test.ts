// `xsmig dump` as a user runs it prints, byte for byte, the header line, every record as the
// general renderer shows it, and the closing count: whichever records the byte renderer takes
// and whichever it hands back, from a file or from stdin, in the plain argument forms (run
// without yargs) and through yargs.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { palette } from '../src/cli/color.js';
import { plainDumpArgs } from '../src/cli/commands/dump.js';
import { headerLine } from '../src/cli/render/names.js';
import { renderRecord } from '../src/cli/render/record.js';
import { fc, streamBytesArbitrary } from '../src/model/arbitraries.js';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { CAPTURES, runCli } from './helpers/cli.js';

/** What dump must print for `bytes`, built from the general renderer alone. */
function expectedDump(bytes: Uint8Array, maxBytes: number): string {
  const { stream, locations } = decodeStreamDetailed(bytes);
  let s = `${headerLine(stream.header)}\n`;
  stream.records.forEach((r, i) => {
    const loc = locations[i]!;
    const own = bytes.subarray(loc.offset, loc.offset + loc.wireLen);
    s += `\n${renderRecord(r, loc, own, { order: stream.header.byteOrder, maxBytes, hex: false, color: palette(false) }).join('\n')}\n`;
  });
  if (stream.trailing) s += `\n${stream.trailing.length} bytes after the END record (kept, not decoded)\n`;
  return `${s}\n${stream.records.length} records\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'xsmig-dump-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xsmig dump prints what the general renderer gives', () => {
  for (const f of readdirSync(CAPTURES).filter((n) => n.endsWith('.bin'))) {
    it(`capture ${f}: plain forms, yargs forms and stdin agree with it`, () => {
      const file = `${CAPTURES}${f}`;
      const bytes = readFileSync(file);
      const plain = runCli(['dump', file]);
      expect(plain.status).toBe(0);
      expect(plain.stdout).toBe(expectedDump(bytes, 128));
      // `--no-hex` is not a plain form: yargs parses it.
      expect(runCli(['dump', '--no-hex', '--max-bytes', '0', file]).stdout).toBe(expectedDump(bytes, 0));
      expect(runCli(['dump', '--max-bytes=4', '-'], { input: bytes }).stdout).toBe(expectedDump(bytes, 4));
    });
  }

  it('golden vectors (anomalies, unknown types, pending data, trailing bytes)', () => {
    const vectors = loadGoldenVectors();
    let n = 0;
    for (const v of vectors) {
      const file = join(dir, v.file.replace(/\.hex$/, '.bin'));
      writeFileSync(file, v.hex.bytes);
      const r = runCli(['dump', '--max-bytes', '1', file]);
      expect(r.status, v.file).toBe(0);
      expect(r.stdout, v.file).toBe(expectedDump(v.hex.bytes, 1));
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(40);
  });

  it('generated streams, canonical and not, both byte orders', () => {
    const samples = fc.sample(
      fc.tuple(streamBytesArbitrary({ nonCanonical: true, maxValueSize: 200 }), streamBytesArbitrary({ maxValueSize: 200 })),
      { seed: 20261122, numRuns: 3 },
    );
    for (const [a, b] of samples) {
      for (const bytes of [a, b]) {
        const r = runCli(['dump', '-'], { input: Buffer.from(bytes) });
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(expectedDump(bytes, 128));
      }
    }
  });
});

describe('plain dump arguments', () => {
  it('takes FILE or -, --hex, --json and --max-bytes N (decimal), each once', () => {
    expect(plainDumpArgs(['a.bin'])).toEqual({ file: 'a.bin', 'max-bytes': 128 });
    expect(plainDumpArgs([])).toEqual({ 'max-bytes': 128 });
    expect(plainDumpArgs(['-', '--hex'])).toEqual({ file: '-', hex: true, 'max-bytes': 128 });
    expect(plainDumpArgs(['--max-bytes', '0', 'a.bin', '--json'])).toEqual({ file: 'a.bin', json: true, 'max-bytes': 0 });
    expect(plainDumpArgs(['--max-bytes=300', 'a.bin'])).toEqual({ file: 'a.bin', 'max-bytes': 300 });
  });

  it('leaves every other form to yargs', () => {
    for (const args of [
      ['--help'], ['a.bin', 'b.bin'], ['--max-bytes', '-1', 'a.bin'], ['--max-bytes', '0x10'], ['--max-bytes', '1e3'], ['--max-bytes'],
      ['--max-bytes', '1', '--max-bytes', '2'], ['--hex', '--hex'], ['--no-hex'], ['--type', 'node', 'a.bin'], ['--path', '/x'],
      ['--conn', '1'], ['--domid', '0'], ['--html', 'a.bin'], ['-o', 'x.html'], ['--json', 'false'], [''], ['-x'],
    ]) {
      expect(plainDumpArgs(args), JSON.stringify(args)).toBeUndefined();
    }
  });

  it('dump --help still prints the command help (through yargs)', () => {
    const help = runCli(['dump', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--max-bytes');
  });
});
