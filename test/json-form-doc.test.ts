// spec/json-form.md must describe the JSON form the code really produces: its examples must
// round-trip, and its per-record key tables must name exactly the keys that decoded golden
// vectors and captures carry.

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { ALL_RECORD_TYPE_NAMES } from '../src/wire/constants.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';

const doc = readFileSync(new URL('../spec/json-form.md', import.meta.url), 'utf8');

/** Key names of the table after `<!-- keys: NAME -->` (`a` / `aHex` rows give both). */
function docKeys(name: string): string[] {
  const marker = `<!-- keys: ${name} -->`;
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`spec/json-form.md has no table marked ${marker}`);
  const lines = doc.slice(at + marker.length).trimStart().split('\n');
  const keys: string[] = [];
  for (const l of lines.slice(2)) {
    if (!l.startsWith('|')) break;
    const cell = l.split('|')[1]!;
    for (const m of cell.matchAll(/`([A-Za-z]+)`/g)) keys.push(m[1]!);
  }
  return keys;
}

/** Every record (as JSON) of every golden vector and real capture. */
function observedRecords(): Record<string, unknown>[] {
  const recs: Record<string, unknown>[] = [];
  for (const v of loadGoldenVectors()) recs.push(...(v.json.records as Record<string, unknown>[]));
  const dir = new URL('../fixtures/captures/', import.meta.url);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.bin'))) {
    recs.push(...(streamToJson(decodeStream(readFileSync(new URL(f, dir)))).records as Record<string, unknown>[]));
  }
  return recs;
}

describe('spec/json-form.md', () => {
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has examples, and each one encodes and decodes back to itself', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) {
      const j = JSON.parse(b) as unknown;
      expect(streamToJson(decodeStream(encodeStream(streamFromJson(j))))).toEqual(j);
    }
  });

  it('lists exactly the keys the records carry, per type', () => {
    const extras = docKeys('extras');
    const observed = new Map<string, Set<string>>();
    for (const r of observedRecords()) {
      const t = r.type as string;
      if (!observed.has(t)) observed.set(t, new Set());
      for (const k of Object.keys(r)) if (k !== 'type') observed.get(t)!.add(k);
    }
    const seenAnywhere = new Set([...observed.values()].flatMap((s) => [...s]));
    for (const t of [...ALL_RECORD_TYPE_NAMES, 'UNKNOWN']) {
      const listed = new Set([...docKeys(t), ...extras]);
      const seen = observed.get(t) ?? new Set();
      // Nothing undocumented ...
      expect([...seen].filter((k) => !listed.has(k)), `undocumented keys of ${t}`).toEqual([]);
      // ... and nothing documented that no record of that type carries.
      expect(docKeys(t).filter((k) => !seen.has(k)), `documented but never seen on ${t}`).toEqual([]);
    }
    for (const k of extras) expect(seenAnywhere, `extra ${k}`).toContain(k);
  });

  it('strings are one char per byte, as it says (UTF-8 path bytes show as Latin-1 chars)', () => {
    const j = {
      format: 'xsmig-stream/1',
      header: { version: 1, byteOrder: 'little', reservedFlags: 0 },
      records: [{ type: 'WATCH_DATA', connId: 1, wpath: '/Ã¼', token: 't' }, { type: 'END' }],
    };
    const bytes = Buffer.from(encodeStream(streamFromJson(j)));
    expect(bytes.includes(Buffer.from('2fc3bc00', 'hex'))).toBe(true);
    expect(streamToJson(decodeStream(bytes))).toEqual(j);
  });
});
