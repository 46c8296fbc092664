// Exit codes (documented in README.md, "Exit codes"); sysexits.h values where one fits.
export const EXIT = {
  OK: 0,
  /** The command's own finding: check found errors, diff found differences, convert refused. */
  FINDING: 1,
  /** The input is not a decodable stream (or not a valid JSON form). */
  BAD_INPUT: 2,
  /** Wrong command line. */
  USAGE: 64,
  /** The input cannot be opened or read. */
  NO_INPUT: 66,
  /** Internal error: a bug in xsmig. */
  SOFTWARE: 70,
  /** The output cannot be created or written. */
  CANT_CREATE: 73,
} as const;

/** An error meant for the person at the terminal: printed as one line, then exit `code`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
