# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Sessions that must keep their backend, for the tests of what survives a
# restart (statefile.sh) and what gateways share (store.sh): the caller
# sets N (sessions, one source port each) and SEED (the CIDs), and sources
# lib.sh and lab.sh first.

# clients NAME [SEED]: N sessions with the fixed CIDs from a new client
# process (new source ports: every session has moved), no handshake; the
# backend of each in $WGW_TMP/NAME.sessions.
clients()
{
	wgw_lab_client -n $N --sockets $N -c $((N * 10)) --inflight $N --seed "${2:-$SEED}" \
		--no-handshake --expect-clean --dump-sessions "$WGW_TMP/$1.sessions" \
		>"$WGW_TMP/$1.txt" 2>&1 || {
		cat "$WGW_TMP/$1.txt" >&2
		wgw_fail "client run $1"
	}
}

# "CID backend" of each session of run NAME.
backends_of()
{
	awk '{ print $2, $4 }' "$WGW_TMP/$1.sessions" | sort
}

# kept A B: how many sessions of run B have the backend they had in run A.
kept()
{
	join <(backends_of "$1") <(backends_of "$2") | awk '$2 == $3 { n++ } END { print n + 0 }'
}

# same A B WHAT: every session of run B on its backend of run A.
same()
{
	local k
	k=$(kept "$1" "$2")
	[ "$k" = $N ] || {
		diff <(backends_of "$1") <(backends_of "$2") >&2
		wgw_fail "$3: $k of $N sessions kept their backend"
	}
}
