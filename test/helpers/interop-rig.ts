// Where the real-xenstored interop rig lives (interop/, installed by scripts/interop-setup.sh)
// and why it cannot run here, if it cannot: shared by the interop tests and by
// scripts/fuzz-daemon.ts. Three real daemons: Debian's 4.17 and the upstream 4.21 / 4.22
// launchers interop/daemons.sh unpacks (interop/README.md).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const RIG = process.env.XSMIG_INTEROP_DIR ?? join(ROOT, 'interop');
export const XSH_BUILD = process.env.XSH_BUILD ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'xsharness');
export const XENSTORED = '/usr/lib/xen-4.17/bin/xenstored';
export const SHIM = join(XSH_BUILD, 'xsshim.so');

export type DaemonVersion = '4.17' | '4.21' | '4.22';
export const DAEMON_VERSIONS: readonly DaemonVersion[] = ['4.17', '4.21', '4.22'];

/** The daemon binary (launcher) of a version; whether it exists is rigMissing's business. */
export function daemonPath(v: DaemonVersion): string {
  return v === '4.17' ? XENSTORED : join(XSH_BUILD, 'daemons', `xen-${v}`, 'xenstored');
}

const toolsMissing = (() => {
  let memo: string | null | undefined;
  return (): string | undefined => {
    if (memo !== undefined) return memo ?? undefined;
    memo = null;
    for (const tool of ['xenstore-ls', 'xenstore-exists', 'python3', 'timeout']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
        memo = `${tool} not found (run scripts/interop-setup.sh as root)`;
        break;
      }
    }
    return memo ?? undefined;
  };
})();

/** Why the rig cannot run daemon v (default 4.17) on this machine, or undefined when it can. */
export function rigMissing(v: DaemonVersion = '4.17'): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync(join(RIG, 'restore.sh'))) return `no rig at ${RIG}`;
  if (!existsSync(XENSTORED)) return `${XENSTORED} not installed (run scripts/interop-setup.sh as root)`;
  const tools = toolsMissing();
  if (tools) return tools;
  if (!existsSync(SHIM) && spawnSync('sh', ['-c', 'command -v gcc && test -f /usr/include/xenctrl.h']).status !== 0) {
    return `shim ${SHIM} not built and cannot be (needs gcc and libxen-dev)`;
  }
  if (v !== '4.17' && !existsSync(daemonPath(v))) {
    return `xenstored ${v} not unpacked at ${daemonPath(v)} (run scripts/interop-setup.sh; its tarball comes from $XSH_DAEMONS_DIR or ../shared/interop/daemons/)`;
  }
  return undefined;
}

export interface RigOptions {
  /** The daemon that restores (XENSTORED_BIN; default 4.17). */
  daemon?: DaemonVersion;
  /** More environment for the script (e.g. FIXFDS, NEXT_BIN, LU_TIMEOUT). */
  env?: Record<string, string>;
}

export interface Restored {
  alive: boolean;
  daemonOutput: string[];
  listing: string[];
  raw: string;
}

function runScript(script: string, args: string[], work: string, o: RigOptions): Promise<{ out: string; code: number | null }> {
  const env: NodeJS.ProcessEnv = { ...process.env, XSH_WORK: work, XSH_BUILD };
  if (o.daemon) env.XENSTORED_BIN = daemonPath(o.daemon);
  Object.assign(env, o.env ?? {});
  return new Promise((resolve, reject) => {
    const p = spawn('bash', [join(RIG, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ out, code }));
  });
}

/** The lines of a `== HEADING` section of a rig script's output, up to the next `== ` line. */
function section(lines: string[], heading: string): string[] | undefined {
  const i = lines.findIndex((l) => l.startsWith(heading));
  if (i < 0) return undefined;
  const end = lines.findIndex((l, k) => k > i && l.startsWith('== '));
  return lines.slice(i + 1, end < 0 ? undefined : end).filter((l) => l.trim());
}

function parseRestore(out: string): Restored {
  const lines = out.split('\n');
  const aliveLine = lines.find((l) => l.startsWith('== restoring daemon alive:')) ?? '';
  return {
    alive: aliveLine.endsWith('yes'),
    daemonOutput: section(lines, '== daemon output:') ?? [],
    listing: section(lines, '== xenstore-ls -fp:') ?? [],
    raw: out,
  };
}

