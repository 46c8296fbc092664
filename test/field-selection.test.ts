// Field selection (StreamReader `select`): a record decoded with a selection must hold exactly
// the keys asked for, with the full decode's values, plus every extra that marks an anomaly;
// and a selected pass must fail where, and as, the full pass fails. Checked on the captures,
// generated streams (canonical and not, both orders, both versions), the golden vectors and
// mutated copies of them.

import { describe, expect, it } from 'vitest';
import { decodeStreamFastDetailed, type FieldSelection } from '../src/model/fast-decode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { XsRecord } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { mutatedCorpus, seedCorpus } from './helpers/hostile.js';

/**
 * Keys a selected record keeps whatever was asked: the anomaly markers, and CONNECTION_DATA's
 * conn-spec (always decoded: the socket form carries a reserved pad).
 */
const EXTRAS = ['len', 'padding', 'unterminated', 'pad', 'dataPad', 'connSpec'];

const SELECTIONS: Record<string, FieldSelection> = {
  info: { NODE_DATA: ['connId', 'path:span', 'valueLen'], WATCH_DATA: ['connId'], TRANSACTION_DATA: ['connId'] },
  strings: { NODE_DATA: ['path'], WATCH_DATA: ['wpath:span', 'token'], WATCH_DATA_EXTENDED: ['token:span', 'depth'] },
  sizes: { NODE_DATA: ['pathLen', 'permCount'], WATCH_DATA_EXTENDED: ['depth', 'wpathLen'], CONNECTION_DATA: ['connId', 'inDataLen', 'outDataLen'] },
  nothing: { NODE_DATA: [], WATCH_DATA: [], WATCH_DATA_EXTENDED: [], TRANSACTION_DATA: [], GLOBAL_DATA: [] },
  bytes: { NODE_DATA: ['perms', 'value'], CONNECTION_DATA: ['inData', 'outData', 'uniqueId'] },
};

const SIZE_KEYS = ['pathLen', 'valueLen', 'wpathLen', 'tokenLen', 'inDataLen', 'outDataLen', 'permCount'];

/** What a full record says for `key` under a selection: size fields from the field they size. */
function expected(full: XsRecord, key: string): unknown {
  const m = full as unknown as Record<string, unknown>;
  // A span names where the string lies in `source`: the bytes there are the string.
  if (key.endsWith(':span')) return m[key.slice(0, -5)];
  const sizeOf: Record<string, [string, number]> = {
    pathLen: ['path', 1], valueLen: ['value', 0], wpathLen: ['wpath', 1], tokenLen: ['token', 1], inDataLen: ['inData', 0], outDataLen: ['outData', 0],
  };
  if (key === 'permCount') return (m.perms as unknown[]).length;
  const s = sizeOf[key];
  if (s) {
    const v = m[s[0]];
    // An unterminated string has no NUL: its size field is its length.
    const unterminated = (full.unterminated ?? []).includes(s[0]);
    return typeof v === 'string' ? v.length + (unterminated ? 0 : s[1]) : (v as Uint8Array).length;
  }
  return m[key];
}

function selectedPass(bytes: Uint8Array, select: FieldSelection, chunk: number): { records: XsRecord[]; error?: DecodeError } {
  const records: XsRecord[] = [];
  const reader = new StreamReader({ onRecord: (r) => void records.push(r) }, { select });
  try {
    for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
    reader.end();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { records, error: e };
  }
  return { records };
}

function fullPass(bytes: Uint8Array): { records: XsRecord[]; error?: DecodeError } {
  const records: XsRecord[] = [];
  try {
    decodeStreamFastDetailed(bytes, (r) => void records.push(r));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { records, error: e };
  }
  return { records };
}

