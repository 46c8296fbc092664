// spec/format.md must not drift from src/wire/layout.ts: every record layout table in the
// spec (marked `<!-- layout: NAME -->`) is compared row by row (offset, size, field, type)
// with rows derived here from the layout declarations. The meaning column is free text.
// Also checked: header, record type codes and versions, reserved domids, feature bits.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOMID, FEATURE_BITS, HEADER_SIZE, MIN_VERSION, RECORD_HEADER_SIZE, RecordType } from '../src/wire/constants.js';
import { INT_SIZE, LAYOUTS, WATCH_DATA_EXTENDED_SHORT, type Field, type LengthRef, type RecordLayout } from '../src/wire/layout.js';

const spec = readFileSync(new URL('../spec/format.md', import.meta.url), 'utf8');

type Row = [offset: string, size: string, field: string, type: string];

/** The table that follows `<!-- layout: KEY -->`, as rows of its first four cells. */
function specTable(key: string): Row[] | undefined {
  const marker = `<!-- layout: ${key} -->`;
  const at = spec.indexOf(marker);
  if (at < 0) return undefined;
  const lines = spec.slice(at + marker.length).split('\n');
  let i = 0;
  while (i < lines.length && !lines[i]!.trim().startsWith('|')) {
    // A heading or another marker before any table: this layout has no table (END).
    if (/^(#|<!--)/.test(lines[i]!.trim())) return [];
    i++;
  }
  const rows: Row[] = [];
  for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    const cells = lines[i]!.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim().replace(/`/g, ''));
    rows.push([cells[0]!, cells[1]!, cells[2]!, cells[3]!]);
  }
  return rows;
}

function allMarkers(): string[] {
  return [...spec.matchAll(/<!-- layout: (.+?) -->/g)].map((m) => m[1]!);
}

// ---- rows derived from the layout declarations ----

/** Format name of the field that holds `key` (`pathLen` -> `path-len`). */
function nameOfKey(fields: readonly Field[], key: string): string {
  for (const f of fields) {
    if (f.kind === 'optional') {
      const n = nameOfKey(f.fields, key);
      if (n) return n;
    } else if (f.key === key) return f.name;
  }
  return '';
}
function lengthText(all: readonly Field[], ref: LengthRef | number): string {
  if (typeof ref === 'number') return String(ref);
  if (typeof ref === 'string') return nameOfKey(all, ref);
  return `(${ref.map((k) => nameOfKey(all, k)).join(' + ')})`;
}
/** Size of a field list when it is fixed, else undefined. */
function fixedSize(fields: readonly Field[]): number | undefined {
  let n = 0;
  for (const f of fields) {
    if (f.kind === 'int') n += INT_SIZE[f.int];
    else if (f.kind === 'char') n += 1;
    else if (f.kind === 'bytes' && typeof f.length === 'number') n += f.length;
    else return undefined;
  }
  return n;
}

/** Offsets: a number while every earlier field is fixed, then an expression. */
class Offset {
  constructor(readonly base: string | undefined, readonly add: number) {}
  text(): string {
    if (this.base === undefined) return String(this.add);
    return this.add === 0 ? this.base : `${this.base} + ${this.add}`;
  }
  plus(n: number): Offset {
    return new Offset(this.base, this.add + n);
  }
  plusVar(size: string): Offset {
    return new Offset(`${this.text()} + ${size}`, 0);
  }
}

function deriveRows(layout: RecordLayout): { rows: Row[]; subs: Map<string, Row[]> } {
  const all = layout.fields;
  const rows: Row[] = [];
  const subs = new Map<string, Row[]>();
  let at = new Offset(undefined, 0);
  const walk = (fields: readonly Field[]) => {
    for (const f of fields) {
      switch (f.kind) {
        case 'int':
          rows.push([at.text(), String(INT_SIZE[f.int]), f.name, f.int]);
          at = at.plus(INT_SIZE[f.int]);
          break;
        case 'char':
          rows.push([at.text(), '1', f.name, 'char']);
          at = at.plus(1);
          break;
        case 'bytes':
        case 'cstring': {
          const size = lengthText(all, f.length);
          rows.push([at.text(), size, f.name, f.kind === 'bytes' ? 'bytes' : 'string']);
          at = typeof f.length === 'number' ? at.plus(f.length) : at.plusVar(size);
          break;
        }
        case 'ints': {
          const size = `${INT_SIZE[f.int]} × ${lengthText(all, f.count)}`;
          rows.push([at.text(), size, f.name, `${f.int}[]`]);
          at = at.plusVar(size);
          break;
        }
        case 'cstrings': {
          const size = `${lengthText(all, f.count)} strings`;
          rows.push([at.text(), size, f.name, 'strings']);
          at = at.plusVar(size);
          break;
        }
        case 'array': {
          const el = fixedSize(f.fields);
          if (el === undefined) throw new Error(`${f.name}: variable element`);
          const size = `${el} × ${lengthText(all, f.count)}`;
          rows.push([at.text(), size, f.name, 'entry[]']);
          // The entry's own table: offsets within one entry.
          let o = 0;
          subs.set(`${layout.type} ${f.name}`, f.fields.map((g) => {
            const n = fixedSize([g])!;
            const r: Row = [String(o), String(n), g.name, g.kind === 'int' ? g.int : 'char'];
            o += n;
            return r;
          }));
          at = at.plusVar(size);
          break;
        }
        case 'align':
          rows.push([at.text(), `0-${f.to - 1}`, f.name, 'pad']);
          at = new Offset(`roundup${f.to}(${at.text()})`, 0);
          break;
        case 'optional':
          walk(f.fields);
          break;
        case 'switch': {
          const cases = [...Object.entries(f.cases).map(([v, c]) => [v, c] as const), ['other', f.default] as const];
          const sizes = new Set(cases.map(([, c]) => fixedSize(c.fields)));
          if (sizes.size !== 1 || [...sizes][0] === undefined) throw new Error(`${f.name}: cases of different sizes`);
          const size = [...sizes][0]!;
          rows.push([at.text(), String(size), f.name, 'union']);
          for (const [v, c] of cases) {
            let o = at;
            subs.set(`${layout.type} ${f.name} ${v}`, c.fields.map((g) => {
              const n = fixedSize([g])!;
              const r: Row = [o.text(), String(n), g.name, g.kind === 'int' ? g.int : 'bytes'];
              o = o.plus(n);
              return r;
            }));
          }
          at = at.plus(size);
          break;
        }
      }
    }
  };
  walk(all);
  return { rows, subs };
}

const layouts: RecordLayout[] = [...Object.values(LAYOUTS), WATCH_DATA_EXTENDED_SHORT];

describe('spec/format.md layout tables agree with src/wire/layout.ts', () => {
  const expected = new Map<string, Row[]>();
  for (const l of layouts) {
    const { rows, subs } = deriveRows(l);
    expected.set(l.type, rows);
    for (const [k, v] of subs) expected.set(k, v);
  }

  for (const [key, rows] of expected) {
    it(key, () => {
      const table = specTable(key);
      expect(table, `spec/format.md has no table marked <!-- layout: ${key} -->`).toBeDefined();
      expect(table).toEqual(rows);
    });
  }

  it('has no layout table the code does not declare', () => {
    const other = new Set(['header', 'envelope', 'types', 'domids', 'features']);
    expect(allMarkers().filter((m) => !expected.has(m) && !other.has(m))).toEqual([]);
  });
});

describe('spec/format.md agrees with src/wire/constants.ts', () => {
  it('header and record envelope', () => {
    expect(specTable('header')).toEqual([
      ['0', '8', 'ident', 'ascii'],
      ['8', '4', 'version', 'u32 (big-endian)'],
      ['12', '4', 'flags', 'u32 (big-endian)'],
    ]);
    expect(8 + 4 + 4).toBe(HEADER_SIZE);
    expect(specTable('envelope')).toEqual([
      ['0', '4', 'type', 'u32'],
      ['4', '4', 'len', 'u32'],
      ['8', 'len', 'body', 'bytes'],
      ['8 + len', '0-7', 'padding', 'pad'],
    ]);
    expect(4 + 4).toBe(RECORD_HEADER_SIZE);
  });

  it('record type codes and the first version each may appear in', () => {
    const rows = specTable('types')!;
    const fromCode = Object.entries(RecordType).map(([name, code]) => [String(code), name, String(MIN_VERSION[name as keyof typeof RecordType])]);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([...fromCode, ['9 and up', '(reserved)', '-']]);
  });

  it('reserved domain ids', () => {
    const rows = specTable('domids')!;
    expect(rows.map((r) => [r[0], r[1]])).toEqual(
      Object.entries(DOMID).map(([n, v]) => [`0x${v.toString(16).toUpperCase().padStart(4, '0')}`, `DOMID_${n}`]),
    );
  });

  it('feature bits', () => {
    const rows = specTable('features')!;
    expect(rows.map((r) => [r[0], r[1]])).toEqual(FEATURE_BITS.map((f) => [String(f.bit), f.name]));
  });
});

// Print the derived rows when asked (XSMIG_PRINT_SPEC_ROWS=1), to help edit the spec.
if (process.env.XSMIG_PRINT_SPEC_ROWS) {
  for (const l of layouts) {
    const { rows, subs } = deriveRows(l);
    console.log(`\n${l.type}\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
    for (const [k, v] of subs) console.log(`\n${k}\n${v.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
  }
}