/** Runs interop/restore.sh on FILE (concurrently with others: each has its own work dir). */
export async function restoreStream(work: string, file: string, name: string, o: RigOptions = {}): Promise<Restored> {
  return parseRestore((await runScript('restore.sh', [file, name], work, o)).out);
}

export interface WatchEvent {
  token: string;
  path: string;
  /** The conn-id of the stream's socket CONNECTION_DATA that owns the watch. */
  connId: number;
}

export interface WatchProbe extends Restored {
  /** Events after the probe script ran, in arrival order per connection. */
  events: WatchEvent[];
  /** Events delivered after the restore but before the probe (e.g. saved pending output). */
  eventsBeforeProbe: WatchEvent[];
  /** conn-id -> 'open' | 'closed by the daemon', for each adopted connection. */
  adopted: Map<number, string>;
}

/** `\xNN` escapes of restore.sh's event lines back to text (latin1: one char per byte). */
function unescape(s: string): string {
  return s.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function parseEvents(lines: string[] | undefined): WatchEvent[] {
  return (lines ?? []).map((l) => {
    const [token = '', path = '', conn = ''] = l.split('\t');
    return { token: unescape(token), path: unescape(path), connId: Number(conn) };
  });
}

/** The watch probe (interop/restore-watches.sh FILE SCRIPT NAME): restore, run SCRIPT, list events. */
export async function probeWatches(work: string, file: string, script: string, name: string, daemon: DaemonVersion = '4.17', env: Record<string, string> = {}): Promise<WatchProbe> {
  const { out } = await runScript('restore-watches.sh', [file, script, name], work, { daemon, env });
  const lines = out.split('\n');
  const adopted = new Map<number, string>();
  for (const l of lines) {
    const m = /^conn (\d+): adopted by holder \d+, connection (.*)$/.exec(l);
    if (m) adopted.set(Number(m[1]), m[2]!);
  }
  // The event lines are tab-separated and may start with an empty token: keep them unfiltered.
  const rawSection = (heading: string) => {
    const i = lines.findIndex((l) => l.startsWith(heading));
    if (i < 0) return undefined;
    const end = lines.findIndex((l, k) => k > i && l.startsWith('== '));
    return lines.slice(i + 1, end < 0 ? undefined : end).filter((l) => l.includes('\t'));
  };
  return {
    ...parseRestore(out),
    events: parseEvents(rawSection('== watch events (')),
    eventsBeforeProbe: parseEvents(rawSection('== watch events before the probe')),
    adopted,
  };
}

export interface RoundTrip extends Restored {
  /** The daemon's own dump on the second live update (undefined when it wrote none). */
  redump?: Uint8Array;
  redumpFile?: string;
  /** Whether the daemon was alive after restoring its own dump (false when it died on FILE). */
  aliveAfterRedump: boolean;
  /** What it printed during the second live update. */
  daemonOutputAfterRedump: string[];
  /** Whether xenstore-ls -fp after restoring its own dump equals the listing after FILE. */
  sameTreeAfterRedump?: boolean;
}

/**
 * interop/roundtrip.sh FILE NAME: the daemon restores FILE, is listed, then live-updates again
 * with nothing swapped in (its re-dump), and restores that. `redumpArgs` are more options of
 * the second `live-update -s` (e.g. `-v 1`).
 */
export async function roundTrip(work: string, file: string, name: string, o: RigOptions & { redumpArgs?: string } = {}): Promise<RoundTrip> {
  const env = { ...(o.env ?? {}), ...(o.redumpArgs ? { REDUMP_ARGS: o.redumpArgs } : {}) };
  const { out } = await runScript('roundtrip.sh', [file, name], work, { ...o, env });
  const lines = out.split('\n');
  const r = parseRestore(out);
  const m = lines.map((l) => /^== redump: (.*) (\d+)$/.exec(l)).find((x) => x);
  const redumpFile = m?.[1];
  const value = (h: string) => lines.find((l) => l.startsWith(h))?.slice(h.length).trim();
  return {
    ...r,
    redumpFile,
    redump: redumpFile && existsSync(redumpFile) ? new Uint8Array(readFileSync(redumpFile)) : undefined,
    aliveAfterRedump: value('== alive after restoring its own dump:') === 'yes',
    daemonOutputAfterRedump: section(lines, '== daemon output after the second live update:') ?? [],
    sameTreeAfterRedump: ({ yes: true, no: false } as Record<string, boolean>)[value('== same tree after its own dump:') ?? ''],
  };
}
