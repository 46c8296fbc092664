// A realistic large stream for the benchmark: what xenstored 4.21+ saves on a host with
// thousands of guests (one ring connection with a few watches per guest, a /local/domain/N
// tree per guest with its devices, the backend trees in dom0, /vm and /libxl entries, a few
// binary values, DOMAIN_DATA per guest), written record by record to a file through the
// library's own writer, in bounded memory. Deterministic: the same arguments give the same bytes.
//
//   node bench/gen-realistic.mjs OUT [targetMB=100]

import { closeSync, openSync, writeSync } from 'node:fs';
import { writeHeader, writeRecord } from '../dist/model/encode.js';
import { BinaryWriter } from '../dist/wire/writer.js';

/** Small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const te = (s) => Buffer.from(s, 'latin1');

function watchEvent(path, token) {
  const payload = te(`${path}\0${token}\0`);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(15, 0);
  head.writeUInt32LE(payload.length, 12);
  return Buffer.concat([head, payload]);
}
const DOMID_INVALID = 0x7ff4;

/** Approximate bytes per guest (all its records), to size the stream. */
const BYTES_PER_GUEST = 11_040;

export function generateRealisticTo(path, targetBytes) {
  const rand = rng(0x5eed);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const hex = (n) => { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)]; return s; };
  const uuid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const guests = Math.max(1, Math.round(targetBytes / BYTES_PER_GUEST));

  const fd = openSync(path, 'w');
  const w = new BinaryWriter('little', (chunk) => { let o = 0; while (o < chunk.length) o += writeSync(fd, chunk, o); });
  let count = 0;
  const put = (r) => { writeRecord(w, r, count++); w.maybeFlush(); };

  w.setOrder('big');
  writeHeader(w, { version: 2, byteOrder: 'little', reservedFlags: 0 });
  w.setOrder('little');
  put({ type: 'GLOBAL_DATA', rwSocketFd: 6, evtchnFd: 7 });
  const dq = ['nodes', 'watches', 'transactions', 'outstanding', 'memory', 'transaction-nodes', 'node-permissions', 'path-max', 'node-size'];
  put({
    type: 'GLOBAL_QUOTA_DATA',
    domQuotas: dq.map((name, i) => ({ name, value: [1000, 128, 10, 1024, 2097152, 1024, 5, 1024, 2048][i] })),
    globQuotas: [{ name: 'memory', value: 0 }],
  });

  // Connections: dom0's tools socket, then one ring per guest with its watches.
  put({ type: 'CONNECTION_DATA', connId: 1, connType: 1, fields: 0, connSpec: { socketFd: 9 }, outRespLen: 0, inData: new Uint8Array(0), outData: new Uint8Array(0) });
  put({ type: 'WATCH_DATA', connId: 1, wpath: '@releaseDomain', token: 'domlist' });
  put({ type: 'WATCH_DATA', connId: 1, wpath: '@introduceDomain', token: 'domlist' });
  for (let d = 1; d <= guests; d++) {
    const connId = d + 1;
    put({
      type: 'CONNECTION_DATA', connId, connType: 0, fields: 1,
      connSpec: { domid: d, tdomid: DOMID_INVALID, evtchn: 1 + (d % 1000) },
      outRespLen: 0, inData: new Uint8Array(0),
      // A few guests have a queued watch event: a whole wire message, header (type 15
      // XS_WATCH_EVENT, req-id, tx-id, len; little-endian like the records) + path + token.
      outData: d % 97 === 0 ? watchEvent(`/local/domain/${d}/control/shutdown`, 'FFFFFFFF8200e000') : new Uint8Array(0),
      uniqueId: BigInt(d) * 0x100000001n,
    });
    const base = `/local/domain/${d}`;
    put({ type: 'WATCH_DATA', connId, wpath: `${base}/control/shutdown`, token: 'FFFFFFFF8200e000' });
    put({ type: 'WATCH_DATA_EXTENDED', connId, depth: 1, wpath: `${base}/device/vif`, token: 'FFFFFFFF8200e100' });
    put({ type: 'WATCH_DATA', connId, wpath: `${base}/memory/target`, token: 'FFFFFFFF8200e200' });
    if (d % 3 === 0) put({ type: 'WATCH_DATA', connId, wpath: `/local/domain/0/backend/vbd/${d}/51712/state`, token: 'FFFFFFFF8200e300' });
  }

  const node = (path, value, perms) => put({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms, path, value: typeof value === 'string' ? te(value) : value });
  const p0 = [{ perm: 'n', flags: 0, domid: 0 }];
  const pg = (d) => [{ perm: 'n', flags: 0, domid: d }];
  const pgr = (d) => [{ perm: 'n', flags: 0, domid: 0 }, { perm: 'r', flags: 0, domid: d }];
  const pb = (d) => [{ perm: 'n', flags: 0, domid: 0 }, { perm: 'b', flags: 0, domid: d }];

  // Tree in pre-order from "/".
  node('/', '', [{ perm: 'r', flags: 0, domid: 0 }]);
  node('/tool', '', p0);
  node('/tool/xenstored', '', p0);
  node('/local', '', [{ perm: 'r', flags: 0, domid: 0 }]);
  node('/local/domain', '', [{ perm: 'r', flags: 0, domid: 0 }]);
  node('/local/domain/0', '', p0);
  node('/local/domain/0/name', 'Domain-0', p0);
  node('/local/domain/0/domid', '0', p0);
  node('/local/domain/0/backend', '', p0);
  for (const kind of ['vbd', 'vif', 'console']) {
    node(`/local/domain/0/backend/${kind}`, '', p0);
    for (let d = 1; d <= guests; d++) {
      const dev = kind === 'vbd' ? '51712' : '0';
      const b = `/local/domain/0/backend/${kind}/${d}`;
      node(b, '', pgr(d));
      node(`${b}/${dev}`, '', pgr(d));
      const fe = `/local/domain/${d}/device/${kind}/${dev}`;
      const common = [['frontend', fe], ['frontend-id', String(d)], ['online', '1'], ['state', '4'], ['hotplug-status', 'connected']];
      const extra = kind === 'vbd'
        ? [['params', `/dev/vg0/guest-${d}-disk`], ['script', '/etc/xen/scripts/block'], ['mode', 'w'], ['device-type', 'disk'], ['discard-enable', '1'],
           ['physical-device', `fd:${(d % 200).toString(16)}`], ['physical-device-path', `/dev/dm-${d % 200}`], ['sectors', String(41943040 + d)], ['info', '0'], ['sector-size', '512'],
           ['feature-flush-cache', '1'], ['feature-discard', '1'], ['feature-persistent', '1'], ['feature-max-indirect-segments', '256'], ['multi-queue-max-queues', '4']]
        : kind === 'vif'
          ? [['script', '/etc/xen/scripts/vif-bridge'], ['mac', `00:16:3e:${hex(2)}:${hex(2)}:${hex(2)}`], ['bridge', 'xenbr0'], ['handle', '0'], ['type', 'vif'],
             ['feature-sg', '1'], ['feature-gso-tcpv4', '1'], ['feature-gso-tcpv6', '1'], ['feature-rx-copy', '1'], ['feature-rx-flip', '0'], ['feature-multicast-control', '1'],
             ['feature-split-event-channels', '1'], ['multi-queue-max-queues', '2'], ['feature-ctrl-ring', '1']]
          : [['protocol', 'vt100'], ['type', 'xenconsoled'], ['name', `guest-${d}`]];
      for (const [k, v] of [...common, ...extra]) node(`${b}/${dev}/${k}`, v, pgr(d));
    }
  }
  for (let d = 1; d <= guests; d++) {
    const b = `/local/domain/${d}`;
    const vm = uuid();
    node(b, '', pgr(d));
    for (const [k, v] of [['vm', `/vm/${vm}`], ['name', `guest-${d}`], ['domid', String(d)], ['cpu', '']]) node(`${b}/${k}`, v, pgr(d));
    const vcpus = 1 + (d % 4);
    for (let c = 0; c < vcpus; c++) { node(`${b}/cpu/${c}`, '', pgr(d)); node(`${b}/cpu/${c}/availability`, 'online', pgr(d)); }
    node(`${b}/memory`, '', pgr(d));
    for (const [k, v] of [['static-max', '2097152'], ['target', String(2097152 - (d % 7) * 1024)], ['videoram', '-1']]) node(`${b}/memory/${k}`, v, pgr(d));
    node(`${b}/device`, '', pgr(d));
    for (const [kind, dev, keys] of [
      ['vbd', '51712', [['backend', `/local/domain/0/backend/vbd/${d}/51712`], ['backend-id', '0'], ['state', '4'], ['virtual-device', '51712'], ['device-type', 'disk'],
        ['protocol', 'x86_64-abi'], ['ring-ref', String(8 + (d % 9))], ['event-channel', String(4 + (d % 11))], ['feature-persistent', '1'], ['multi-queue-num-queues', '2']]],
      ['vif', '0', [['backend', `/local/domain/0/backend/vif/${d}/0`], ['backend-id', '0'], ['state', '4'], ['handle', '0'], ['mac', `00:16:3e:${hex(2)}:${hex(2)}:${hex(2)}`],
        ['tx-ring-ref', String(768 + (d % 64))], ['rx-ring-ref', String(769 + (d % 64))], ['event-channel', String(12 + (d % 13))], ['request-rx-copy', '1'], ['feature-rx-notify', '1'],
        ['feature-sg', '1'], ['feature-gso-tcpv4', '1'], ['feature-gso-tcpv6', '1'], ['feature-ipv6-csum-offload', '1'], ['multi-queue-num-queues', '2']]],
    ]) {
      node(`${b}/device/${kind}`, '', pb(d));
      node(`${b}/device/${kind}/${dev}`, '', pb(d));
      for (const [k, v] of keys) node(`${b}/device/${kind}/${dev}/${k}`, v, pb(d));
    }
    node(`${b}/control`, '', pgr(d));
    for (const k of ['shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', 'sysrq', 'platform-feature-multiprocessor-suspend', 'platform-feature-xs_reset_watches'])
      node(`${b}/control/${k}`, k === 'shutdown' || k === 'sysrq' ? '' : '1', pb(d));
    for (const k of ['data', 'drivers', 'feature', 'attr', 'error']) node(`${b}/${k}`, '', pb(d));
    node(`${b}/attr/os`, pick(['linux', 'freebsd', 'windows']), pb(d));
    node(`${b}/drivers/0`, `Linux 6.${d % 12}.${d % 30}-xen`, pb(d));
    node(`${b}/data/updated`, `Mon Jan ${1 + (d % 28)} 12:00:00 UTC 2026`, pb(d));
    // A few binary values (agent state blobs with NULs).
    if (d % 50 === 0) {
      const blob = new Uint8Array(64 + (d % 200));
      for (let i = 0; i < blob.length; i++) blob[i] = Math.floor(rand() * 256);
      node(`${b}/data/agent-state`, blob, pb(d));
    }
    node(`${b}/console`, '', pgr(d));
    for (const [k, v] of [['backend', `/local/domain/0/backend/console/${d}/0`], ['backend-id', '0'], ['limit', '1048576'], ['type', 'xenconsoled'], ['output', 'pty'],
      ['tty', `/dev/pts/${d % 4000}`], ['ring-ref', String(4000000 + d)], ['port', '2']]) node(`${b}/console/${k}`, v, pgr(d));
    node(`${b}/store`, '', pgr(d));
    node(`${b}/store/port`, '1', pgr(d));
    node(`${b}/store/ring-ref`, String(4000001 + d), pgr(d));
    node(`${b}/image`, '', pgr(d));
    for (const [k, v] of [['device-model-pid', String(10000 + d)], ['kernel', '/boot/vmlinuz'], ['ramdisk', '/boot/initrd.img'], ['cmdline', 'root=/dev/xvda1 ro console=hvc0']])
      node(`${b}/image/${k}`, v, pgr(d));
  }
  node('/vm', '', [{ perm: 'r', flags: 0, domid: 0 }]);
  node('/libxl', '', p0);
  for (let d = 1; d <= guests; d++) {
    node(`/libxl/${d}`, '', p0);
    node(`/libxl/${d}/type`, 'pvh', p0);
    node(`/libxl/${d}/dm-version`, 'qemu_xen', p0);
  }
  node('@releaseDomain', '', p0);
  node('@introduceDomain', '', p0);
  for (let d = 1; d <= guests; d++) put({ type: 'DOMAIN_DATA', domainId: d, features: 14, quotas: d % 10 === 0 ? [{ name: 'nodes', value: 5000 }] : [] });
  put({ type: 'END' });
  w.flush();
  closeSync(fd);
  return { records: count, guests };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  const mb = Number(process.argv[3] ?? 100);
  if (!out) {
    process.stderr.write('usage: node bench/gen-realistic.mjs OUT [targetMB]\n');
    process.exit(64);
  }
  const r = generateRealisticTo(out, mb * 1e6);
  process.stdout.write(`${out}: ${r.records} records, ${r.guests} guests\n`);
}
