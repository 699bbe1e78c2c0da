#!/usr/bin/env bash
# make package: Keyport.tar.xz, to unpack and install with the Makefile in
# it (sudo make install, or make user-install). fyne package lays out the
# window program with its desktop entry, icon and that Makefile; this adds
# keyport, the command, installed beside it.
# Both are release builds: stripped (-s -w) and -trimpath, as fyne package
# -release would build them.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/package
rm -rf "$out"
mkdir -p "$out/bin" "$out/fyne"
release=(-trimpath -ldflags "-s -w")
CGO_ENABLED=0 go build "${release[@]}" -o "$out/bin/keyport" .
go build -tags migrated_fynedo "${release[@]}" -o "$out/bin/keyport-window" ./cmd/keyport-window
# Given an existing -exe, fyne package packages it instead of building.
# It also bumps Build in FyneApp.toml (and re-indents it); that is put back,
# so packaging leaves the work tree as it was: raise Build by hand for a
# release.
cp FyneApp.toml "$out/FyneApp.toml"
trap 'cp "$out/FyneApp.toml" FyneApp.toml' EXIT
go run fyne.io/tools/cmd/fyne@v1.7.2 package -os linux -release -exe "$out/bin/keyport-window"

# fyne's archive holds one folder named after the program; ours is keyport/.
tar -xJf Keyport.tar.xz -C "$out/fyne"
dir=$out/keyport
mv "$(dirname "$(find "$out/fyne" -name Makefile)")" "$dir"
bin=$(dirname "$(find "$dir/usr" -type f -name keyport-window)")
install -m 0755 "$out/bin/keyport" "$bin/keyport"
# Every install and rm of the window program, once more for keyport. And
# the icon's file name: fyne's Makefile (tools v1.7.2 to v1.7.4) leaves off
# its .png, so its install stopped at "cannot stat".
awk -v png="$(basename "$(find "$dir/usr" -path '*/pixmaps/*.png')")" '
	/^Icon := / { print "Icon := \"" png "\""; next }
	{ print }
	/^\t-?(install|rm) .*bin\/\$\(Exec\)/ { line = $0; gsub(/\$\(Exec\)/, "keyport", line); print line }' \
	"$dir/Makefile" >"$out/Makefile"
mv "$out/Makefile" "$dir/Makefile"
tar -cJf Keyport.tar.xz -C "$out" keyport
echo "package: Keyport.tar.xz ($(du -h Keyport.tar.xz | cut -f1)): $(tar -tJf Keyport.tar.xz | grep -cv /$) files"
