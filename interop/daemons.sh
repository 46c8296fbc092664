#!/bin/sh
# daemons.sh [VERSION...] - unpack the upstream xenstored runtimes
# xen-VERSION.tar.gz into $XSH_BUILD/daemons/xen-VERSION/ and print
# the path of each launcher, one per line (no VERSION: every tarball, in
# version order).  VERSION 4.17 prints Debian's packaged daemon instead.
#
# The tarballs are binary Xen builds and are not part of this repository.
# They are taken from $XSH_DAEMONS_DIR if set, else from the shared rig
# beside the checkout (../shared/interop/daemons/, relative to the repository
# root; CI runs on a clean clone with ../shared beside it), else from
# daemons/ beside this script (a copy of the shared rig).
#
#   XENSTORED_BIN=$(./daemons.sh 4.22) ./restore.sh stream.bin
#
# Idempotent: a runtime is unpacked again only if it is missing or its
# tarball changed (sha256 kept in .tarball-sha256 beside the launcher).
# Writes only under $XSH_BUILD (default ~/.cache/xsharness), so it works from
# a read-only copy of this directory.  Each launcher is checked to run (it
# prints xenstored's usage without the shim).  The tarballs are the output of
# tools/head-xenstored/build.sh (XSHEAD_LAUNCHER=xenstored), see README.md.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
XSH_BUILD=${XSH_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/xsharness}
DEST=$XSH_BUILD/daemons
DEBIAN_XENSTORED=/usr/lib/xen-4.17/bin/xenstored
if [ -n "${XSH_DAEMONS_DIR:-}" ]; then
	TARBALLS=$XSH_DAEMONS_DIR
elif [ -d "$HERE/../../shared/interop/daemons" ]; then
	TARBALLS=$(cd "$HERE/../../shared/interop/daemons" && pwd)
else
	TARBALLS=$HERE/daemons
fi

die() { echo "daemons.sh: $*" >&2; exit 1; }

if [ $# = 0 ]; then
	# shellcheck disable=SC2046
	set -- $(ls "$TARBALLS" 2>/dev/null |
		sed -n 's/^xen-\([0-9][0-9.]*\)\.tar\.gz$/\1/p' | sort -V)
	[ $# -gt 0 ] || die "no xen-*.tar.gz in $TARBALLS (set XSH_DAEMONS_DIR)"
fi

for v in "$@"; do
	v=${v#xen-}
	if [ "$v" = 4.17 ]; then
		[ -x "$DEBIAN_XENSTORED" ] ||
			die "$DEBIAN_XENSTORED missing (apt-get install xen-utils-4.17)"
		echo "$DEBIAN_XENSTORED"
		continue
	fi
	tb=$TARBALLS/xen-$v.tar.gz
	[ -r "$tb" ] || die "no runtime for '$v': $tb missing (set XSH_DAEMONS_DIR)"
	d=$DEST/xen-$v
	sum=$(sha256sum <"$tb" | cut -d' ' -f1)
	if [ ! -x "$d/xenstored" ] || [ ! -r "$d/.tarball-sha256" ] ||
	   [ "$(cat "$d/.tarball-sha256")" != "$sum" ]; then
		mkdir -p "$DEST"
		tmp=$(mktemp -d "$DEST/.xen-$v.XXXXXX")
		tar -C "$tmp" -xzf "$tb" --no-same-owner ||
			{ rm -rf "$tmp"; die "cannot unpack $tb"; }
		[ -x "$tmp/xenstored" ] && [ -x "$tmp/bin/xenstored" ] ||
			{ rm -rf "$tmp"; die "$tb has no launcher xenstored / bin/xenstored"; }
		echo "$sum" >"$tmp/.tarball-sha256"
		chmod 0755 "$tmp"
		rm -rf "$d"
		mv "$tmp" "$d"
		echo "daemons.sh: unpacked $tb -> $d ($(cat "$d/VERSION"))" >&2
	fi
	"$d/xenstored" --help 2>&1 | grep -q 'xenstored <options>' ||
		die "$d/xenstored does not run (glibc too old?)"
	echo "$d/xenstored"
done
