// Reading a `dump --html` page back in tests: its script elements, its config and its chunks
// (base64 of gzip), decoded with node's own zlib, independently of the page script.

import type { IndexChunk } from '../../src/cli/render/html-report.js';
import { gunzipSync } from 'node:zlib';
import type { Stream } from '../../src/model/types.js';

export interface ScriptTag {
  open: string;
  attrs: Record<string, string>;
  content: string;
}

export function scriptTags(html: string): ScriptTag[] {
  const out: ScriptTag[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([a-z-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    out.push({ open: `<script${m[1]}>`, attrs, content: m[2]! });
  }
  return out;
}

export type { IndexChunk };
/** span: [start relative to the record, length, span name id, integer value] */
export type SpanRow = [number, number, number, number | string | null];
/** field: [label, value, meaning, flags, span indexes, messages?] */
export type FieldRow = [string, string, string | null, number, number[], [string, string][]?];
export interface RecordDetail {
  s: SpanRow[];
  f: FieldRow[];
  a?: string[];
  n?: number;
}

export interface ParsedReport {
  config: {
    label: string;
    records: number;
    chunks: number;
    bytes: number;
    spanNames: [string, string][];
    findings: { rule: string; severity: string; message: string; recordIndex: number | null }[] | null;
    findingsTotal: number | null;
    findingsNote: string | null;
    filter: Record<string, unknown>;
    error: { message: string; offset: number; recordIndex: number } | null;
    [k: string]: unknown;
  };
  chunks: { index: IndexChunk; detail: RecordDetail[]; bytes: Buffer }[];
  /** Every finding as record (-1: none), rule (into rules) and severity (3 error, 2 warning, 1 info). */
  marks?: { r: number[]; k: number[]; s: number[]; rules: [string, string][] };
  script: string;
}

const unpack = (b64: string): Buffer => gunzipSync(Buffer.from(b64, 'base64'));

export function parseReport(html: string): ParsedReport {
  const tags = scriptTags(html);
  const config = JSON.parse(tags.find((t) => t.attrs.id === 'xsmig-config')!.content);
  const chunks: ParsedReport['chunks'] = [];
  const findings = tags.find((x) => x.attrs['data-part'] === 'findings');
  const marks = findings ? JSON.parse(unpack(findings.content).toString('utf8')) : undefined;
  for (const t of tags.filter((x) => x.attrs.type === 'application/x-xsmig' && x.attrs['data-chunk'] !== undefined)) {
    const k = Number(t.attrs['data-chunk']);
    const c = (chunks[k] ??= {} as ParsedReport['chunks'][number]);
    if (t.attrs['data-part'] === 'bytes') c.bytes = unpack(t.content);
    else if (t.attrs['data-part'] === 'index') c.index = JSON.parse(unpack(t.content).toString('utf8'));
    else c.detail = JSON.parse(unpack(t.content).toString('utf8')).map((d: Parameters<typeof expand>[0]) => expand(d, config));
  }
  const script = tags.find((t) => t.open === '<script>')!.content;
  return { config, chunks, marks, script };
}

/** A record's details as the page script expands them (test's own reading of html-report.ts's compaction). */
function expand(d: { s: (number | string)[][]; o?: number[]; f: unknown[][]; a?: string[]; n?: number }, config: ParsedReport['config']): RecordDetail {
  let at = 0;
  const s = d.s.map((x, k): SpanRow => {
    const start = d.o ? d.o[k]! : at;
    at = start + (x[0] as number);
    return [start, x[0] as number, x[1] as number, x.length > 2 ? (x[2] as number | string) : null];
  });
  const f = d.f.map((x): FieldRow => {
    const spans = typeof x[4] === 'number' ? [x[4]] : (x[4] as number[]);
    const label = typeof x[0] === 'number' ? config.spanNames[x[0]]![0] : (x[0] as string);
    const value = x[1] === 0 ? String(s[spans[0]!]![3]) : (x[1] as string);
    const meaning = typeof x[2] === 'number' ? (x[2] ? (config.meanings as string[])[x[2]]! : null) : (x[2] as string);
    const row: FieldRow = [label, value, meaning, x[3] as number, spans];
    if (x[5]) row.push(x[5] as [string, string][]);
    return row;
  });
  const out: RecordDetail = { s, f };
  if (d.a) out.a = d.a;
  if (d.n) out.n = d.n;
  return out;
}

/** The detail and index entry of record `i`. */
export function recordOf(r: ParsedReport, i: number): { detail: RecordDetail; chunk: ParsedReport['chunks'][number]; j: number } {
  const chunk = r.chunks.find((c) => i >= c.index.first && i < c.index.first + c.index.t.length)!;
  const j = i - chunk.index.first;
  return { detail: chunk.detail[j]!, chunk, j };
}

export const HOSTILE_VALUE = '</script><script>window.__xss=1;alert(1)</script><img src=x onerror="window.__xss=2">';
export const HOSTILE_PATH = '/evil</script><img src=x onerror=alert(3)>';

/** A stream whose strings try to break out of the page: a node value, a path, a token, a quota name. */
export function hostileStream(): Stream {
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  return {
    header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
    records: [
      { type: 'GLOBAL_DATA', rwSocketFd: -1, evtchnFd: -1 },
      { type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: 0, connSpec: { domid: 1, tdomid: 0x7ff4, evtchn: 3 }, outRespLen: 0, inData: new Uint8Array(), outData: new Uint8Array() },
      { type: 'WATCH_DATA', connId: 1, wpath: '/evil', token: '<!--<script>alert(5)</script>' },
      { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: '/', value: new Uint8Array() },
      { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 1 }], path: '/evil', value: latin1(HOSTILE_VALUE) },
      { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 1 }], path: HOSTILE_PATH, value: latin1('<b>bold</b>') },
      { type: 'DOMAIN_DATA', domainId: 1, features: 0, quotas: [{ name: '</script><b>q', value: 1 }] },
      { type: 'END' },
    ],
  };
}
