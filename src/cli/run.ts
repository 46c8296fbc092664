// Turns what a command throws into one line on stderr and a documented exit code.

import { writeSync } from 'node:fs';
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

/**
 * What a `--json` command prints on standard output when it fails (its stderr line as well):
 * one object, so that a script reading stdout always gets JSON.
 */
export function jsonError(e: unknown, code: number, inputLabel?: string): Record<string, unknown> {
  const kind =
    e instanceof DecodeError ? 'not-decodable'
    : e instanceof JsonFormError || (e instanceof SyntaxError && inputLabel) ? 'not-json-form'
    : e instanceof EncodeError ? 'cannot-encode'
    : e instanceof CliError ? (code === EXIT.USAGE ? 'usage' : code === EXIT.NO_INPUT ? 'cannot-open' : code === EXIT.CANT_CREATE ? 'cannot-write' : 'error')
    : 'internal';
  const error: Record<string, unknown> = { kind, exitCode: code, message: (e as Error)?.message ?? String(e) };
  if (inputLabel !== undefined) error.file = inputLabel;
  if (e instanceof DecodeError) {
    error.offset = e.offset;
    error.recordIndex = e.recordIndex;
    if (e.recordType !== undefined) error.recordType = e.recordType;
    if (e.field !== undefined) error.field = e.field;
    error.expected = e.expected;
    error.found = e.found;
  }
  return { schema: 'xsmig-error/1', ok: false, error };
}

/**
 * Runs a command body; on error prints one line and sets the exit code. With `json`, a failure
 * also prints jsonError's object on standard output (one line with 'ndjson').
 */
export async function runCommand(inputLabel: string | undefined, body: () => number | void | Promise<number | void>, json: boolean | 'ndjson' = false): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? EXIT.OK;
  } catch (e) {
    const code = reportError(e, inputLabel);
    process.exitCode = code;
    if (json && code !== EXIT.OK) {
      try {
        writeSync(1, `${JSON.stringify(jsonError(e, code, inputLabel), null, json === 'ndjson' ? undefined : 2)}\n`);
      } catch {
        // (stdout gone: the stderr line stands)
      }
    }
  }
}
