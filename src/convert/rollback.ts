// Live-update rollback (issue 18): what a target reader loses of a state, per guest and
// connection, and the launcher that live update execs as its "new binary".
//
// No rule of its own: the plan is convert's plan for the target (planConversion, whose
// target losses are check --target's findings on the converted stream), grouped by whose item
// it is; the launcher runs `xsmig convert` itself, so an operator can repeat by hand exactly
// what it did.

import type { TargetLoss, TargetName } from '../check/types.js';
import { PROFILES } from '../check/index.js';
import type { Stream } from '../model/types.js';
import { planConversion, type Change, type ConvertPlan } from './convert.js';

/** One item the target loses (or refuses), from the conversion's changes or the target's check of its output. */
export interface RollbackItem {
  /** `lossy`: a change the conversion makes that loses state; `lose` / `refuse` / `host`: what the target does with the output. */
  kind: 'lossy' | 'lose' | 'refuse' | 'host';
  message: string;
}

/** The items of one guest (domain), one socket connection, or the stream as a whole. */
export interface RollbackGroup {
  /** `domain 1`, `socket connection 4`, `global` (quotas, header, the stream as a whole). */
  subject: string;
  domid?: number;
  connId?: number;
  items: RollbackItem[];
}

export interface RollbackPlan {
  target: TargetName;
  from: ConvertPlan['from'];
  to: ConvertPlan['to'];
  /** Per guest, then per socket connection, then the rest; only subjects that lose something. */
  groups: RollbackGroup[];
  /** Items that lose state (lossy changes and target losses): with any, prepare needs --force. */
  lossCount: number;
  /** `prepare` without --force would refuse (its launcher execs the fallback). */
  needsForce: boolean;
  /** Even --force would not help: the target refuses the converted stream, or it cannot be made. */
  impossible: boolean;
  /** Why the conversion would be refused without --force (convert's refusal message). */
  refusal?: string;
  /** Lossless changes (counted, for the summary). */
  losslessCount: number;
}

/** The domain of each ring connection (conn-id -> domid), for grouping a connection's items under its guest. */
function ringDomains(stream: Stream): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of stream.records) {
    if (r.type === 'CONNECTION_DATA' && 'domid' in r.connSpec) m.set(r.connId, r.connSpec.domid);
  }
  return m;
}

type Placed = { connId?: number | undefined; domid?: number | undefined };

/**
 * What T loses of STATE when it is converted for T (`convert --target T`): the same findings,
 * grouped per guest and socket connection. `needsForce`: a `prepare` without --force refuses.
 */
export function planRollback(stream: Stream, target: TargetName, hostIds?: ReadonlyMap<number, bigint>): RollbackPlan {
  const plan = planConversion(stream, hostIds ? { target, hostIds } : { target });
  const rings = ringDomains(stream);
  const groups = new Map<string, RollbackGroup>();
  const add = (p: Placed, item: RollbackItem): void => {
    const domid = p.domid ?? (p.connId !== undefined ? rings.get(p.connId) : undefined);
    let key: string;
    let g: RollbackGroup;
    if (domid !== undefined) {
      key = `d${domid}`;
      g = groups.get(key) ?? { subject: `domain ${domid}`, domid, items: [] };
    } else if (p.connId !== undefined) {
      key = `c${p.connId}`;
      g = groups.get(key) ?? { subject: `socket connection ${p.connId}`, connId: p.connId, items: [] };
    } else {
      key = 'global';
      g = groups.get(key) ?? { subject: 'global', items: [] };
    }
    g.items.push(item);
    groups.set(key, g);
  };
  const lossy = plan.changes.filter((c: Change) => c.kind === 'lossy');
  for (const c of lossy) add(c, { kind: 'lossy', message: c.message });
  for (const l of plan.losses) add(l, { kind: 'lossy', message: l.message });
  for (const l of plan.targetLosses as TargetLoss[]) add(l, { kind: l.kind, message: l.message });
  const order = (g: RollbackGroup): [number, number] =>
    g.domid !== undefined ? [1, g.domid] : g.connId !== undefined ? [2, g.connId] : [0, 0];
  const sorted = [...groups.values()].sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
  const lossCount = lossy.length + plan.losses.length + plan.targetLosses.filter((l) => l.kind === 'lose').length;
  const impossible = plan.refusal?.reason === 'target-refuses' || plan.refusal?.reason === 'needs-assume-depth';
  const out: RollbackPlan = {
    target,
    from: plan.from,
    to: plan.to,
    groups: sorted,
    lossCount,
    needsForce: plan.refused && !impossible,
    impossible,
    losslessCount: plan.changes.length - lossy.length,
  };
  if (plan.refusal) out.refusal = plan.refusal.message;
  return out;
}

