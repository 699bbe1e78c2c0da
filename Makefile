# Keyport's everyday commands. Each target installs the Debian (and npm)
# packages it needs first, through scripts/deps.sh.
GO ?= go
# FyneApp.toml opts into Fyne's threading model ([Migrations] fyneDo); `fyne
# build` turns that into this tag, plain `go build` needs it said.
TAGS = -tags migrated_fynedo

# Go files to format-check: tracked and new ones (not ignored), or every .go
# file when this is not a git work tree.
GOFILES_CMD = { git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || \
	find . -name '*.go' -not -path '*/node_modules/*'; }

.PHONY: run build test e2e lint fmt-check vet cross bench bench-docs package release demo demo-clean screenshot providers-doc

run: build
	./keyport

# keyport (the commands, no Fyne linked, so `keyport token` starts fast)
# and keyport-window (the window), which keyport with no command becomes.
build:
	scripts/deps.sh run
	CGO_ENABLED=0 $(GO) build -o keyport .
	$(GO) build $(TAGS) -o keyport-window ./cmd/keyport-window

test:
	scripts/deps.sh test
	@$(MAKE) --no-print-directory fmt-check vet cross
	KEYPORT_INTEGRATION=1 scripts/with-keyring.sh $(GO) test $(TAGS) -race -count=1 ./...
	@$(MAKE) --no-print-directory e2e

# End-to-end test of the real window under Xvfb with a real browser and keychain.
e2e:
	bash test/e2e/run.sh

# docs/screenshot.png: the real window with a connected account, taken by the
# end-to-end test under Xvfb.
screenshot:
	scripts/deps.sh test
	bash test/e2e/run.sh
	cp build/e2e/connected.png docs/screenshot.png

# Try everything offline against a local OpenID Connect provider.
demo: build
	scripts/deps.sh demo
	scripts/demo.sh

demo-clean:
	scripts/demo.sh clean

# docs/PROVIDERS.md from the built-in catalogue; make test fails when it is stale.
providers-doc:
	$(GO) test ./auth -run '^TestProvidersDoc$$' -count=1 -update

# Code behind build tags compiles for the platforms this machine cannot
# run: the Windows window (Fyne's cgo parts with mingw-w64; the first build
# takes minutes, then the Go build cache has it, -trimpath as make release
# builds it, so the two share it), and the command line and
# internal packages for macOS and Windows.
cross:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build $(TAGS) -trimpath -o /dev/null ./cmd/keyport-window
	GOOS=darwin CGO_ENABLED=0 $(GO) build -o /dev/null .
	GOOS=darwin CGO_ENABLED=0 $(GO) build ./internal/...
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null .

lint: fmt-check vet
	$(GO) tool staticcheck ./...

fmt-check:
	@files=$$($(GOFILES_CMD) | while read -r f; do [ -f "$$f" ] && echo "$$f"; done | xargs -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet $(TAGS) ./...

# Go benchmarks, then the figures against their baselines (bench/run.sh:
# Xvfb, a Secret Service, the authorization server; about 5 minutes). The
# figures inform: missed targets do not fail the target.
bench:
	scripts/deps.sh test
	$(GO) test $(TAGS) -run '^$$' -bench . -benchmem ./...
	bench/run.sh

# The figures again, written to docs/BENCHMARKS.md with the machine.
bench-docs:
	scripts/deps.sh test
	bench/run.sh --docs docs/BENCHMARKS.md

# Keyport.tar.xz: both programs, the desktop entry (which starts
# keyport-window) and an install Makefile. The fyne tool runs pinned but
# outside go.mod: as a tool directive its own dependencies would lift the GL
# and GLFW bindings the app builds with.
package:
	scripts/deps.sh run
	scripts/package.sh

# build/release/: keyport for linux, darwin and windows on amd64 and
# arm64, keyport-window for linux/amd64 and windows/amd64 (mingw-w64), as
# tar.gz and zip archives with SHA256SUMS (scripts/release.sh).
release:
	scripts/deps.sh release
	scripts/release.sh
