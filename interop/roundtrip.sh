#!/bin/bash
# roundtrip.sh FILE [NAME] - restore an arbitrary migration-stream FILE into a
# real xenstored (as restore.sh does), list the tree, then make the restored
# daemon live-update a SECOND time with no stream swapped in: it writes its own
# state (the "re-dump", copied to $W/redump.bin) and restores it.  Reports what
# it restored from FILE and whether it survives restoring its own dump.
# xsmig's own addition to the rig (used by `npm run fuzz:daemon`).
#
# Environment: XENSTORED_BIN (default Debian 4.17), NEXT_BIN (default
# XENSTORED_BIN: reads FILE, writes the re-dump and reads it again),
# FIXFDS (adopt (default) | yes | no), LU_TIMEOUT (default 2), REDUMP_ARGS
# (extra `live-update -s` options for the second live update, e.g. "-v 1"),
# BETWEEN (an xsraw script run after the listing, before the second live
# update, e.g. setperms that make the daemon know a domain; its output is in
# $W/between.log and under "== between:").
# FIXFDS=adopt: the two fds of FILE's GLOBAL_DATA are patched to the live
# ones and every socket connection of FILE gets a closed fd (adoptfds.py with
# no holders), so the daemon drops them all at its first poll (with their
# watches), deterministically.
#
# Output (stdout), one section per "== " line:
#   == restore of FILE / started ... / lu-wrapper log lines
#   == restoring daemon alive: yes|no
#   == daemon output:            (what it printed while restoring FILE)
#   == xenstore-ls -fp:          (only when alive)
#   == between:                (BETWEEN's output, when given)
#   == redump: PATH BYTES        (only when alive and a dump was written)
#   == alive after restoring its own dump: yes|no|-
#   == daemon output after the second live update:
#   == same tree after its own dump: yes|no|-   (as before the second live
#                                                 update, after BETWEEN)
# Work files in $XSH_WORK/NAME/ (restored.ls, redump.bin, reredump.ls,
# daemon.out, steps.log, run/lu-wrapper.log).  Exit 0 if the daemon is alive
# after both live updates, 1 if it died restoring FILE, 2 if it died (or
# wrote nothing) on the second one.
set -u
XSH_HERE=$(cd "$(dirname "$0")" && pwd)
. "$XSH_HERE/xsh-lib.sh"
FILE=$(readlink -f "${1:?usage: roundtrip.sh FILE [NAME]}")
NAME=${2:-roundtrip-$(basename "$FILE" .bin)}
XENSTORED_BIN=${XENSTORED_BIN:-$DEBIAN_XENSTORED}
NEXT_BIN=${NEXT_BIN:-$XENSTORED_BIN}
LU_TIMEOUT=${LU_TIMEOUT:-2}
FIX=${FIXFDS:-adopt}

xsh_setup "$NAME"
trap xsh_stop EXIT

# lu_run ARGS: trigger a live update with lu-wrapper.sh; return once the
# daemon has exec'd the restoring binary and answers (or died), without
# waiting out the client's timeout when the reply cannot come.
lu_run() {
	n0=$(grep -c '^lu-wrapper: exec' "$XENSTORED_RUNDIR/lu-wrapper.log" 2>/dev/null)
	printf 'control live-update -f %s\ncontrol live-update -s -t %s %s\n' \
		"$XSH_HERE/lu-wrapper.sh" "$LU_TIMEOUT" "$*" >"$W/lu.xs"
	timeout $((LU_TIMEOUT + 3)) $XSRAW "$W/lu.xs" >>"$W/lu-client.log" 2>&1 &
	cpid=$!
	for _ in $(seq $(((LU_TIMEOUT + 3) * 20))); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		n=$(grep -c '^lu-wrapper: exec' "$XENSTORED_RUNDIR/lu-wrapper.log" 2>/dev/null)
		if [ "${n:-0}" -gt "${n0:-0}" ] && timeout 2 xenstore-exists / 2>/dev/null; then
			break
		fi
		kill -0 "$cpid" 2>/dev/null || { sleep 0.2; break; }
		sleep 0.05
	done
	sleep 0.3
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	echo "live-update ($*): client log: $(tr '\n' ';' <"$W/lu-client.log")" >>"$W/steps.log"
}

alive() { kill -0 "$DAEMON_PID" 2>/dev/null && timeout 2 xenstore-exists / 2>/dev/null; }

xsh_start "$XENSTORED_BIN" -N -T "$W/trace.log"
xsh_lu_conf NEXT_BIN="$NEXT_BIN" CAPTURE="$W/live_dump.bin" \
	REPLACE="$FILE" FIXFDS="$FIX"
lu_run
ALIVE=no ALIVE2=- SAME=- OUT1=
if alive; then
	ALIVE=yes
	xsh_ls "$W/restored.ls"
	BASE=$W/restored.ls
	if [ -n "${BETWEEN:-}" ]; then
		timeout 10 $XSRAW "$BETWEEN" >"$W/between.log" 2>&1
		xsh_ls "$W/between.ls"
		BASE=$W/between.ls
	fi
	OUT1=$(wc -l <"$W/daemon.out")
	xsh_lu_conf NEXT_BIN="$NEXT_BIN" CAPTURE="$W/redump.bin"
	lu_run ${REDUMP_ARGS:-}
	ALIVE2=no
	if [ -s "$W/redump.bin" ] && alive; then
		ALIVE2=yes
		xsh_ls "$W/reredump.ls"
		SAME=no
		cmp -s "$BASE" "$W/reredump.ls" && SAME=yes
	fi
fi
echo "== restore of $FILE"
echo "   started: $XENSTORED_BIN; restoring daemon: $NEXT_BIN"
grep -v '^[lcrwx-]\{10\}\|^total' "$XENSTORED_RUNDIR/lu-wrapper.log"
echo "== restoring daemon alive: $ALIVE"
echo "== daemon output:"
if [ -n "$OUT1" ]; then head -n "$OUT1" "$W/daemon.out"; else cat "$W/daemon.out"; fi
[ $ALIVE = yes ] || exit 1
echo "== xenstore-ls -fp:"; cat "$W/restored.ls"
[ -n "${BETWEEN:-}" ] && { echo "== between:"; cat "$W/between.log"; }
[ -s "$W/redump.bin" ] && echo "== redump: $W/redump.bin $(wc -c <"$W/redump.bin")"
echo "== alive after restoring its own dump: $ALIVE2"
echo "== daemon output after the second live update:"
tail -n +"$((OUT1 + 1))" "$W/daemon.out"
echo "== same tree after its own dump: $SAME"
[ $ALIVE2 = yes ] || exit 2
exit 0
