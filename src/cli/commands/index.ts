import { checkCommand } from './check.js';
import { decodeCommand } from './decode.js';
import { encodeCommand } from './encode.js';
import { dumpCommand } from './dump.js';
import { treeCommand } from './tree.js';
import { infoCommand } from './info.js';
import { convertCommand } from './convert.js';
import { diffCommand } from './diff.js';
import { genCommand } from './gen.js';
import { rollbackCommand } from './rollback.js';

import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [infoCommand, dumpCommand, treeCommand, checkCommand, convertCommand, diffCommand, decodeCommand, encodeCommand, genCommand, rollbackCommand];
