// `--host-ids FILE` of check and convert: the host's unique-id of each domain
// (model/host-ids.ts), read once and turned into a one-line usage error when it is not a
// host-ids file.

import { readFileSync } from 'node:fs';
import { HostIdsError, parseHostIds } from '../model/host-ids.js';
import { CliError, EXIT } from './exit-codes.js';

/** The host's ids from FILE, or undefined when no file was given. */
export function readHostIds(file: string | undefined): Map<number, bigint> | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    throw new CliError(EXIT.NO_INPUT, `--host-ids ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseHostIds(text, `--host-ids ${file}`);
  } catch (e) {
    if (e instanceof HostIdsError) throw new CliError(EXIT.USAGE, e.message);
    throw e;
  }
}

/** The yargs option both commands declare. */
export const HOST_IDS_OPTION = {
  type: 'string',
  describe: 'file of the host\'s domain unique-ids ("DOMID UNIQUE-ID" a line): xenstored 4.21+ releases a domain whose ring unique-id differs from the host\'s',
} as const;
