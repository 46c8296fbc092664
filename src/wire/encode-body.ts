// Writes a record body from its layout declaration and a "wire object": the layout's keys with
// bytes as Uint8Array, cstrings as their full bytes (NUL included), quota names without NUL.
// Length and count fields marked `sizeOf`/`countOf` are derived when the object leaves them out.

import { EncodeError } from './errors.js';
import { INT_SIZE, type Field, type RecordLayout, resolveLength } from './layout.js';
import type { BinaryWriter } from './writer.js';

export type WireObject = Record<string, unknown>;

function intRange(int: keyof typeof INT_SIZE): [number, number] {
  switch (int) {
    case 'u8': return [0, 0xff];
    case 'u16': return [0, 0xffff];
    case 'u32': return [0, 0xffffffff];
    case 'i32': return [-0x80000000, 0x7fffffff];
    default: return [0, 0];
  }
}

function deriveInt(f: Extract<Field, { kind: 'int' }>, obj: WireObject): number | bigint {
  const given = obj[f.key];
  if (given !== undefined) return given as number | bigint;
  const target = f.sizeOf ?? f.countOf;
  if (target !== undefined) {
    const t = obj[target] as { length: number } | undefined;
    return t ? t.length : 0;
  }
  if (f.reserved) return f.int === 'u64' ? 0n : 0;
  throw new EncodeError(-1, `field ${f.name} (${f.key}) is missing`);
}

function writeFields(fields: readonly Field[], obj: WireObject, w: BinaryWriter, bodyStart: number): void {
  for (const f of fields) {
    switch (f.kind) {
      case 'int': {
        const v = deriveInt(f, obj);
        obj[f.key] = v;
        if (f.int === 'u64') {
          if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new EncodeError(-1, `${f.name} must be a 64-bit unsigned bigint`);
          w.u64(v);
          break;
        }
        const [lo, hi] = intRange(f.int);
        if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
          throw new EncodeError(-1, `${f.name} = ${String(v)} does not fit ${f.int}`);
        }
        if (f.int === 'u8') w.u8(v);
        else if (f.int === 'u16') w.u16(v);
        else if (f.int === 'u32') w.u32(v);
        else w.i32(v);
        break;
      }
      case 'char': {
        const v = obj[f.key] as number;
        if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError(-1, `${f.name} must be one byte`);
        w.u8(v);
        break;
      }
      case 'bytes':
      case 'cstring': {
        const b = obj[f.key] as Uint8Array;
        const n = resolveLength(f.length, obj);
        if (b.length !== n) throw new EncodeError(-1, `${f.name} has ${b.length} bytes but its length field says ${n}`);
        w.bytes(b);
        break;
      }
      case 'ints': {
        const vals = obj[f.key] as number[];
        const n = resolveLength(f.count, obj);
        if (vals.length !== n) throw new EncodeError(-1, `${f.name} has ${vals.length} values but its count says ${n}`);
        for (const v of vals) {
          if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(-1, `${f.name} value ${v} does not fit u32`);
          w.u32(v);
        }
        break;
      }
      case 'cstrings': {
        const names = obj[f.key] as Uint8Array[];
        const n = resolveLength(f.count, obj);
        if (names.length !== n) throw new EncodeError(-1, `${f.name} has ${names.length} names but its count says ${n}`);
        for (const s of names) {
          if (s.includes(0)) throw new EncodeError(-1, `${f.name} entry contains a NUL byte`);
          w.bytes(s);
          w.u8(0);
        }
        break;
      }
      case 'array': {
        const items = obj[f.key] as WireObject[];
        const n = resolveLength(f.count, obj);
        if (items.length !== n) throw new EncodeError(-1, `${f.name} has ${items.length} entries but its count says ${n}`);
        for (const it of items) writeFields(f.fields, it, w, bodyStart);
        break;
      }
      case 'align': {
        const n = (f.to - ((w.offset - bodyStart) % f.to)) % f.to;
        const given = obj[f.key] as Uint8Array | undefined;
        if (given === undefined) w.zeros(n);
        else if (given.length === n) w.bytes(given);
        else throw new EncodeError(-1, `${f.name} (${f.key}) holds ${given.length} bytes, the record needs ${n}`);
        break;
      }
      case 'optional':
        if (((obj[f.when.key] as number) & f.when.mask) !== 0) writeFields(f.fields, obj, w, bodyStart);
        else {
          // Not written: refuse rather than drop a value the caller gave.
          const given = f.fields.find((g) => 'key' in g && obj[g.key] !== undefined);
          if (given && 'key' in given) throw new EncodeError(-1, `${given.name} (${given.key}) is given but ${f.when.key} bit ${Math.log2(f.when.mask)} is clear`);
        }
        break;
      case 'switch': {
        const c = f.cases[obj[f.on] as number] ?? f.default;
        const nested = obj[f.key] as WireObject | undefined;
        if (!nested) throw new EncodeError(-1, `${f.name} is missing`);
        writeFields(c.fields, nested, w, bodyStart);
        break;
      }
    }
  }
}

/** Writes the body of `layout` from `obj`; returns the number of body bytes written. */
export function writeBody(layout: RecordLayout, obj: WireObject, w: BinaryWriter): number {
  const start = w.offset;
  writeFields(layout.fields, obj, w, start);
  return w.offset - start;
}
