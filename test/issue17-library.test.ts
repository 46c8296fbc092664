// The defects of issue 17, each reproduced as the issue gives it.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJson } from '../src/model/json.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { EncodeError } from '../src/wire/errors.js';
import { CAPTURES, CLI, ROOT, runCli } from './helpers/cli.js';
import { quotaBytes, jsonOf } from './helpers/issue17.js';


describe('issue 17 defects: the library', () => {
  it('#8: StreamReader: after onRecord throws, end() does not deliver records again', () => {
    let calls = 0;
    const reader = new StreamReader({
      onRecord: () => {
        calls++;
        if (calls === 30) throw new Error('handler stops');
      },
    });
    expect(() => reader.push(quotaBytes())).toThrow('handler stops');
    expect(() => reader.end()).toThrow('handler stops');
    expect(calls).toBe(30);
  });

  it('#12: "__proto__" in the JSON form is refused, not read as an inherited END', () => {
    const j = jsonOf();
    (j.records as unknown[]).splice(3, 0, JSON.parse('{"__proto__": {"type": "END"}}'));
    expect(() => streamFromJson(JSON.parse(JSON.stringify(j).replace('{}', '{"__proto__":{"type":"END"}}')))).toThrow(/__proto__/);
    const text = JSON.stringify(jsonOf()).replace('"records":[', '"records":[{"__proto__":{"type":"END"}},');
    expect(() => streamFromJson(JSON.parse(text))).toThrow(/records\[0\]\.__proto__: not a field/);
  });

  it('#13: encodeStream refuses a malformed model; StreamReader.push refuses non-bytes', () => {
    const h = { version: 2, byteOrder: 'little' as const, reservedFlags: 0 };
    const node = (path: unknown) => ({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path, value: new Uint8Array() });
    const bad: [unknown, RegExp][] = [
      [{ header: { ...h, byteOrder: 'middle' }, records: [{ type: 'END' }] }, /byteOrder: expected "little" or "big", found the string "middle"/],
      [{ header: h, records: [] }, /no END record/],
      [{ header: h, records: [{ type: 'END' }, node('/a')] }, /END is not the last record/],
      [{ header: h, records: [node(5), { type: 'END' }] }, /record #0: NODE_DATA: path: expected a string, found the number 5/],
      [{ header: h, records: [node({ a: 1 }), { type: 'END' }] }, /path: expected a string, found an object/],
    ];
    for (const [s, re] of bad) {
      let err: unknown;
      try {
        encodeStream(s as Stream);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EncodeError);
      expect((err as Error).message).toMatch(re);
    }
    for (const c of ['abc', 5, null]) {
      expect(() => new StreamReader({}).push(c as never)).toThrow(/StreamReader\.push: a chunk is a Uint8Array or Buffer/);
    }
  });

});
