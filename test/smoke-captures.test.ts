import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';

const dir = new URL('../fixtures/captures/', import.meta.url);
const captures = readdirSync(dir).filter((f) => f.endsWith('.bin'));

describe('real captures round-trip byte for byte', () => {
  it('has the four captures', () => expect(captures.length).toBeGreaterThanOrEqual(4));
  for (const f of captures) {
    it(f, () => {
      const bytes = readFileSync(new URL(f, dir));
      const out = encodeStream(decodeStream(bytes));
      expect(Buffer.compare(Buffer.from(out), bytes)).toBe(0);
    });
  }
});
