// What the issue-17 defect tests share: the head-v2-quota capture, as bytes, as its JSON form,
// and re-encoded after a change to its records; a scratch directory.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeStream } from '../../src/model/decode.js';
import { encodeStream } from '../../src/model/encode.js';
import { streamToJson } from '../../src/model/json.js';
import type { XsRecord } from '../../src/model/types.js';
import { CAPTURES } from './cli.js';

export const QUOTA = `${CAPTURES}head-v2-quota.bin`;
export const quotaBytes = (): Buffer => readFileSync(QUOTA);
export const tmp = (): string => mkdtempSync(join(tmpdir(), 'xsmig-i17-'));
export const withRecords = (f: (records: XsRecord[]) => void): Buffer => {
  const s = decodeStream(quotaBytes());
  f(s.records);
  return Buffer.from(encodeStream(s));
};
export const jsonOf = (): Record<string, unknown> => streamToJson(decodeStream(quotaBytes())) as Record<string, unknown>;
