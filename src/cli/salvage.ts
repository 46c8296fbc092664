// `--salvage` of dump, info and check: the input read whole and record by record past its
// faults (model/salvage.ts); each fault and skipped region said, and the command exits 2.

import { checkStream } from '../check/index.js';
import type { CheckReport, TargetName } from '../check/types.js';
import { faultLines, salvageStream, type SalvageFault, type Salvaged } from '../model/salvage.js';
import type { RecordLocation, Stream } from '../model/types.js';
import { CliError, EXIT } from './exit-codes.js';
import { readWholeInput, type InputSpec } from './input.js';

export { faultLines, type Salvaged };

/** Reads `input` whole and salvages it. */
export function salvageInput(input: InputSpec): Salvaged {
  return salvageStream(readWholeInput(input));
}

export function faultJson(f: SalvageFault): Record<string, unknown> {
  const e = f.error;
  return {
    offset: e.offset, recordIndex: e.recordIndex, ...(e.recordType !== undefined ? { recordType: e.recordType } : {}), ...(e.field !== undefined ? { field: e.field } : {}),
    expected: e.expected, found: e.found, message: e.message, skippedFrom: f.skippedFrom, skippedTo: f.skippedTo, skippedBytes: f.skippedTo - f.skippedFrom, resumed: f.resumed,
  };
}

/** What --salvage adds to a --json object. */
export function salvageJson(s: Salvaged): Record<string, unknown> {
  return { faults: s.faults.map(faultJson), ended: s.ended, recordsRead: s.records.length, skippedBytes: s.faults.reduce((n, f) => n + f.skippedTo - f.skippedFrom, 0) };
}

/** The stream salvaged, END added when the input had none (for the checker). */
export function salvagedStream(s: Salvaged, size: number): { stream: Stream; locations: RecordLocation[] } {
  const records = [...s.records];
  const locations = [...s.locations];
  if (!s.ended) {
    records.push({ type: 'END' });
    locations.push({ index: records.length - 1, offset: size, typeCode: 0, len: 0, wireLen: 8 });
  }
  return { stream: { header: s.header, records }, locations };
}

export function checkSalvaged(s: Salvaged, size: number, target?: TargetName): CheckReport {
  const { stream, locations } = salvagedStream(s, size);
  return checkStream(stream, target ? { target, locations } : { locations });
}

/** The line on stderr and the exit code of a salvaged run: never silent. */
export function salvageVerdict(label: string, s: Salvaged): number {
  if (s.faults.length === 0 && s.ended) return EXIT.OK;
  const skipped = s.faults.reduce((n, f) => n + f.skippedTo - f.skippedFrom, 0);
  process.stderr.write(`xsmig: ${label}: salvaged: ${s.faults.length} fault(s), ${skipped} byte(s) skipped, ${s.records.length} record(s) read${s.ended ? '' : ', no END (cut short)'}\n`);
  return EXIT.BAD_INPUT;
}

/** --salvage cannot go with what reads the input otherwise. */
export function refuseWith(what: string): never {
  throw new CliError(EXIT.USAGE, `--salvage cannot be combined with ${what}`);
}
