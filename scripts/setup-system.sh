#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Prepares a machine for courtrecd@.service, which runs as the system user
# courtrec: the user and its group, the config directory, the storage
# directory and the device key. `make install` runs it; a DESTDIR install (a
# package being built) does not, since users, owners and a device's own key
# belong to the machine, not to the package: its postinst runs the installed
# copy. Safe to run again: it puts right what is not and never replaces the
# contents of a file.
#   SYSCONFDIR=/etc LOCALSTATEDIR=/var sh scripts/setup-system.sh
set -eu

sysconfdir=${SYSCONFDIR:-/etc}
localstatedir=${LOCALSTATEDIR:-/var}
user=courtrec
confdir=$sysconfdir/courtrec
storage=$localstatedir/lib/courtrec
key=$confdir/device-key

say() { echo "setup-system.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	say "must run as root (it makes the user $user and owns files to it)"
	exit 1
fi

# ---- the user: no login, no home, in the groups of cameras and microphones
if ! getent group "$user" >/dev/null; then
	groupadd --system "$user"
fi
if ! getent passwd "$user" >/dev/null; then
	useradd --system --gid "$user" --home-dir /nonexistent --no-create-home \
		--shell /usr/sbin/nologin --comment "courtrec capture daemon" "$user"
fi
for group in video audio; do
	if ! getent group "$group" >/dev/null; then
		say "no group $group on this machine: $user cannot open its devices"
		continue
	fi
	case " $(id -nG "$user") " in
	*" $group "*) ;;
	*) usermod --append --groups "$group" "$user" ;;
	esac
done

# ---- the config directory: root's, readable by the daemon, not writable
# by it (see the unit). Room configs in it must be readable by group
# courtrec; this script leaves existing ones as they are.
mkdir -p "$confdir"
chown root:"$user" "$confdir"
chmod 0750 "$confdir"

# ---- the storage directory of every room's default [storage] dir
mkdir -p "$storage"
chown "$user:$user" "$storage"
chmod 0750 "$storage"
# Rooms recorded by a courtrecd that ran as root (before this unit): hand
# their files to the daemon that continues them. Contents are untouched.
for room in "$storage"/*; do
	[ -e "$room" ] || continue
	if [ -n "$(find "$room" ! -user "$user" -print -quit)" ]; then
		say "giving $room to $user"
		chown -R "$user:$user" "$room"
	fi
done

# ---- the device key, made here so that the config directory can stay
# read-only for the daemon. One kept from an earlier install is kept: its
# public half is what the sessions it sealed are checked with.
if [ -e "$key" ]; then
	chown "$user:$user" "$key"
	chmod 0600 "$key"
else
	command -v openssl >/dev/null || { say "openssl is needed to make $key"; exit 1; }
	umask 077
	# courtrecd's format (archive/device-key.c): libsodium's Ed25519 secret
	# key, the 32-byte seed then the 32-byte public key, as one line of hex.
	# The key goes from openssl to the file through pipes and shell
	# built-ins only, never through a command line or a temporary file.
	pem=$(openssl genpkey -algorithm ed25519)
	private=$(printf '%s\n' "$pem" | openssl pkey -outform DER | od -An -tx1 -v | tr -d ' \n')
	public=$(printf '%s\n' "$pem" | openssl pkey -pubout -outform DER | od -An -tx1 -v | tr -d ' \n')
	pem=
	# PKCS#8 and SubjectPublicKeyInfo of an Ed25519 key: a fixed header,
	# then the 32 bytes.
	seed=${private#302e020100300506032b657004220420}
	public=${public#302a300506032b6570032100}
	private=
	if [ ${#seed} -ne 64 ] || [ ${#public} -ne 64 ]; then
		say "openssl gave an Ed25519 key in an unexpected form"
		exit 1
	fi
	printf '%s%s\n' "$seed" "$public" >"$key.new"
	seed=
	chown "$user:$user" "$key.new"
	# link(2) never replaces: if a key appeared meanwhile, that one stays.
	ln "$key.new" "$key" 2>/dev/null || say "kept the device key that appeared at $key"
	rm -f "$key.new"
	umask 022
fi
# The public half, for auditors, derived from the key in place (courtrecd
# would write it itself, but may not here): the last 64 hex digits.
if [ ! -e "$key.pub" ]; then
	read -r secret <"$key"
	printf '%s\n' "${secret#????????????????????????????????????????????????????????????????}" >"$key.pub"
	secret=
	chown root:"$user" "$key.pub"
	chmod 0644 "$key.pub"
fi
