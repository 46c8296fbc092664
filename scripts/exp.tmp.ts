import { writeFileSync } from 'node:fs';
import { encodeStream } from '../src/model/encode.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { roundTrip } from '../test/helpers/interop-rig.js';
import { decodeStream } from '../src/model/decode.js';
import { checkStream } from '../src/check/index.js';
const H = (d: number) => 0x0102030405060000n | BigInt(d);
const ring = (connId: number, domid: number, tdomid = 0x7ff4): XsRecord => ({ type: 'CONNECTION_DATA', connId, connType: 0, fields: 1, connSpec: { domid, tdomid, evtchn: 10 + domid }, outRespLen: 0, inData: new Uint8Array(), outData: new Uint8Array(), uniqueId: H(domid) });
const node = (path: string, perms: [string, number][]): XsRecord => ({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: perms.map(([perm, domid]) => ({ perm, flags: 0, domid })), path, value: new Uint8Array() });
const cases: Record<string, XsRecord[]> = {
  tdomidPerm: [ring(1, 0), ring(2, 16, 5), node('/', [['n', 0]]), node('/x', [['n', 0], ['r', 5]]), node('/y', [['n', 16], ['r', 7]]), node('@releaseDomain', [['n', 0]]), node('@introduceDomain', [['n', 0]])],
  tdomidDomData: [ring(1, 0), ring(2, 16, 5), node('/', [['n', 0]]), node('/x', [['n', 0], ['r', 5]]), node('@releaseDomain', [['n', 0]]), node('@introduceDomain', [['n', 0]]), { type: 'DOMAIN_DATA', domainId: 5, features: 14, quotas: [{ name: 'nodes', value: 7 }] }],
  watchPerm: [ring(1, 0), ring(2, 16), { type: 'WATCH_DATA', connId: 2, wpath: '@releaseDomain', token: 't' }, node('/', [['n', 0]]), node('/x', [['n', 0], ['r', 5]]), node('@releaseDomain', [['n', 0], ['r', 9]]), node('@introduceDomain', [['n', 0]])],
};
for (const [name, recs] of Object.entries(cases)) {
  const s: Stream = { header: { version: 2, byteOrder: 'little', reservedFlags: 0 }, records: [{ type: 'GLOBAL_DATA', rwSocketFd: -1, evtchnFd: -1 }, ...recs, { type: 'END' }] };
  const f = `/tmp/exp/${name}.bin`; writeFileSync(f, encodeStream(s));
  const r = await roundTrip('/tmp/exp', f, name, { daemon: '4.22' });
  console.log(name, 'alive', r.alive, r.daemonOutput.join('|'), 'alive2', r.aliveAfterRedump, r.listing.join(' ; '));
  if (r.redump) { const d = decodeStream(r.redump); console.log('  dump domains', d.records.filter(x => x.type === 'DOMAIN_DATA').map(x => JSON.stringify(x)).join(' '), 'rings', d.records.filter(x=>x.type==='CONNECTION_DATA').map(x=>JSON.stringify((x as any).connSpec)).join(' ')); console.log('  findings', checkStream(d, {target: 'xen-4.22'}).findings.map(f=>f.rule).join(',')); }
}
