// What the code generators over the layouts share (the fast decoder, model/fast-decode.ts, and
// the byte swapper, wire/byte-swap.ts): fresh local names, emitted lines, and the expression of
// a length or count field in terms of the locals that hold the integers read before it.

import type { LengthRef } from './layout.js';

/** Lines of generated code and the locals they declare. */
export class CodeGen {
  private n = 0;
  readonly lines: string[] = [];
  readonly vars: string[] = [];
  /** A fresh local named after `hint`. */
  v(hint: string): string {
    const name = `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.n++}`;
    this.vars.push(name);
    return name;
  }
  emit(s: string): void {
    this.lines.push(s);
  }
}

/** Layout key -> the local holding the integer read for it. */
export type Scope = Map<string, string>;

/** A length or count reference (a key, a sum of keys, or a number) as an expression of locals. */
export function lengthExpr(ref: LengthRef | number, scope: Scope): string {
  if (typeof ref === 'number') return String(ref);
  const keys = typeof ref === 'string' ? [ref] : ref;
  return `(${keys.map((k) => {
    const v = scope.get(k);
    if (v === undefined) throw new Error(`layout refers to ${k} before it is read`);
    return v;
  }).join(' + ')})`;
}
