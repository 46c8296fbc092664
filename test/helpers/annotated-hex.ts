// Reads the hand-assembled golden vectors of fixtures/golden/: hex byte pairs, each line of
// bytes followed by a `#` comment naming the field, `## label` lines marking where a section
// (header, record N, trailing) starts. Nothing here knows the format: the bytes are what a
// person wrote, so the codec is held against them and not against itself.

import { readFileSync, readdirSync, existsSync } from 'node:fs';

export interface Mark {
  label: string;
  offset: number;
}

export interface AnnotatedHex {
  bytes: Buffer;
  /** `## ...` lines, in order, with the offset of the byte that follows them. */
  marks: Mark[];
}

export class HexSyntaxError extends Error {}

export function parseAnnotatedHex(text: string, file = '<text>'): AnnotatedHex {
  const out: number[] = [];
  const marks: Mark[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    if (line === '') return;
    if (line.startsWith('##')) {
      marks.push({ label: line.slice(2).trim(), offset: out.length });
      return;
    }
    if (line.startsWith('#')) return;
    const hash = line.indexOf('#');
    if (hash < 0 || line.slice(hash + 1).trim() === '') {
      throw new HexSyntaxError(`${where}: a line of bytes needs a # comment naming its field`);
    }
    const tokens = line.slice(0, hash).trim().split(/\s+/);
    for (const t of tokens) {
      if (!/^[0-9a-fA-F]{2}$/.test(t)) throw new HexSyntaxError(`${where}: "${t}" is not one hex byte`);
      out.push(parseInt(t, 16));
    }
  });
  return { bytes: Buffer.from(out), marks };
}

export const GOLDEN_DIR = new URL('../../fixtures/golden/', import.meta.url);

export interface GoldenVector {
  /** `node-committed` */
  name: string;
  order: 'little' | 'big';
  /** `node-committed.le.hex` */
  file: string;
  hex: AnnotatedHex;
  /** The expected JSON form for this byte order. */
  json: Record<string, unknown>;
}

/**
 * Every golden vector. NAME.le.hex / NAME.be.hex pair with NAME.le.json / NAME.be.json when
 * the JSON differs by byte order (pending wire messages), otherwise with NAME.json, whose
 * header.byteOrder is then the one of the hex file.
 */
export function loadGoldenVectors(): GoldenVector[] {
  const files = readdirSync(GOLDEN_DIR).filter((f) => /\.(le|be)\.hex$/.test(f)).sort();
  return files.map((file) => {
    const m = /^(.*)\.(le|be)\.hex$/.exec(file)!;
    const name = m[1]!;
    const suffix = m[2]!;
    const order = suffix === 'le' ? 'little' : 'big';
    const hex = parseAnnotatedHex(readFileSync(new URL(file, GOLDEN_DIR), 'utf8'), file);
    const own = new URL(`${name}.${suffix}.json`, GOLDEN_DIR);
    let json: Record<string, unknown>;
    if (existsSync(own)) {
      json = JSON.parse(readFileSync(own, 'utf8')) as Record<string, unknown>;
    } else {
      json = JSON.parse(readFileSync(new URL(`${name}.json`, GOLDEN_DIR), 'utf8')) as Record<string, unknown>;
      json = { ...json, header: { ...(json.header as object), byteOrder: order } };
    }
    return { name, order, file, hex, json };
  });
}

/** Record start offsets from the `## record N: ...` marks, in record order. */
export function recordMarks(hex: AnnotatedHex): Mark[] {
  const recs = hex.marks.filter((m) => /^record \d+\b/.test(m.label));
  recs.forEach((m, i) => {
    if (!m.label.startsWith(`record ${i}:`) && !m.label.startsWith(`record ${i} `)) {
      throw new HexSyntaxError(`mark "${m.label}" out of sequence (expected record ${i})`);
    }
  });
  return recs;
}
