#!/usr/bin/env bash
# Installs what building (run), testing (test) or cross-building the
# release archives (release) of Keyport needs on Debian:
#   scripts/deps.sh run|test|demo|release
# Only missing packages are installed; a second run installs nothing. As root
# it uses apt-get; otherwise it prints the sudo command and fails. For "test"
# or "demo" it also installs tools/authserver's npm packages (npm ci) when
# node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# Fyne's cgo build: a C compiler and the OpenGL / X11 headers.
run_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev)
# Tests: a virtual display, a real Secret Service on a private D-Bus (never
# dbus-x11: with-keyring.sh uses dbus-run-session), X tools for the GUI tests
# and screenshots, a browser, and node for tools/authserver.
test_pkgs=(xvfb gnome-keyring libsecret-tools dbus xdotool xclip imagemagick chromium x11-utils)
test_pkgs+=(tesseract-ocr) # test/e2e/run.sh finds the window's buttons by their text (OCR)
test_pkgs+=(desktop-file-utils) # desktop-file-validate checks the autostart entry (internal/autostart)
# The Windows window program: Fyne's cgo parts cross-compiled with
# mingw-w64. make test compiles it (so code behind build tags cannot rot),
# make release ships it.
release_pkgs=(gcc-mingw-w64-x86-64 zip unzip)

case "${1:-}" in
run) want=("${run_pkgs[@]}") ;;
demo)
	want=("${run_pkgs[@]}" libsecret-tools) # secret-tool for make demo-clean
	command -v node >/dev/null || want+=(nodejs npm)
	;;
test)
	want=("${run_pkgs[@]}" "${test_pkgs[@]}" gcc-mingw-w64-x86-64)
	command -v node >/dev/null || want+=(nodejs npm)
	;;
release) want=("${run_pkgs[@]}" "${release_pkgs[@]}") ;;
*)
	echo "usage: $0 run|test|demo|release" >&2
	exit 2
	;;
esac

missing=()
if command -v dpkg-query >/dev/null; then
	# One dpkg-query for all (unknown packages print nothing), no process per
	# package: a second run must stay fast.
	declare -A installed=()
	while read -r name status; do
		[[ $status == installed ]] && installed[$name]=1
	done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${want[@]}" 2>/dev/null || true)
	for p in "${want[@]}"; do
		[[ -n ${installed[$p]:-} ]] || missing+=("$p")
	done
else
	echo "deps: not a Debian system (no dpkg-query); install the equivalents of: ${want[*]}" >&2
fi

if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing packages; run:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "deps: Debian packages for '$1' already installed"
fi

if [[ $1 == test || $1 == demo ]]; then
	dir=tools/authserver
	if [[ ! -d $dir/node_modules || $dir/package-lock.json -nt $dir/node_modules ]]; then
		echo "deps: installing $dir npm packages (npm ci)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
		touch "$dir/node_modules"
	else
		echo "deps: $dir/node_modules up to date"
	fi
fi
