import type { Argv, CommandModule } from 'yargs';
import type { NodeData, Permission, XsRecord } from '../../model/types.js';
import { printableText, toHex } from '../../model/json.js';
import { CliError, EXIT } from '../exit-codes.js';
import { resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { xsEscape } from '../render/escape.js';
import { jsonError, reportError, runCommand } from '../run.js';
import { faultLines, salvageInput, salvageJson, salvageVerdict, type Salvaged } from '../salvage.js';
import { streamInput } from '../stream-input.js';

interface Args { file?: string; path?: string; perms?: boolean; all?: boolean; json?: boolean; salvage?: boolean }

/** A permission list as xenstore-ls prints it: `n0,r5` (stale entries included, unmarked). */
export function permsText(perms: Permission[]): string {
  return perms.map((p) => `${p.perm}${p.domid}`).join(',');
}

/**
 * One line as `xenstore-ls -f` prints it, and with perms as `-fp`: after the value, one space
 * and then "  (perms)" (with -f xenstore-ls pads to no column), and no width truncation.
 */
export function treeLine(n: NodeData, perms: boolean): string {
  const line = `${n.path} = "${xsEscape(n.value)}"`;
  return perms ? `${line}   (${permsText(n.perms)})` : line;
}

/**
 * Whether a committed node is listed under `root` as `xenstore-ls -f ROOT` lists it: its
 * descendants, not ROOT itself (xenstore-ls prints the children of the path it is given, each
 * followed by its own subtree; `/`, the default, is likewise not listed).
 */
export function underRoot(path: string, root: string): boolean {
  if (root === '/') return path.startsWith('/') && path !== '/';
  return path.length > root.length + 1 && path.startsWith(root) && path.charCodeAt(root.length) === 0x2f;
}

/** A node as `tree --json` gives it: the JSON form's value (text or hex) and permissions. */
function nodeJson(n: NodeData): string {
  const o: Record<string, unknown> = { path: n.path };
  const text = printableText(n.value);
  if (text !== undefined) o.value = text;
  else o.valueHex = toHex(n.value);
  o.perms = n.perms.map((p) => ({ perm: p.perm, domid: p.domid, flags: p.flags }));
  return JSON.stringify(o);
}

export const treeCommand: CommandModule<object, Args> = {
  command: 'tree [file] [path]',
  describe: 'List the saved tree as `xenstore-ls -f [PATH]` (-p: `-fp`) prints it',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .positional('path', { type: 'string', describe: 'list the subtree under PATH, as `xenstore-ls -f PATH` (PATH itself not listed, as there)' })
      .option('perms', { alias: 'p', type: 'boolean', describe: 'show permissions, as xenstore-ls -p' })
      .option('all', { type: 'boolean', describe: 'also list / and the @ special nodes' })
      .option('salvage', { type: 'boolean', describe: 'list the nodes of a damaged or cut-short stream past its faults (faults on stderr, exit 2)' })
      .option('json', { type: 'boolean', describe: 'one JSON object: {"version": 1, "root", "nodes": [{path, value or valueHex, perms}]}' })
      .example('$0 tree -p state_dump > saved.ls && diff live.ls saved.ls', 'compare with `xenstore-ls -fp` from the live daemon')
      .example('$0 tree -p state_dump /local/domain/1', 'the subtree of domain 1, as `xenstore-ls -fp /local/domain/1`') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    const out = new BlockWriter(1, argv.json ? 'utf8' : 'latin1');
    await runCommand(input.label, () => {
      const root = argv.path === undefined ? undefined : argv.path.length > 1 ? argv.path.replace(/\/+$/, '') : argv.path;
      if (root !== undefined && !root.startsWith('/')) throw new CliError(EXIT.USAGE, `PATH must be absolute (start with /), not "${root}"`);
      if (root !== undefined && argv.all) throw new CliError(EXIT.USAGE, '--all lists the whole tree: not with a PATH');
      let found = root === undefined || root === '/';
      let first = true;
      // The object is opened at the first node (or at the end): an input that fails before
      // any node gives only the error object on stdout; one that fails later, after part of
      // the listing is out, has its object closed with `"ok": false` and the error in it.
      let opened = false;
      const open = (): void => {
        if (argv.json && !opened) out.line(`{"schema": "xsmig-tree/1", "version": 1, "root": ${JSON.stringify(root ?? '/')}, "nodes": [`);
        opened = true;
      };
      // Stream order is the daemon's own pre-order walk, as xenstore-ls shows it; only
      // committed nodes (conn-id 0) belong to the tree.
      const onRecord = (r: XsRecord): void => {
        if (r.type !== 'NODE_DATA' || r.connId !== 0) return;
        if (root !== undefined) {
          if (r.path === root) found = true;
          if (!underRoot(r.path, root)) return;
          found = true;
        } else if (!argv.all && (r.path === '/' || !r.path.startsWith('/'))) return;
        if (argv.json) {
          open();
          out.line(`${first ? '' : ','}${nodeJson(r)}`);
          first = false;
        } else out.line(treeLine(r, Boolean(argv.perms)));
      };
      let salvaged: Salvaged | undefined;
      try {
        if (argv.salvage) {
          // (The listing stays a listing: the faults go to stderr, or into the JSON object.)
          salvaged = salvageInput(input);
          salvaged.records.forEach(onRecord);
        } else streamInput(input, { onRecord });
        if (!found) {
          // (xenstore-ls: "could not access path")
          throw new CliError(EXIT.FINDING, `${input.label}: no node ${root} in the saved tree`);
        }
        open();
        if (argv.json) out.line(`]${salvaged ? `, "salvage": ${JSON.stringify(salvageJson(salvaged))}` : ''}}`);
      } catch (e) {
        if (!argv.json || !opened) throw e;
        const code = reportError(e, input.label);
        out.line(`], "ok": false, "error": ${JSON.stringify(jsonError(e, code, input.label).error)}}`);
        return code;
      } finally {
        out.flush();
      }
      if (salvaged && !argv.json) for (const l of faultLines(salvaged)) process.stderr.write(`xsmig: ${input.label}: ${l.trim()}\n`);
      if (salvaged) return salvageVerdict(input.label, salvaged);
    }, Boolean(argv.json));
  },
};