/** The plan as people read it. */
export function rollbackPlanLines(p: RollbackPlan): string[] {
  const lines: string[] = [];
  lines.push(`rollback to ${p.target} (${PROFILES[p.target].title}): version ${p.from.version} -> ${p.to.version}, ${p.to.byteOrder}-endian`);
  if (p.groups.length === 0) lines.push('  nothing is lost');
  for (const g of p.groups) {
    lines.push(`  ${g.subject}:`);
    for (const i of g.items) lines.push(`    ${i.kind === 'lossy' ? 'LOSSY  ' : i.kind === 'lose' ? 'LOSES  ' : i.kind === 'refuse' ? 'REFUSES' : 'HOST   '} ${i.message}`);
  }
  const verdict = p.impossible
    ? `prepare: ${p.target} cannot take this state even with --force (${p.refusal}); the launcher would exec the fallback`
    : p.needsForce
      ? `prepare: needs --force (${p.lossCount} item(s) lost); without it the launcher execs the fallback`
      : 'prepare: no --force needed: nothing is lost';
  lines.push(verdict);
  return lines;
}

export interface LauncherOptions {
  /** Absolute path of the node binary the launcher runs xsmig with. */
  node: string;
  /** Absolute path of xsmig's CLI (dist/cli/main.js). */
  xsmig: string;
  target: TargetName;
  force: boolean;
  /** The daemon to exec after the conversion. */
  daemon: string;
  /** The daemon that wrote the state (exec'd on a refusal or failure). */
  fallback: string;
  /** The reader profile of the fallback, for the repair of its own writer's defects. */
  fallbackTarget: TargetName;
  /** Log file; default `$XENSTORED_RUNDIR/xsmig-rollback.log`. */
  log?: string;
  /** The host's unique-ids file (absolute), handed to the target's conversion. */
  hostIds?: string;
}

/** A POSIX sh single-quoted word. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The launcher: a POSIX sh script that live update execs with the daemon's argv (+ -U) and its
 * descriptors. It converts `$XENSTORED_RUNDIR/state_dump` for the target with `xsmig convert`,
 * replaces it atomically (rename in its directory) and execs the daemon with "$@"; on a
 * refusal or any failure it puts the state as written back, repairs for the fallback only its
 * own writer's defects (`convert --target F --repair --assume-depth unlimited --force`,
 * keeping the stream version), and execs the fallback; if that fails too, the fallback gets
 * the state as written. One log line per event.
 */
