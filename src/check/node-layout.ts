// Where the fields of a NODE_DATA body lie, for the checker's fast path, which reads them from
// the input bytes instead of a decoded record. Worked out from the one declaration of the
// layout (wire/layout.ts), as every other reader's offsets are; a layout this code does not
// understand (fields reordered, resized or added) is an error when the module loads, not a
// silent misreading.

import { INT_SIZE, LAYOUTS, type Field, type IntType } from '../wire/layout.js';

export interface NodeLayout {
  connId: number;
  txId: number;
  pathLen: number;
  valueLen: number;
  access: number;
  permCount: number;
  /** Where the permissions start, and the size of one and its fields' offsets within it. */
  perms: number;
  permSize: number;
  permLetter: number;
  permFlags: number;
  permDomid: number;
}

/** The int fields the fast path reads, and the type it reads each as. */
const HEAD: Record<string, IntType> = { connId: 'u32', txId: 'u32', pathLen: 'u16', valueLen: 'u16', access: 'u16', permCount: 'u16' };
const PERM: Record<string, IntType | 'char'> = { perm: 'char', flags: 'u8', domid: 'u16' };

function fail(why: string): never {
  throw new Error(`check: NODE_DATA layout changed (${why}); update src/check/node-layout.ts`);
}

/** The offsets of a layout shaped as NODE_DATA is: ints, the permission array, path, value. */
export function nodeLayout(fields: readonly Field[] = LAYOUTS.NODE_DATA.fields): NodeLayout {
  const at: Record<string, number> = {};
  let off = 0;
  let i = 0;
  for (; i < fields.length && fields[i]!.kind === 'int'; i++) {
    const f = fields[i] as Extract<Field, { kind: 'int' }>;
    if (HEAD[f.key] !== f.int) fail(`int field ${f.key} ${f.int}`);
    at[f.key] = off;
    off += INT_SIZE[f.int];
  }
  for (const k of Object.keys(HEAD)) if (at[k] === undefined) fail(`no ${k}`);
  const perms = fields[i++];
  if (perms?.kind !== 'array' || perms.count !== 'permCount') fail('no permission array after the ints');
  const pat: Record<string, number> = {};
  let size = 0;
  for (const f of perms.fields) {
    const kind = f.kind === 'char' ? 'char' : f.kind === 'int' ? f.int : undefined;
    if (!('key' in f) || PERM[f.key] !== kind) fail(`permission field ${'key' in f ? f.key : f.kind}`);
    pat[f.key] = size;
    size += kind === 'char' ? 1 : INT_SIZE[kind as IntType];
  }
  if (Object.keys(pat).length !== Object.keys(PERM).length) fail('permission fields');
  const path = fields[i++];
  const value = fields[i++];
  if (path?.kind !== 'cstring' || path.key !== 'path' || path.length !== 'pathLen') fail('path');
  if (value?.kind !== 'bytes' || value.key !== 'value' || value.length !== 'valueLen') fail('value');
  if (i !== fields.length) fail('fields after value');
  return {
    connId: at.connId!,
    txId: at.txId!,
    pathLen: at.pathLen!,
    valueLen: at.valueLen!,
    access: at.access!,
    permCount: at.permCount!,
    perms: off,
    permSize: size,
    permLetter: pat.perm!,
    permFlags: pat.flags!,
    permDomid: pat.domid!,
  };
}

export const NODE = nodeLayout();
