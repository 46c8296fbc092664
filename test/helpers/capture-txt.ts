// Reads the description beside each real capture (fixtures/captures/NAME.txt): the daemon's
// `xenstore-ls -fp` listing, the populate scripts and their replies, the connections held
// open at dump time. Written from the .txt layout only; it knows nothing of the stream.

export interface ListedPerm {
  perm: string;
  domid: number;
}
export interface ListedNode {
  path: string;
  value: Buffer;
  perms: ListedPerm[];
}
export interface Section {
  /** Heading without its leading #'s. */
  title: string;
  /** 2 for `##`, 3 for `###`. */
  level: number;
  lines: string[];
}
export interface Command {
  args: string[];
  /** What follows ` -> `: `OK`, `'2000\x00'`, `error EBUSY (expected)`, ... */
  result: string;
}
export interface HeldConnection {
  number: number;
  script: string;
  /** Script lines split into words (comments and blank lines left out). */
  commands: string[][];
}
export interface CaptureTxt {
  name: string;
  producedBy: string;
  size: number;
  sha256: string;
  /** `evtchn local port for domain D = BASE+D` */
  evtchnBase: number;
  /** `unique-id of D = 0xBASE|D` */
  uniqueIdBase: bigint;
  sections: Section[];
  /** `xenstore-ls -fp just before the dump` */
  listing: ListedNode[];
  /** Every `command -> result` line of every populate script's output. */
  populate: Command[];
  held: HeldConnection[];
  /** `## N x 'xenstore-watch PATH'`: the watched paths, one entry per client. */
  xenstoreWatch: string[];
}

/** Undoes xenstore-ls value escaping: `\\`, `\ooo` octal, `\xNN`, and C single-char escapes. */
export function unescapeXsValue(s: string): Buffer {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      const code = c.charCodeAt(0);
      if (code > 0x7e || code < 0x20) throw new Error(`unescaped non-printable char U+${code.toString(16)} in a listing value`);
      out.push(code);
      continue;
    }
    const n = s[i + 1];
    if (n === undefined) throw new Error('listing value ends in a lone backslash');
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1));
    if (oct) {
      out.push(parseInt(oct[0], 8));
      i += oct[0].length;
    } else if (n === 'x' && /^[0-9a-fA-F]{2}/.test(s.slice(i + 2))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (n in simple) {
      out.push(simple[n]!);
      i += 1;
    } else {
      throw new Error(`unknown escape \\${n} in a listing value`);
    }
  }
  return Buffer.from(out);
}

const LISTING_LINE = /^(\S+) = "(.*)" {3}\(([^()]*)\)$/;

export function parseListingLine(line: string): ListedNode {
  const m = LISTING_LINE.exec(line);
  if (!m) throw new Error(`not a xenstore-ls -fp line: ${line.slice(0, 80)}`);
  const perms = m[3]!.split(',').map((p) => {
    const pm = /^([nrwb])(\d+)$/.exec(p);
    if (!pm) throw new Error(`bad permission "${p}" in: ${line.slice(0, 80)}`);
    return { perm: pm[1]!, domid: Number(pm[2]) };
  });
  return { path: m[1]!, value: unescapeXsValue(m[2]!), perms };
}

export function parseCaptureTxt(name: string, text: string): CaptureTxt {
  const lines = text.split('\n');
  const sections: Section[] = [];
  const preamble: string[] = [];
  let cur: Section | undefined;
  for (const line of lines) {
    const h = /^(#{2,3}) (.*)$/.exec(line);
    if (h) {
      cur = { title: h[2]!, level: h[1]!.length, lines: [] };
      sections.push(cur);
    } else if (cur) cur.lines.push(line);
    else preamble.push(line);
  }
  const pre = preamble.join('\n');
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(pre);
    if (!m) throw new Error(`${name}.txt: no ${what}`);
    return m;
  };
  const size = need(/^Size: (\d+) bytes; sha256 ([0-9a-f]{64})$/m, 'Size line');
  const listing = sections.find((s) => s.title === 'xenstore-ls -fp just before the dump');
  if (!listing) throw new Error(`${name}.txt: no listing before the dump`);

  const populate: Command[] = [];
  for (const s of sections.filter((x) => x.title === 'populate output')) {
    for (const l of s.lines) {
      const m = /^(.*?) -> (.*)$/.exec(l);
      if (m) populate.push({ args: m[1]!.split(' '), result: m[2]! });
    }
  }
  const held: HeldConnection[] = [];
  const xenstoreWatch: string[] = [];
  for (const s of sections) {
    const hm = /^Held connection (\d+) \((\S+), still open at dump time\)$/.exec(s.title);
    if (hm) {
      const commands = s.lines.filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.trim().split(/\s+/));
      held.push({ number: Number(hm[1]), script: hm[2]!, commands });
    }
    const wm = /^(\d+) x 'xenstore-watch (\S+)'/.exec(s.title);
    if (wm) for (let i = 0; i < Number(wm[1]); i++) xenstoreWatch.push(wm[2]!);
  }
  return {
    name,
    producedBy: need(/^Produced by: (.*)$/m, 'Produced by line')[1]!,
    size: Number(size[1]),
    sha256: size[2]!,
    evtchnBase: Number(need(/evtchn local port for domain D = (\d+)\+D/, 'event channel rule')[1]),
    uniqueIdBase: BigInt(`0x${need(/unique-id of D = 0x([0-9a-fA-F]+)\|D/, 'unique-id rule')[1]}`),
    sections,
    listing: listing.lines.filter((l) => l.trim() !== '').map(parseListingLine),
    populate,
    held,
    xenstoreWatch,
  };
}

/** The lines of the capturing daemon's `xenstore-ls -fp` just before the dump, as printed. */
export function listingLinesBeforeDump(txt: string): string[] {
  const lines = txt.split('\n');
  const start = lines.findIndex((l) => l.startsWith('## xenstore-ls -fp just before the dump'));
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('## ')) break;
    if (l.trim()) out.push(l);
  }
  return out;
}
