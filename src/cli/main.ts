#!/usr/bin/env -S node --max-semi-space-size=4
// (The flag: a small young generation. The streaming commands make short-lived records by the
// million; a 4 MiB semi-space (V8 default 16) keeps peak RSS down and scavenges cheap: measured
// faster than the default for info and check, and about 20 MiB less peak memory.
// V8 takes it only at start-up, hence the shebang; `node dist/cli/main.js` runs without it.)
// xsmig command line: one module per command under commands/.

import { CliError, EXIT } from './exit-codes.js';

const args = process.argv.slice(2);

// Loading yargs and every command module takes about as long as reading 100 MB from the page
// cache: a command whose arguments take only its plain forms runs without them (the command
// module says which forms; help, usage errors and anything else go through yargs below).
type PlainCommand = { handler(argv: object): unknown; plain(args: readonly string[]): object | undefined };
const PLAIN: Record<string, () => Promise<PlainCommand>> = {
  check: async () => { const m = await import('./commands/check.js'); return { handler: m.checkCommand.handler as PlainCommand['handler'], plain: m.plainCheckArgs }; },
  dump: async () => { const m = await import('./commands/dump.js'); return { handler: m.dumpCommand.handler as PlainCommand['handler'], plain: m.plainDumpArgs }; },
  info: async () => { const m = await import('./commands/info.js'); return { handler: m.infoCommand.handler as PlainCommand['handler'], plain: m.plainInfoArgs }; },
  convert: async () => { const m = await import('./commands/convert.js'); return { handler: m.convertCommand.handler as PlainCommand['handler'], plain: m.plainConvertArgs }; },
};

async function runPlain(): Promise<boolean> {
  // (A large conversion's verify thread boots while the command loads: see verify-prestart.ts.)
  if (args[0] === 'convert') (await import('./verify-prestart.js')).prestart(args.slice(1));
  const load = Object.hasOwn(PLAIN, args[0] ?? '') ? PLAIN[args[0]!] : undefined;
  if (!load) return false;
  const command = await load();
  const plainArgs = command.plain(args.slice(1));
  if (!plainArgs) return false;
  await command.handler({ ...plainArgs, _: [args[0]], $0: 'xsmig' });
  return true;
}

async function runYargs(): Promise<void> {
  const [{ default: yargs }, { hideBin }, { commands }] = await Promise.all([import('yargs'), import('yargs/helpers'), import('./commands/index.js')]);
  const cli = yargs(hideBin(process.argv))
    .scriptName('xsmig')
    .usage('$0 <command> [options]\n\nRead, check and convert Xenstore migration streams (xenstored live-update state).')
    .demandCommand(1, 'Give a command; see xsmig --help.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      'Exit codes: 0 success, 1 finding (check errors, diff differences, convert refused), 2 input not a decodable stream, ' +
        '64 usage error, 66 input cannot be opened, 70 internal error, 73 output cannot be created.',
    )
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`xsmig: ${msg}\nxsmig: see xsmig --help\n`);
      process.exit(EXIT.USAGE);
    });

  for (const c of commands) cli.command(c as never);

  await cli.parseAsync();
}

// (Keep in step with commands/index.ts: test/cli-commands.test.ts runs --help of each.)
const COMMANDS = ['info', 'dump', 'tree', 'check', 'convert', 'diff', 'decode', 'encode', 'gen', 'rollback'];

/** Mistakes caught before yargs sees them: its messages for these mislead. */
function preflight(): void {
  const cmd = args[0];
  if (cmd === undefined || cmd.startsWith('-')) return;
  if (!COMMANDS.includes(cmd)) {
    throw new CliError(EXIT.USAGE, `unknown command "${cmd}": the commands are ${COMMANDS.join(', ')} (see xsmig --help)`);
  }
  // yargs' global --version prints the program's version and exits 0, writing nothing: only
  // gen takes --version (the stream version); elsewhere the user meant something else.
  const rest = args.slice(1);
  const end = rest.indexOf('--');
  const opts = end < 0 ? rest : rest.slice(0, end);
  if (cmd !== 'gen' && opts.some((a) => a === '--version' || a.startsWith('--version='))) {
    const hint = cmd === 'convert' ? ': the stream version to write is --to-version' : '';
    throw new CliError(EXIT.USAGE, `${cmd} takes no --version${hint} (xsmig's own version: xsmig --version)`);
  }
}

try {
  preflight();
  if (!(await runPlain())) await runYargs();
} catch (e) {
  // (A command that throws before its runCommand, e.g. no FILE on a terminal: one line too.)
  const { reportError } = await import('./run.js');
  process.exitCode = reportError(e);
}
