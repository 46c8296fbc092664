// The plain argument forms a command may take without loading yargs (main.ts): at most one
// FILE or "-", each boolean flag at most once, and at most one valued option (`--name V`,
// `-n V` or `--name=V`) whose value the command accepts. Anything else gives undefined and is
// left to yargs (help, usage errors, negations, "true"/"false" values, repeats).

export interface PlainSpec {
  /** Boolean flags, e.g. `--json`; the key is the name without its dashes. */
  flags: readonly string[];
  valued?: { key: string; names: readonly string[]; accept: (value: string) => boolean };
}

export function parsePlainArgs(args: readonly string[], spec: PlainSpec): Record<string, string | boolean> | undefined {
  const out: Record<string, string | boolean> = {};
  const v = spec.valued;
  const take = (value: string | undefined): boolean => {
    if (!v || out[v.key] !== undefined || value === undefined || !v.accept(value)) return false;
    out[v.key] = value;
    return true;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = v?.names.find((n) => n.startsWith('--') && a.startsWith(`${n}=`));
    if (spec.flags.includes(a)) {
      const key = a.replace(/^-+/, '');
      if (out[key] !== undefined) return undefined;
      out[key] = true;
    } else if (v?.names.includes(a)) {
      if (!take(args[++i])) return undefined;
    } else if (eq !== undefined) {
      if (!take(a.slice(eq.length + 1))) return undefined;
    } else if (a === '-' || (a !== '' && !a.startsWith('-') && a !== 'true' && a !== 'false')) {
      // ("true"/"false" after a flag is its value to yargs: left to it.)
      if (out.file !== undefined) return undefined;
      out.file = a;
    } else {
      return undefined;
    }
  }
  return out;
}
