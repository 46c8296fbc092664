import { recordTypeLabel } from './constants.js';

/** Where in a stream a fault was found. `recordIndex` is -1 for the header. */
export interface Location {
  offset: number;
  recordIndex: number;
  recordType?: number;
  field?: string;
}

/**
 * The input is not a decodable stream. Carries the absolute byte offset, the record index
 * and type, and what was expected against what was found, so that the CLI can print one line
 * a person at a terminal can act on.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly offset: number;
  readonly recordIndex: number;
  readonly recordType: number | undefined;
  readonly field: string | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(loc: Location, expected: string, found: string) {
    super(DecodeError.format(loc, expected, found));
    this.offset = loc.offset;
    this.recordIndex = loc.recordIndex;
    this.recordType = loc.recordType;
    this.field = loc.field;
    this.expected = expected;
    this.found = found;
  }

  static format(loc: Location, expected: string, found: string): string {
    const where =
      loc.recordIndex < 0
        ? 'header'
        : `record #${loc.recordIndex}${loc.recordType === undefined ? '' : ` (${recordTypeLabel(loc.recordType)})`}`;
    const field = loc.field ? `, field ${loc.field}` : '';
    return `at byte ${loc.offset} (0x${loc.offset.toString(16)}), ${where}${field}: expected ${expected}, found ${found}`;
  }
}

/** A model cannot be written: a value out of range, a missing field, an inconsistent record. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  readonly recordIndex: number;
  /** The field at fault, as a path in the model record (`connSpec.domid`, `quotas[0].name`), when known. */
  readonly field: string | undefined;
  constructor(recordIndex: number, message: string, field?: string) {
    super(recordIndex < 0 ? message : `record #${recordIndex}: ${message}`);
    this.recordIndex = recordIndex;
    this.field = field;
  }
}
