// xsmig rollback plan | prepare: live-update rollback (README "Rolling back a live update").
// plan: what the target loses of a state, per guest and connection (convert's plan for the
// target, whose target losses are check --target's); prepare: the launcher live update execs.

import { accessSync, chmodSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { TARGET_NAMES, type TargetName } from '../../check/types.js';
import { launcherScript, planRollback, rollbackPlanLines } from '../../convert/rollback.js';
import { decodeStream } from '../../model/decode.js';
import { CliError, EXIT } from '../exit-codes.js';
import { HOST_IDS_OPTION, readHostIds } from '../host-ids.js';
import { readWholeInput, resolveInput } from '../input.js';
import { writeFileAtomic } from '../output.js';
import { runCommand } from '../run.js';

interface PlanArgs {
  file?: string;
  target: TargetName;
  json?: boolean;
  'host-ids'?: string;
}

interface PrepareArgs {
  target: TargetName;
  daemon: string;
  fallback: string;
  'fallback-target': TargetName;
  force?: boolean;
  output: string;
  log?: string;
  'host-ids'?: string;
}

const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan [file]',
  describe: 'What TARGET would lose of a state, per guest and connection, and whether prepare needs --force',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'the state (state_dump), or - for stdin' })
      .option('target', { alias: 't', type: 'string', choices: TARGET_NAMES, demandOption: true, describe: 'the daemon to roll back (or forward) to' })
      .option('host-ids', HOST_IDS_OPTION)
      .option('json', { type: 'boolean', describe: 'the plan as one JSON object' })
      .example('$0 rollback plan --target xen-4.17 state_dump', 'what 4.17 would lose; exit 1 if prepare needs --force') as Argv<PlanArgs>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(input.label, () => {
      const hostIds = readHostIds(argv['host-ids']);
      const stream = decodeStream(readWholeInput(input));
      const plan = planRollback(stream, argv.target, hostIds);
      if (argv.json) process.stdout.write(`${JSON.stringify({ schema: 'xsmig-rollback-plan/1', file: input.label, ...plan }, null, 2)}\n`);
      else process.stdout.write(`${rollbackPlanLines(plan).join('\n')}\n`);
      return plan.needsForce || plan.impossible ? EXIT.FINDING : EXIT.OK;
    }, Boolean(argv.json));
  },
};

function executable(path: string, what: string): string {
  const abs = resolve(path);
  try {
    if (!statSync(abs).isFile()) throw new Error('not a file');
    accessSync(abs, constants.X_OK);
  } catch {
    throw new CliError(EXIT.USAGE, `${what} ${path}: not an executable file`);
  }
  return abs;
}

/** The xsmig CLI this command runs in (dist/cli/main.js), absolute. */
function xsmigMain(): string {
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  if (!existsSync(main)) throw new CliError(EXIT.SOFTWARE, `cannot find xsmig's CLI at ${main} (run from dist/, after npm run build)`);
  return realpathSync(main);
}

const prepareCommand: CommandModule<object, PrepareArgs> = {
  command: 'prepare',
  describe: 'Write the launcher that live update execs: converts state_dump for TARGET and execs DAEMON, else execs FALLBACK',
  builder: (y: Argv) =>
    y
      .option('target', { alias: 't', type: 'string', choices: TARGET_NAMES, demandOption: true, describe: 'reader profile of DAEMON' })
      .option('daemon', { type: 'string', demandOption: true, describe: 'the xenstored to exec after the conversion' })
      .option('fallback', { type: 'string', demandOption: true, describe: 'the xenstored that wrote the state (exec\'d on a refusal or failure)' })
      .option('fallback-target', { type: 'string', choices: TARGET_NAMES, demandOption: true, describe: 'reader profile of FALLBACK (its own writer defects are repaired for it)' })
      .option('force', { type: 'boolean', describe: 'accept the losses `rollback plan` lists (else a lossy state goes to FALLBACK)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the launcher to write (mode 0755)' })
      .option('log', { type: 'string', describe: 'log file (default: xsmig-rollback.log beside state_dump)' })
      .option('host-ids', { ...HOST_IDS_OPTION, describe: `${HOST_IDS_OPTION.describe}; the launcher hands it to the conversion` })
      .example('$0 rollback prepare --target xen-4.17 --daemon /usr/lib/xen-4.17/bin/xenstored --fallback /usr/sbin/xenstored --fallback-target xen-4.22 --force -o /root/lu-417', '') as Argv<PrepareArgs>,
  handler: async (argv) => {
    await runCommand(undefined, () => {
      if (argv.log !== undefined && !isAbsolute(argv.log)) throw new CliError(EXIT.USAGE, `--log ${argv.log}: give an absolute path (the launcher runs in the daemon's working directory)`);
      const script = launcherScript({
        node: realpathSync(process.execPath),
        xsmig: xsmigMain(),
        target: argv.target,
        force: !!argv.force,
        daemon: executable(argv.daemon, '--daemon'),
        fallback: executable(argv.fallback, '--fallback'),
        fallbackTarget: argv['fallback-target'],
        ...(argv.log !== undefined ? { log: argv.log } : {}),
        // (Read once here, so that a bad file is a usage error now, not a fallback later.)
        ...(argv['host-ids'] !== undefined && readHostIds(argv['host-ids']) ? { hostIds: resolve(argv['host-ids']) } : {}),
      });
      writeFileAtomic(argv.output, (write) => write(Buffer.from(script)), (tmp) => chmodSync(tmp, 0o755));
      process.stderr.write(`xsmig rollback: wrote ${argv.output}: converts for ${argv.target}${argv.force ? ' (--force)' : ''}, then execs ${argv.daemon}; else ${argv.fallback}\n`);
      return EXIT.OK;
    });
  },
};

export const rollbackCommand: CommandModule<object, object> = {
  command: 'rollback <command>',
  describe: 'Live-update rollback: plan what a daemon would lose, prepare the launcher live update execs',
  builder: (y: Argv) => y.command(planCommand as never).command(prepareCommand as never).demandCommand(1, 'rollback plan or rollback prepare') as Argv<object>,
  handler: () => undefined,
};
