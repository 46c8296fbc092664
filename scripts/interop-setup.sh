#!/usr/bin/env bash
# Installs the interop rig used by test/interop.test.ts: Debian's xenstored 4.17 and
# xenstore-utils from apt, and the preload shim built from interop/xsshim.c (interop/README.md).
# Called by .ci/run before the tests.
#
# It does not fail the build when the rig cannot be had: without root, without apt-get, or
# when the install fails (no network, a distribution without xen-utils-4.17), it prints why and
# exits 0; the interop test then skips and names the reason. With XSMIG_INTEROP=require it
# exits 1 instead (and the test fails rather than skips), for a CI that must run it.
set -u
cd "$(dirname "$0")/.."
XSH_BUILD=${XSH_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/xsharness}
say() { echo "interop-setup: $*"; }
give_up() {
	say "$*; test/interop.test.ts will skip"
	[ "${XSMIG_INTEROP:-}" = require ] && exit 1
	exit 0
}
if [ -x /usr/lib/xen-4.17/bin/xenstored ] && command -v xenstore-ls >/dev/null &&
	[ -f "$XSH_BUILD/xsshim.so" ]; then
	say "already installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || give_up "not root (apt-get needs root)"
command -v apt-get >/dev/null || give_up "no apt-get on this system"
timeout 900 interop/setup.sh || give_up "interop/setup.sh failed (see above)"
say "installed: $(dpkg-query -W xen-utils-4.17 2>/dev/null || echo xen-utils-4.17)"
say "shim: $XSH_BUILD/xsshim.so"