export function launcherScript(o: LauncherOptions): string {
  const q = shQuote;
  return `#!/bin/sh
# xsmig rollback launcher: the "new binary" given to xenstored's live update.
# Written by \`xsmig rollback prepare\`; edit by running prepare again.
# xenstored has written $XENSTORED_RUNDIR/state_dump and execs this with its own
# argv (plus -U), keeping its sockets and event-channel fds: everything below
# runs in the daemon's process and ends with exec of a xenstored.
NODE=${q(o.node)}
XSMIG=${q(o.xsmig)}
TARGET=${q(o.target)}
FORCE=${o.force ? "'--force'" : "''"}
DAEMON=${q(o.daemon)}
FALLBACK=${q(o.fallback)}
FALLBACK_TARGET=${q(o.fallbackTarget)}
HOST_IDS=${o.hostIds ? q(o.hostIds) : "''"}
RUNDIR=\${XENSTORED_RUNDIR:-/var/run/xenstored}
STATE=$RUNDIR/state_dump
ORIG=$STATE.xsmig-orig
NEW=$STATE.xsmig-new
REPORT=$RUNDIR/xsmig-rollback.report
LOG=${o.log ? q(o.log) : '$RUNDIR/xsmig-rollback.log'}

# One line per event, to the log file and to stderr (the daemon's).
log() {
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null) xsmig-rollback[$$]: $*"
	printf '%s\\n' "$line" >>"$LOG" 2>/dev/null
	printf '%s\\n' "$line" >&2 2>/dev/null
	return 0
}
# xsmig in a subshell, without the daemon's preloads and library path.
xsmig() {
	( unset LD_PRELOAD LD_LIBRARY_PATH; exec "$NODE" "$XSMIG" "$@" )
}
# The summary line of convert's plan in the report ("N change(s): ...").
summary() {
	sed -n 's/^  \\([0-9][0-9]* change(s):.*\\)$/\\1/p' "$REPORT" 2>/dev/null | tail -n 1
}
# Puts the state as written back in place (atomically), if it was replaced.
restore_orig() {
	if [ -f "$ORIG" ] && ! cmp -s "$ORIG" "$STATE" 2>/dev/null; then
		cp -p "$ORIG" "$NEW" 2>/dev/null && mv -f "$NEW" "$STATE" ||
			log "could not put the state as written back: $STATE"
	fi
}
run_fallback() {
	restore_orig
	if [ ! -x "$FALLBACK" ]; then
		log "fallback $FALLBACK is not executable; trying $DAEMON on the state as written"
		exec "$DAEMON" "$@"
	fi
	rm -f "$NEW"
	ver=$(od -An -tu1 -j11 -N1 "$STATE" 2>/dev/null | tr -d ' ')
	case "$ver" in 1|2) ;; *) ver= ;; esac
	printf '== %s: repair for the fallback (%s)\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)" "$FALLBACK_TARGET" >>"$REPORT" 2>/dev/null
	xsmig convert --target "$FALLBACK_TARGET" \${ver:+--to-version "$ver"} --repair --assume-depth unlimited --force \\
		"$STATE" -o "$NEW" >/dev/null 2>>"$REPORT"
	rc=$?
	if [ "$rc" = 0 ] && mv -f "$NEW" "$STATE"; then
		log "fallback state repaired for $FALLBACK_TARGET's own writer defects: $(summary)"
		n=$(grep -c '^  assumed ' "$REPORT" 2>/dev/null)
		n=\${n:-0}
		if [ "$n" -gt 0 ] 2>/dev/null; then
			log "the depth of $n depth watch(es) that the writer dropped is gone whatever anyone does: they come back with unlimited depth"
		else
			log "no watch depth was dropped by the writer"
		fi
	else
		rm -f "$NEW"
		restore_orig
		log "fallback repair failed (xsmig exit $rc): the fallback gets the state as written"
	fi
	log "exec fallback $FALLBACK $*"
	exec "$FALLBACK" "$@"
}

log "live update: state $STATE ($(wc -c <"$STATE" 2>/dev/null | tr -d ' ') bytes), target $TARGET\${FORCE:+ (--force)}, daemon $DAEMON, fallback $FALLBACK ($FALLBACK_TARGET), argv: $*"
: >"$REPORT" 2>/dev/null
if [ ! -f "$STATE" ]; then
	log "no state_dump in $RUNDIR: exec fallback"
	exec "$FALLBACK" "$@"
fi
rm -f "$NEW"
if ! { ln -f "$STATE" "$ORIG" 2>/dev/null || cp -p "$STATE" "$ORIG"; }; then
	log "cannot keep the state as written ($ORIG): no conversion"
	run_fallback "$@"
fi
if [ ! -x "$DAEMON" ]; then
	log "daemon $DAEMON is not executable: no conversion"
	run_fallback "$@"
fi
if [ ! -x "$NODE" ] || [ ! -f "$XSMIG" ]; then
	log "xsmig not runnable ($NODE $XSMIG): no conversion"
	run_fallback "$@"
fi
printf '== %s: convert --target %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)" "$TARGET" "$FORCE" >>"$REPORT" 2>/dev/null
xsmig convert --target "$TARGET" $FORCE \${HOST_IDS:+--host-ids "$HOST_IDS"} "$ORIG" -o "$NEW" >/dev/null 2>>"$REPORT"
rc=$?
case $rc in
0)
	if mv -f "$NEW" "$STATE"; then
		log "converted for $TARGET: $(summary); details in $REPORT"
		n=$(grep -c '^  LOSSY .*depth unknown (its producer did not write it)' "$REPORT" 2>/dev/null)
		[ "\${n:-0}" -gt 0 ] 2>/dev/null &&
			log "the depth of $n depth watch(es) that the writer dropped is gone whatever anyone does: they come back with unlimited depth"
		log "exec $DAEMON $*"
		exec "$DAEMON" "$@"
	fi
	log "could not replace $STATE"
	;;
1)
	log "refused for $TARGET: $(sed -n 's/^plan  *REFUSED  *//p' "$REPORT" | head -n 1) ($(summary)); details in $REPORT"
	;;
*)
	log "conversion for $TARGET failed (xsmig exit $rc): $(grep -m1 'failed\\|xsmig:' "$REPORT" 2>/dev/null)"
	;;
esac
run_fallback "$@"
`;
}
