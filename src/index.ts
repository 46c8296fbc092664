// xsmig library entry point.
export * from './wire/constants.js';
export { DecodeError, EncodeError } from './wire/errors.js';
export { LAYOUTS, WATCH_DATA_EXTENDED_SHORT } from './wire/layout.js';
export type { Field, RecordLayout } from './wire/layout.js';
export { walkSpans } from './wire/spans.js';
export type { Span } from './wire/spans.js';
export * from './model/types.js';
export { decodeStream, decodeStreamDetailed, decodeRecordAt, decodeHeader } from './model/decode.js';
export type { DecodeResult } from './model/decode.js';
export { encodeStream, encodeStreamTo, writeRecord, writeHeader } from './model/encode.js';
export { StreamReader } from './model/stream-reader.js';
export type { StreamHandlers } from './model/stream-reader.js';
export { streamToJson, streamFromJson, streamToJsonText, recordToJson, recordFromJson, JsonFormError, JSON_FORMAT } from './model/json.js';
export { streamAnomalies, recordAnomalies } from './model/anomalies.js';
export type { Anomaly } from './model/anomalies.js';
export * from './check/index.js';
