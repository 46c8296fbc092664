import type { Argv, CommandModule } from 'yargs';
import type { NodeData, Permission } from '../../model/types.js';
import { resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { xsEscape } from '../render/escape.js';
import { runCommand } from '../run.js';
import { streamInput } from '../stream-input.js';

interface Args { file?: string; perms?: boolean; all?: boolean }

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

export const treeCommand: CommandModule<object, Args> = {
  command: 'tree [file]',
  describe: 'List the saved tree as `xenstore-ls -f /` (-p: `-fp`) prints it',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .option('perms', { alias: 'p', type: 'boolean', describe: 'show permissions, as xenstore-ls -p' })
      .option('all', { type: 'boolean', describe: 'also list / and the @ special nodes' })
      .example('$0 tree -p state_dump > saved.ls && diff live.ls saved.ls', 'compare with `xenstore-ls -fp` from the live daemon') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    const out = new BlockWriter(1, 'latin1');
    await runCommand(input.label, () => {
      // Stream order is the daemon's own pre-order walk, as xenstore-ls shows it; only
      // committed nodes (conn-id 0) belong to the tree.
      try {
        streamInput(input, {
          onRecord: (r) => {
            if (r.type !== 'NODE_DATA' || r.connId !== 0) return;
            if (!argv.all && (r.path === '/' || !r.path.startsWith('/'))) return;
            out.line(treeLine(r, Boolean(argv.perms)));
          },
        });
      } finally {
        out.flush();
      }
    });
  },
};
