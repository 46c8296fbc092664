// Builds binary-parser parsers from the layout declarations: one compiled parser per record
// layout and byte order. binary-parser neither bounds a parse to the record nor fails on a
// length that runs past its input (it clamps), so callers must check the result with
// `measureParsed` (or the span walker) before trusting it.

import { createRequire } from 'node:module';
import type { Parser as ParserType } from 'binary-parser';
import type { ByteOrder } from './constants.js';
import type { Field, IntType, LengthRef, RecordLayout } from './layout.js';

type LengthOption = number | string | (() => number);
type Parser = ParserType;

// binary-parser is loaded on first use, not at start-up: the bulk paths never need it (the fast
// decoder hands it only records it cannot decode), and loading it costs a command about 5 ms.
let ParserClass: typeof ParserType | undefined;
function newParser(): Parser {
  ParserClass ??= (createRequire(import.meta.url)('binary-parser') as { Parser: typeof ParserType }).Parser;
  return new ParserClass();
}

function lengthOption(ref: LengthRef | number): LengthOption {
  if (typeof ref === 'number' || typeof ref === 'string') return ref;
  const keys = [...ref];
  // binary-parser calls length functions with `this` bound to the object being filled.
  return function (this: Record<string, number>) {
    let n = 0;
    for (const k of keys) n += this[k] as number;
    return n;
  };
}

function primitive(int: IntType, order: ByteOrder): string {
  const suffix = order === 'little' ? 'le' : 'be';
  switch (int) {
    case 'u8': return 'uint8';
    case 'u16': return `uint16${suffix}`;
    case 'u32': return `uint32${suffix}`;
    case 'i32': return `int32${suffix}`;
    case 'u64': return `uint64${suffix}`;
  }
}

/** Offset marker used by `align` fields; stripped from results by the model layer. */
export const ALIGN_MARK_PREFIX = '_at_';

function build(fields: readonly Field[], order: ByteOrder): Parser {
  let p = newParser().endianness(order);
  for (const f of fields) {
    switch (f.kind) {
      case 'int':
        p = (p as unknown as Record<string, (k: string) => Parser>)[primitive(f.int, order)]!.call(p, f.key);
        break;
      case 'char':
        p = p.uint8(f.key);
        break;
      case 'bytes':
      case 'cstring':
        p = p.buffer(f.key, { length: lengthOption(f.length) });
        break;
      case 'ints':
        p = p.array(f.key, { type: primitive(f.int, order), length: lengthOption(f.count) });
        break;
      case 'cstrings':
        // Each name runs to its NUL; the NUL itself is skipped. A missing NUL leaves the
        // parser at the end of the body, which measureParsed then reports.
        p = p.array(f.key, {
          type: newParser().buffer('s', { readUntil: (b: number) => b === 0 }).skip(1),
          length: lengthOption(f.count),
        });
        break;
      case 'array':
        p = p.array(f.key, { type: build(f.fields, order), length: lengthOption(f.count) });
        break;
      case 'align': {
        const mark = ALIGN_MARK_PREFIX + f.key;
        const to = f.to;
        p = p.saveOffset(mark).buffer(f.key, {
          length: function (this: Record<string, number>) {
            return (to - ((this[mark] as number) % to)) % to;
          },
        });
        break;
      }
      case 'optional': {
        const { key, mask } = f.when;
        p = p.choice({
          tag: function (this: Record<string, number>) {
            return ((this[key] as number) & mask) !== 0 ? 1 : 0;
          },
          choices: { 0: newParser(), 1: build(f.fields, order) },
        });
        break;
      }
      case 'switch': {
        const choices: Record<number, Parser> = {};
        for (const [v, c] of Object.entries(f.cases)) choices[Number(v)] = build(c.fields, order);
        p = p.choice(f.key, { tag: f.on, choices, defaultChoice: build(f.default.fields, order) });
        break;
      }
    }
  }
  return p;
}

const cache = new Map<string, Parser>();

/** The compiled binary-parser parser for a record layout in one byte order. */
export function bodyParser(layout: RecordLayout, order: ByteOrder): Parser {
  const id = `${layout.type}/${order}`;
  let p = cache.get(id);
  if (!p) {
    // `_end`: where the body ended, checked by the caller against the record's len.
    p = build(layout.fields, order).saveOffset('_end');
    p.compile();
    cache.set(id, p);
  }
  return p;
}