function compare(bytes: Uint8Array, name: string, chunk = 4096): number {
  const full = fullPass(bytes);
  let checked = 0;
  for (const [selName, select] of Object.entries(SELECTIONS)) {
    const sel = selectedPass(bytes, select, chunk);
    const where = `${name}, selection ${selName}`;
    expect(sel.error?.message, where).toBe(full.error?.message);
    expect(sel.error?.offset, where).toBe(full.error?.offset);
    expect(sel.records.length, where).toBe(full.records.length);
    sel.records.forEach((r, i) => {
      const f = full.records[i]!;
      const keys = select[f.type as keyof FieldSelection];
      const shortHeader = f.type === 'WATCH_DATA_EXTENDED' && f.producerDefect !== undefined;
      const quota = f.type === 'DOMAIN_DATA' || f.type === 'GLOBAL_QUOTA_DATA';
      if (keys === undefined || shortHeader || quota) {
        // Not selected (or one of the kinds always decoded whole): the full record.
        expect(r, `${where} #${i}`).toEqual(f);
        return;
      }
      const m = r as unknown as Record<string, unknown>;
      // (An optional field, such as a unique-id the record does not have, stays absent.)
      const want = new Set(['type', ...keys.filter((k) => k in f || SIZE_KEYS.includes(k) || k.endsWith(':span')), ...EXTRAS.filter((k) => k in f)]);
      const spans = keys.filter((k) => k.endsWith(':span')).map((k) => k.slice(0, -5));
      const keysWanted = [...want].flatMap((k) => (k.endsWith(':span') ? [`${k.slice(0, -5)}Start`, `${k.slice(0, -5)}End`] : [k]));
      if (spans.length) keysWanted.push('source');
      expect(Object.keys(m).sort(), `${where} #${i} ${f.type}`).toEqual(keysWanted.sort());
      for (const k of want) {
        if (k.endsWith(':span')) {
          const name = k.slice(0, -5);
          const text = (m.source as Buffer).toString('latin1', m[`${name}Start`] as number, m[`${name}End`] as number);
          expect(text, `${where} #${i} ${f.type}.${k}`).toBe(expected(f, k));
        } else expect(m[k], `${where} #${i} ${f.type}.${k}`).toEqual(k === 'type' || EXTRAS.includes(k) ? (f as unknown as Record<string, unknown>)[k] : expected(f, k));
      }
      checked++;
    });
  }
  return checked;
}

describe('field selection', () => {
  it('gives exactly the selected keys, the full values and the extras on captures and generated streams', () => {
    let checked = 0;
    for (const seed of seedCorpus(71, 4)) checked += compare(seed.bytes, seed.name);
    expect(checked).toBeGreaterThan(500);
  });

  it('agrees on every golden vector', () => {
    const vectors = loadGoldenVectors();
    expect(vectors.length).toBeGreaterThan(20);
    for (const v of vectors) compare(v.hex.bytes, v.file, 7);
  });

  it('fails where and as the full decode fails, on mutated streams', () => {
    let faults = 0;
    for (const { i, name, bytes, how } of mutatedCorpus(72, 600)) {
      if (fullPass(bytes).error) faults++;
      compare(bytes, `${name} ${how}`, 1 + (i % 97));
    }
    expect(faults).toBeGreaterThan(100);
  });

  it('builds no permissions, values or strings that were not asked for', () => {
    const seed = seedCorpus(73, 1).find((s) => s.name.startsWith('realistic'))!;
    const sel = selectedPass(seed.bytes, SELECTIONS.info!, 65536);
    const nodes = sel.records.filter((r) => r.type === 'NODE_DATA');
    expect(nodes.length).toBeGreaterThan(50);
    for (const n of nodes) {
      expect('perms' in n || 'value' in n || 'path' in n).toBe(false);
      expect(typeof (n as unknown as { valueLen: unknown }).valueLen).toBe('number');
    }
  });
});

describe('reuseLocation', () => {
  it('hands one location object, holding each record\'s own figures during its call', () => {
    for (const seed of seedCorpus(74, 2)) {
      const fresh: string[] = [];
      const reused: string[] = [];
      const objects = new Set<object>();
      new StreamReader({ onRecord: (_r, loc) => void fresh.push(JSON.stringify(loc)) }).push(seed.bytes);
      const reader = new StreamReader({ onRecord: (_r, loc) => { reused.push(JSON.stringify(loc)); objects.add(loc); } }, { reuseLocation: true });
      for (let at = 0; at < seed.bytes.length; at += 333) reader.push(seed.bytes.subarray(at, at + 333));
      reader.end();
      expect(reused, seed.name).toEqual(fresh);
      expect(objects.size, seed.name).toBe(1);
    }
  });
});
