// Turns what a command throws into one line on stderr and a documented exit code.

import { DecodeError, EncodeError } from '../wire/errors.js';
import { JsonFormError } from '../model/json.js';
import { CliError, EXIT } from './exit-codes.js';

export function reportError(e: unknown, inputLabel?: string): number {
  const prefix = inputLabel ? `xsmig: ${inputLabel}: ` : 'xsmig: ';
  if (e instanceof CliError) {
    process.stderr.write(`xsmig: ${e.message}\n`);
    return e.code;
  }
  if (e instanceof DecodeError) {
    process.stderr.write(`${prefix}not a decodable stream: ${e.message}\n`);
    return EXIT.BAD_INPUT;
  }
  if (e instanceof JsonFormError) {
    process.stderr.write(`${prefix}not a valid xsmig JSON form: ${e.message}\n`);
    return EXIT.BAD_INPUT;
  }
  if (e instanceof SyntaxError && inputLabel) {
    process.stderr.write(`${prefix}not valid JSON: ${e.message}\n`);
    return EXIT.BAD_INPUT;
  }
  if (e instanceof EncodeError) {
    process.stderr.write(`${prefix}cannot encode: ${e.message}\n`);
    return EXIT.BAD_INPUT;
  }
  const sys = e as NodeJS.ErrnoException;
  if (sys && sys.code === 'EPIPE') return EXIT.OK;
  process.stderr.write(`xsmig: internal error: ${(e as Error)?.message ?? String(e)}\n`);
  if (process.env.XSMIG_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  else process.stderr.write('xsmig: (set XSMIG_DEBUG=1 for a stack trace; please report this)\n');
  return EXIT.SOFTWARE;
}

/** Runs a command body; on error prints one line and sets the exit code. */
export async function runCommand(inputLabel: string | undefined, body: () => number | void | Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? EXIT.OK;
  } catch (e) {
    process.exitCode = reportError(e, inputLabel);
  }
}
