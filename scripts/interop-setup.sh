#!/usr/bin/env bash
# Installs the interop rig used by the interop tests and `npm run fuzz:daemon`: Debian's
# xenstored 4.17 and xenstore-utils from apt, the preload shim built from interop/xsshim.c, and
# the upstream 4.21 and 4.22 daemons unpacked by interop/daemons.sh (their tarballs come from
# $XSH_DAEMONS_DIR or ../shared/interop/daemons/ beside the checkout; see interop/README.md).
# Called by .ci/run before the tests.
#
# It does not fail the build when the rig cannot be had: without root, without apt-get, or
# when the install fails (no network, a distribution without xen-utils-4.17, no daemon
# tarballs), it prints why and exits 0; the interop tests then skip and name the reason (a
# missing 4.21/4.22 tarball only skips the tests of those daemons). With XSMIG_INTEROP=require
# it exits 1 instead (and the tests fail rather than skip), for a CI that must run them.
# Idempotent: when everything is there it only checks (daemons.sh unpacks again only when a
# tarball changed) and takes well under a second.
set -u
cd "$(dirname "$0")/.."
XSH_BUILD=${XSH_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/xsharness}
export XSH_BUILD
say() { echo "interop-setup: $*"; }
give_up() {
	say "$*; the interop tests will skip"
	[ "${XSMIG_INTEROP:-}" = require ] && exit 1
	exit 0
}
upstream() {
	# unpack (or check) the upstream daemons; prints one line per launcher
	local out
	if out=$(bash interop/daemons.sh 4.21 4.22 2>&1); then
		say "upstream daemons: $(echo "$out" | grep -v '^daemons.sh:' | tr '\n' ' ')"
		return 0
	fi
	give_up "upstream daemons 4.21/4.22 not available: $(echo "$out" | tail -n 1)"
}
if [ -x /usr/lib/xen-4.17/bin/xenstored ] && command -v xenstore-ls >/dev/null &&
	[ -f "$XSH_BUILD/xsshim.so" ]; then
	say "4.17 and shim already installed"
	upstream
	exit 0
fi
[ "$(id -u)" = 0 ] || give_up "not root (apt-get needs root)"
command -v apt-get >/dev/null || give_up "no apt-get on this system"
# setup.sh: apt packages, the shim, and daemons.sh (which fails without tarballs; the 4.17
# part is usable anyway, so that failure is reported by upstream() below).
timeout 900 interop/setup.sh ||
	{ [ -x /usr/lib/xen-4.17/bin/xenstored ] && [ -f "$XSH_BUILD/xsshim.so" ]; } ||
	give_up "interop/setup.sh failed (see above)"
say "installed: $(dpkg-query -W xen-utils-4.17 2>/dev/null || echo xen-utils-4.17)"
say "shim: $XSH_BUILD/xsshim.so"
upstream
