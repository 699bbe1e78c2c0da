#!/usr/bin/env bash
# make release: the release archives in build/release/, with SHA256SUMS.
#
#   keyport-VERSION-linux-amd64.tar.gz     keyport, keyport-window, README.md
#   keyport-VERSION-linux-arm64.tar.gz     keyport, README.md
#   keyport-VERSION-darwin-amd64.tar.gz    keyport, README.md
#   keyport-VERSION-darwin-arm64.tar.gz    keyport, README.md
#   keyport-VERSION-windows-amd64.zip      keyport.exe, keyport-window.exe, README.md
#   keyport-VERSION-windows-arm64.zip      keyport.exe, README.md
#
# keyport is pure Go (CGO_ENABLED=0) and cross-builds for every platform.
# keyport-window needs cgo for Fyne: it is built for this machine
# (linux/amd64) and, with mingw-w64, for windows/amd64; a macOS window
# needs Apple's SDK, so darwin archives hold the command line only.
# VERSION is FyneApp.toml's; every file in the archives carries the time of
# the last commit, so the same commit gives the same archives.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
[[ -n $version ]] || { echo "release: no Version in FyneApp.toml" >&2; exit 1; }
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
out=build/release
rm -rf "$out"
mkdir -p "$out/stage"
flags=(-trimpath -ldflags "-s -w -buildid=")
host=$(go env GOHOSTOS)/$(go env GOHOSTARCH)

for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
	os=${target%/*} arch=${target#*/}
	name=keyport-$version-$os-$arch
	dir=$out/stage/$name
	mkdir -p "$dir"
	exe=""
	[[ $os == windows ]] && exe=.exe
	GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build "${flags[@]}" -o "$dir/keyport$exe" .
	case $target in
	"$host")
		go build -tags migrated_fynedo "${flags[@]}" -o "$dir/keyport-window" ./cmd/keyport-window
		;;
	windows/amd64)
		# -H=windowsgui: the window opens without a console beside it.
		GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
			go build -tags migrated_fynedo -trimpath -ldflags "-s -w -buildid= -H=windowsgui" \
			-o "$dir/keyport-window.exe" ./cmd/keyport-window
		;;
	esac
	cp README.md "$dir/"
	find "$dir" -exec touch -h -d "@$epoch" {} +
	if [[ $os == windows ]]; then
		(cd "$out/stage" && find "$name" | LC_ALL=C sort | zip -q -X -@ "../$name.zip")
	else
		tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$out/stage" -cf - "$name" |
			gzip -9 -n >"$out/$name.tar.gz"
	fi
done
rm -rf "$out/stage"
(cd "$out" && sha256sum -- *.tar.gz *.zip >SHA256SUMS)
echo "release: $out:"
(cd "$out" && for f in *.tar.gz *.zip; do
	printf '  %-40s %6s  %s\n' "$f" "$(du -h "$f" | cut -f1)" "$( (tar -tzf "$f" 2>/dev/null || unzip -Z1 "$f") | grep -v '/$' | xargs -n1 basename | tr '\n' ' ')"
done)
