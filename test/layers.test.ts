// src/ is layered: wire < model < check < convert < cli. A module may import from its own
// layer and those below, never from one above (README, "Layers").

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const RANK: Record<string, number> = { wire: 1, model: 2, check: 3, convert: 4, cli: 5 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(path: string): string | undefined {
  return relative(SRC, path).split(/[\\/]/)[0];
}

describe('layer order', () => {
  const all = files(SRC);
  it('finds the layers', () => {
    expect(all.some((f) => layerOf(f) === 'wire')).toBe(true);
    expect(all.some((f) => layerOf(f) === 'cli')).toBe(true);
  });
  for (const f of all) {
    const layer = layerOf(f)!;
    if (!(layer in RANK)) continue;
    it(relative(SRC, f), () => {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = layerOf(resolve(dirname(f), m[1]!));
        if (target && target in RANK) {
          expect(RANK[target]!, `${relative(SRC, f)} imports ${m[1]} (layer ${target} is above ${layer})`).toBeLessThanOrEqual(RANK[layer]!);
        }
      }
    });
  }
});
