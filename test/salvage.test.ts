// --salvage (issue 17): a damaged or cut-short stream read past its faults, never silently.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { recordToJson } from '../src/model/json.js';
import { salvageStream } from '../src/model/salvage.js';
import type { XsRecord } from '../src/model/types.js';

const js = (rs: XsRecord[]) => rs.map(recordToJson);
import { CAPTURES, runCli } from './helpers/cli.js';

const QUOTA = `${CAPTURES}head-v2-quota.bin`;
const good = readFileSync(QUOTA);
const { stream, locations } = decodeStreamDetailed(good);
const dir = mkdtempSync(join(tmpdir(), 'xsmig-salvage-'));
const file = (name: string, b: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
};

/** Record #5's len made 0xffffffff: a fault at byte 324, its 40 bytes skipped. */
const badLen = Buffer.from(good);
badLen.fill(0xff, 324, 328);
/** 16 bytes of garbage between records #10 and #11. */
const at11 = locations[11]!.offset;
const inserted = Buffer.concat([good.subarray(0, at11), Buffer.alloc(16, 0xee), good.subarray(at11)]);
/** Cut at byte 3000, inside a record. */
const cut = good.subarray(0, 3000);

describe('salvageStream', () => {
  it('resynchronises after garbage between records: every record read, the garbage skipped', () => {
    const s = salvageStream(inserted);
    expect(js(s.records)).toEqual(js(stream.records));
    expect(s.faults).toHaveLength(1);
    expect(s.faults[0]).toMatchObject({ skippedFrom: at11, skippedTo: at11 + 16, resumed: true });
    expect(s.faults[0]!.error.offset).toBeGreaterThanOrEqual(at11);
    expect(s.locations.slice(11).map((l) => l.offset)).toEqual(locations.slice(11).map((l) => l.offset + 16));
    expect(s.ended).toBe(true);
  });

  it('a stream cut short: every complete record before the cut, no END', () => {
    const s = salvageStream(cut);
    const whole = locations.filter((l) => l.offset + l.wireLen <= 3000).length;
    expect(js(s.records)).toEqual(js(stream.records.slice(0, whole)));
    expect(s.ended).toBe(false);
    expect(s.faults.at(-1)).toMatchObject({ resumed: false, skippedTo: 3000 });
  });

  it('an intact stream: no fault', () => {
    const s = salvageStream(good);
    expect(s.faults).toEqual([]);
    expect(js(s.records)).toEqual(js(stream.records));
  });
});

describe('--salvage on dump, info and check', () => {
  it('dump: the fault where it is, the bytes skipped, the records after it; exit 2 and a line on stderr', () => {
    const r = runCli(['dump', '--salvage', file('bad-len.bin', badLen)]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/fault at byte 324 \(0x144\), record #5 \(CONNECTION_DATA\), field len: expected len 4294967295/);
    expect(r.stdout).toMatch(/skipped bytes 320\.\.359 \(0x140\.\.0x167, 40 bytes\); resumed at a record header at byte 360/);
    expect(r.stdout).toMatch(/#5 @360 \(0x168\) CONNECTION_DATA/);
    expect(r.stdout).toMatch(/60 records read; 1 fault\(s\)/);
    expect(r.stderr).toBe(`xsmig: ${join(dir, 'bad-len.bin')}: salvaged: 1 fault(s), 40 byte(s) skipped, 60 record(s) read\n`);
    const j = runCli(['dump', '--salvage', '--json', '-'], { input: badLen }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(j.find((o) => o.fault).fault).toMatchObject({ offset: 324, recordIndex: 5, skippedFrom: 320, skippedTo: 360, resumed: true });
    expect(j.at(-1).salvage).toMatchObject({ recordsRead: 60, skippedBytes: 40, ended: true });
  });

  it('dump of a cut stream: the records before the cut, "cut short"', () => {
    const r = runCli(['dump', '--salvage', '-'], { input: cut });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/no END record: the stream is cut short/);
    expect(r.stderr).toMatch(/no END \(cut short\)/);
  });

  it('info and check: what was read, the faults listed; exit 2', () => {
    const i = runCli(['info', '--salvage', '-'], { input: inserted });
    expect(i.status).toBe(2);
    expect(i.stdout).toMatch(/Salvage \(1 fault\(s\)\)/);
    expect(i.stdout).toMatch(/61 records: /);
    const ij = JSON.parse(runCli(['info', '--salvage', '--json', '-'], { input: inserted }).stdout);
    expect(ij.salvage.faults).toHaveLength(1);
    expect(ij.records).toBe(61);
    const c = runCli(['check', '--salvage', '--json', '-'], { input: cut });
    expect(c.status).toBe(2);
    const cj = JSON.parse(c.stdout);
    expect(cj.ok).toBe(false);
    expect(cj.salvage.ended).toBe(false);
    const clean = runCli(['check', '--salvage', QUOTA]);
    expect(clean.status).toBe(0);
  });

  it('tree: the nodes read past the fault (the same listing here: the damage is in a connection), faults on stderr; exit 2', () => {
    const r = runCli(['tree', '-p', '--salvage', '-'], { input: badLen });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe(runCli(['tree', '-p', QUOTA]).stdout);
    expect(r.stderr).toMatch(/fault at byte 324[\s\S]*skipped bytes 320\.\.359[\s\S]*salvaged: 1 fault\(s\)/);
    const j = JSON.parse(runCli(['tree', '--json', '--salvage', '-'], { input: inserted }).stdout);
    expect(j.salvage.faults).toHaveLength(1);
  });

  it('convert: refused without --force (the skipped regions are losses); with it a valid stream of what was read, exit 2', () => {
    const src = file('cut.bin', cut);
    const out = join(dir, 'rescued.bin');
    const refused = runCli(['convert', '--salvage', src, '-o', out]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^salvage REFUSED +1 fault\(s\), 520 byte\(s\) skipped, 49 record\(s\) read, END added/m);
    expect(refused.stderr).toMatch(/LOSSY +bytes 2480\.\.2999 \(520 bytes\) skipped: at byte 2484/);
    expect(refused.stderr).toMatch(/LOSSY +no END record/);
    expect(existsSync(out)).toBe(false);
    const forced = runCli(['convert', '--salvage', '--force', src, '-o', out]);
    expect(forced.status).toBe(2);
    expect(forced.stderr).toMatch(/^rename +ok/m);
    expect(forced.stderr).toMatch(/salvaged: 1 fault\(s\), 520 byte\(s\) skipped, 49 record\(s\) read, no END \(cut short\)/);
    const rescued = decodeStreamDetailed(readFileSync(out)).stream;
    expect(js(rescued.records)).toEqual(js([...stream.records.slice(0, 49), { type: 'END' }]));
    const j = JSON.parse(runCli(['convert', '--salvage', '--force', '--json', src, '-o', join(dir, 'r2.bin')]).stdout);
    expect(j.result).toBe('written');
    expect(j.salvage.faults[0]).toMatchObject({ skippedFrom: 2480, skippedTo: 3000 });
    expect(j.stages[0]).toMatchObject({ stage: 'salvage', ok: true });
    // An intact input: converted as without --salvage, exit 0.
    expect(runCli(['convert', '--salvage', QUOTA, '-o', join(dir, 'r3.bin')]).status).toBe(0);
    expect(readFileSync(join(dir, 'r3.bin')).equals(good)).toBe(true);
  });

  it('without --salvage the first fault still stops the command (exit 2)', () => {
    expect(runCli(['dump', '-'], { input: badLen }).status).toBe(2);
  });
});
