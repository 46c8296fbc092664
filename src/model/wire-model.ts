// Turns a parsed wire object (layout keys, as binary-parser returns them) into a model record
// and back. Generic over the layout declarations; only the quota records need a hook, because
// their values and names are two parallel lists on the wire and one list of pairs in the model.

import type { Field, RecordLayout } from '../wire/layout.js';
import type { WireObject } from '../wire/encode-body.js';
import type { Quota, XsRecord } from './types.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
/** The model keeps one char per byte; a char above U+00FF has no byte (Buffer would truncate it). */
function fromLatin1(s: string, name: string): Uint8Array {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      throw new Error(`${name} holds ${JSON.stringify(s[i])} (U+${c.toString(16).toUpperCase().padStart(4, '0')}) at char ${i}: strings carry one byte per char (U+0000..U+00FF)`);
    }
  }
  return Buffer.from(s, 'latin1');
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function fieldsToModel(fields: readonly Field[], raw: WireObject, out: Record<string, unknown>, unterminated: string[]): void {
  for (const f of fields) {
    switch (f.kind) {
      case 'int': {
        if (f.sizeOf || f.countOf) break;
        const v = raw[f.key];
        if (f.reserved && (v === 0 || v === 0n)) break;
        out[f.key] = v;
        break;
      }
      case 'char':
        out[f.key] = String.fromCharCode(raw[f.key] as number);
        break;
      case 'bytes':
        out[f.key] = raw[f.key];
        break;
      case 'cstring': {
        const b = raw[f.key] as Uint8Array;
        if (b.length > 0 && b[b.length - 1] === 0) out[f.key] = latin1(b.subarray(0, b.length - 1));
        else {
          out[f.key] = latin1(b);
          unterminated.push(f.key);
        }
        break;
      }
      case 'cstrings':
        out[f.key] = (raw[f.key] as { s: Uint8Array }[]).map((x) => latin1(x.s));
        break;
      case 'ints':
        out[f.key] = raw[f.key];
        break;
      case 'array':
        out[f.key] = (raw[f.key] as WireObject[]).map((it) => {
          const o: Record<string, unknown> = {};
          fieldsToModel(f.fields, it, o, unterminated);
          return o;
        });
        break;
      case 'align': {
        const b = raw[f.key] as Uint8Array | undefined;
        if (b && !allZero(b)) out[f.key] = b;
        break;
      }
      case 'optional':
        if (((raw[f.when.key] as number) & f.when.mask) !== 0) fieldsToModel(f.fields, raw, out, unterminated);
        break;
      case 'switch': {
        const c = f.cases[raw[f.on] as number] ?? f.default;
        const o: Record<string, unknown> = {};
        fieldsToModel(c.fields, raw[f.key] as WireObject, o, unterminated);
        out[f.key] = o;
        break;
      }
    }
  }
}

function pairQuotas(values: number[], names: string[], from: number, to: number): Quota[] {
  const q: Quota[] = [];
  for (let i = from; i < to; i++) q.push({ name: names[i]!, value: values[i]! });
  return q;
}

/** Model record (without extras) from a binary-parser result. */
export function wireToModel(layout: RecordLayout, raw: WireObject): XsRecord {
  const out: Record<string, unknown> = {};
  const unterminated: string[] = [];
  fieldsToModel(layout.fields, raw, out, unterminated);
  const type = layout.type === 'WATCH_DATA_EXTENDED_SHORT' ? 'WATCH_DATA_EXTENDED' : layout.type;
  let rec: Record<string, unknown> = { type, ...out };
  if (type === 'GLOBAL_QUOTA_DATA') {
    const vals = out.quotaVal as number[];
    const names = out.quotaNames as string[];
    const nDom = out.nDomQuota as number;
    rec = { type, domQuotas: pairQuotas(vals, names, 0, nDom), globQuotas: pairQuotas(vals, names, nDom, vals.length) };
  } else if (type === 'DOMAIN_DATA') {
    const vals = out.quotaVal as number[];
    const names = out.quotaNames as string[];
    rec = { type, domainId: out.domainId, features: out.features, quotas: pairQuotas(vals, names, 0, vals.length) };
  }
  if (unterminated.length) rec.unterminated = unterminated;
  return rec as unknown as XsRecord;
}

function fieldsToWire(fields: readonly Field[], m: Record<string, unknown>, out: WireObject, unterminated: readonly string[]): void {
  for (const f of fields) {
    switch (f.kind) {
      case 'int':
        if (m[f.key] !== undefined) out[f.key] = m[f.key];
        break;
      case 'char': {
        const s = m[f.key];
        if (typeof s !== 'string' || s.length !== 1) throw new Error(`${f.name} must be one character`);
        out[f.key] = s.charCodeAt(0);
        break;
      }
      case 'bytes':
        out[f.key] = m[f.key];
        break;
      case 'cstring': {
        const s = m[f.key] as string;
        out[f.key] = fromLatin1(unterminated.includes(f.key) ? s : `${s}\0`, f.name);
        break;
      }
      case 'cstrings':
        out[f.key] = (m[f.key] as string[]).map((s) => fromLatin1(s, f.name));
        break;
      case 'ints':
        out[f.key] = m[f.key];
        break;
      case 'array':
        out[f.key] = (m[f.key] as Record<string, unknown>[]).map((it) => {
          const o: WireObject = {};
          fieldsToWire(f.fields, it, o, unterminated);
          return o;
        });
        break;
      case 'align':
        if (m[f.key] !== undefined) out[f.key] = m[f.key];
        break;
      case 'optional':
        fieldsToWire(f.fields, m, out, unterminated);
        break;
      case 'switch': {
        const c = f.cases[m[f.on] as number] ?? f.default;
        const o: WireObject = {};
        fieldsToWire(c.fields, (m[f.key] ?? {}) as Record<string, unknown>, o, unterminated);
        out[f.key] = o;
        break;
      }
    }
  }
}

/** Wire object for `writeBody` from a model record. */
export function modelToWire(layout: RecordLayout, rec: XsRecord): WireObject {
  let m = rec as unknown as Record<string, unknown>;
  if (rec.type === 'GLOBAL_QUOTA_DATA') {
    const all = [...rec.domQuotas, ...rec.globQuotas];
    m = { nDomQuota: rec.domQuotas.length, nGlobQuota: rec.globQuotas.length, quotaVal: all.map((q) => q.value), quotaNames: all.map((q) => q.name) };
  } else if (rec.type === 'DOMAIN_DATA') {
    m = { domainId: rec.domainId, nQuota: rec.quotas.length, features: rec.features, quotaVal: rec.quotas.map((q) => q.value), quotaNames: rec.quotas.map((q) => q.name) };
  }
  const out: WireObject = {};
  fieldsToWire(layout.fields, m, out, rec.unterminated ?? []);
  return out;
}
