#!/usr/bin/env bash
# Runs a command against a real, throw-away Secret Service:
#   scripts/with-keyring.sh CMD ARGS...
# The command runs inside its own D-Bus session bus (dbus-run-session) with a
# gnome-keyring-daemon whose "login" keyring is created and unlocked with a
# fixed password, and a temporary HOME, removed at exit. The command's exit
# status is passed through.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

# Re-run ourselves inside a private session bus.
if [[ -z "${KEYPORT_KEYRING_INNER:-}" ]]; then
	for tool in setsid dbus-run-session dbus-send gnome-keyring-daemon; do
		if ! command -v "$tool" >/dev/null; then
			echo "with-keyring: $tool not found; run scripts/deps.sh test" >&2
			exit 1
		fi
	done
	# The session runs in its own process group, so that a signal to this
	# script reaches all of it: dbus-run-session alone would leave its
	# dbus-daemon and our inner half running. "<&0" keeps stdin, which a
	# background command would otherwise get from /dev/null.
	KEYPORT_KEYRING_INNER=1 setsid dbus-run-session -- "$0" "$@" <&0 &
	session=$!
	trap 'kill -TERM -- "-$session" 2>/dev/null || true' INT TERM HUP
	status=0
	wait "$session" || status=$?
	while kill -0 "$session" 2>/dev/null; do # wait was interrupted by a signal
		status=0
		wait "$session" || status=$?
	done
	# dbus-run-session can die before the command it ran: wait for the whole
	# group, so HOME is not removed under a command that is still stopping.
	while kill -0 -- "-$session" 2>/dev/null; do sleep 0.1; done
	exit "$status"
fi
unset KEYPORT_KEYRING_INNER

home=$(mktemp -d "${TMPDIR:-/tmp}/keyport-keyring.XXXXXX")
daemon=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [[ -n "$daemon" ]]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$home"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Go keeps its module and build caches and its settings under HOME: pin them
# to the real ones, or every run would download and compile from scratch.
if command -v go >/dev/null; then
	{ read -r GOPATH && read -r GOMODCACHE && read -r GOCACHE && read -r GOENV; } < <(go env GOPATH GOMODCACHE GOCACHE GOENV)
	export GOPATH GOMODCACHE GOCACHE GOENV
fi
export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config" \
	XDG_CACHE_HOME="$home/.cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

# No DISPLAY for the daemon: it must not try to prompt. The password on stdin
# creates and unlocks the "login" keyring, which becomes the default collection.
(unset DISPLAY; exec gnome-keyring-daemon --foreground --replace --unlock --components=secrets \
	< <(printf %s pw) >"$home/daemon.log" 2>&1) &
daemon=$!

has_owner() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
		grep -q 'boolean true'
}
deadline=$((SECONDS + 10))
until has_owner; do
	if ! kill -0 "$daemon" 2>/dev/null || ((SECONDS >= deadline)); then
		echo "with-keyring: org.freedesktop.secrets has no owner; gnome-keyring-daemon said:" >&2
		cat "$home/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
done

status=0
"$@" || status=$?
exit "$status"
