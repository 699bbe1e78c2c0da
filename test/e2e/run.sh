#!/usr/bin/env bash
# Keyport's end-to-end test: the real window under Xvfb, a real Secret
# Service (scripts/with-keyring.sh), the real authorization server
# (tools/authserver) and a real browser (Chromium, driven by browser.mjs),
# clicked through with xdotool:
#
#   bash test/e2e/run.sh        (make e2e; make test runs it last)
#
# It connects the "Local demo" provider in the window, checks the keychain,
# the token, the background refresh, Copy and the clipboard clearing, a
# declined sign-in, a sign-in with a code (RFC 8628: "Use a code instead",
# the code copied from the window and typed into the browser) and
# Disconnect. Screenshots and the logs of Keyport, the
# server and each browser run go to build/e2e/. Everything it starts is
# stopped when it ends, fails or is interrupted. It prints one line per step
# and ends with "e2e: N passed, N failed"; the exit status is 0 only when all
# steps passed.
#
# The script runs twice: the outer half builds Keyport, starts Xvfb and runs
# the inner half (E2E_INNER=1) inside scripts/with-keyring.sh, so the
# developer's own keychain, HOME and Fyne settings are never touched.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ART=$ROOT/build/e2e
KEYPORT=$ART/keyport
HELPERS=$ROOT/test/e2e/helpers.mjs
STEPS=8
ACCOUNT=local/demo
SERVICE=keyport-e2e
ACCESS_TTL=20    # seconds: short, so the test sees a refresh
CLEAR_DELAY=5    # seconds the copied token stays on the clipboard
INNER_BUDGET=240 # seconds for everything after the build

log() { printf 'e2e: %s\n' "$*" | tee -a "$ART/run.log"; }
detail() { printf 'e2e:   %s\n' "$*" | tee -a "$ART/run.log"; }
step() {
	echo "$1" >"$ART/current-step"
	log "step $1/$STEPS: $2"
}
pass() { echo "pass $(cat "$ART/current-step")" >>"$ART/results"; }
# fail MESSAGE LOG: says what failed and where to look, then exits.
fail() {
	log "FAIL: $1 (see build/e2e/${2:-run.log})"
	echo "fail $(cat "$ART/current-step")" >>"$ART/results"
	exit 1
}
now() { date +%s; }
epoch() { date -d "$1" +%s; } # RFC 3339 time → Unix seconds

###############################################################################
# Outer half: build, Xvfb, then the inner half inside a throw-away keyring.
###############################################################################

XVFB_PID="" INNER_PID=""

# outer_cleanup stops the inner half (the wrapper stops its whole session)
# and Xvfb, then prints the summary.
outer_cleanup() {
	local status=$? passed failed current
	trap - EXIT INT TERM HUP
	if [[ -n $INNER_PID ]] && kill -0 "$INNER_PID" 2>/dev/null; then
		kill -TERM "$INNER_PID" 2>/dev/null || true
		wait "$INNER_PID" 2>/dev/null || true
	fi
	# The wrapper returns as soon as its session bus is gone; the inner half
	# may still be stopping what it started. Give it time (Xvfb must outlive
	# Keyport), then kill whatever of its process group is left.
	if [[ -s $ART/inner.pgid ]]; then
		local group
		group=$(cat "$ART/inner.pgid")
		for _ in $(seq 300); do
			kill -0 -- "-$group" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$group" 2>/dev/null || true
	fi
	if [[ -n $XVFB_PID ]]; then
		kill -TERM "$XVFB_PID" 2>/dev/null || true
		wait "$XVFB_PID" 2>/dev/null || true
	fi
	passed=$(grep -c '^pass' "$ART/results" || true)
	failed=$(grep -c '^fail' "$ART/results" || true)
	if ((status != 0 && failed == 0)); then
		current=$(cat "$ART/current-step" 2>/dev/null || echo 1)
		if ((status == 130 || status == 143)); then
			log "FAIL: interrupted during step $current"
		else
			log "FAIL: step $current stopped unexpectedly with status $status (see build/e2e/run.log)"
		fi
		failed=1
	fi
	if ((passed + failed < STEPS)); then
		log "$((STEPS - passed - failed)) step(s) not run"
	fi
	log "$passed passed, $failed failed"
	if ((failed > 0 && status == 0)); then status=1; fi
	exit "$status"
}

outer() {
	rm -rf "$ART"
	mkdir -p "$ART"
	: >"$ART/results"
	trap outer_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP

	step 1 "build Keyport, start Xvfb, a Secret Service, the authorization server and the window"
	local missing=()
	for tool in go node npm ps Xvfb xdotool xclip import convert tesseract secret-tool dbus-run-session gnome-keyring-daemon timeout; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	[[ -x /usr/bin/chromium ]] || missing+=(chromium)
	((${#missing[@]} == 0)) || fail "missing ${missing[*]}: run scripts/deps.sh test"

	# Like scripts/deps.sh does for tools/authserver: npm ci when
	# node_modules is missing or older than the lock file.
	local dir=test/e2e
	if [[ ! -d $dir/node_modules || $dir/package-lock.json -nt $dir/node_modules ]]; then
		detail "installing $dir npm packages (npm ci)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$ART/npm.log" 2>&1 || fail "npm ci in $dir" npm.log
		touch "$dir/node_modules"
	fi
	[[ -d tools/authserver/node_modules ]] || fail "tools/authserver has no node_modules: run scripts/deps.sh test"

	local t0
	t0=$(now)
	# As make build: keyport (the commands; with none it becomes the window)
	# and keyport-window beside it.
	{ CGO_ENABLED=0 go build -o "$KEYPORT" . &&
		go build -tags migrated_fynedo -o "$ART/keyport-window" ./cmd/keyport-window; } >"$ART/build.log" 2>&1 || fail "go build" build.log
	detail "built build/e2e/keyport and keyport-window in $(($(now) - t0)) s"

	# -displayfd makes Xvfb pick a free display itself and tell us its number:
	# no race with other X servers on the machine. 1920x1080 leaves room to put
	# the account window beside the main window, so neither hides the other.
	Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$ART/xvfb.display" >"$ART/xvfb.log" 2>&1 &
	XVFB_PID=$!
	local display=""
	for _ in $(seq 100); do
		display=$(tr -dc 0-9 <"$ART/xvfb.display")
		[[ -n $display ]] && break
		kill -0 "$XVFB_PID" 2>/dev/null || fail "Xvfb exited" xvfb.log
		sleep 0.1
	done
	[[ -n $display ]] || fail "Xvfb did not report its display within 10 s" xvfb.log
	detail "Xvfb on :$display"

	DISPLAY=":$display" E2E_INNER=1 \
		timeout -k 10 "$INNER_BUDGET" scripts/with-keyring.sh bash test/e2e/run.sh </dev/null &
	INNER_PID=$!
	local status=0
	wait "$INNER_PID" || status=$?
	INNER_PID=""
	if ((status == 124)); then
		log "FAIL: timed out after $INNER_BUDGET s (see build/e2e/run.log)"
		echo "fail $(cat "$ART/current-step")" >>"$ART/results"
	fi
	exit "$status"
}

###############################################################################
# Inner half: runs inside with-keyring.sh (own D-Bus session, gnome-keyring,
# throw-away HOME) with DISPLAY set to the Xvfb display.
###############################################################################

KEYPORT_PID="" SERVER_PID="" XCLIP_PID="" WIN="" INTRO=""

inner_cleanup() {
	local status=$?
	trap - EXIT INT TERM HUP ERR
	if ((status != 0)) && [[ -n ${DISPLAY:-} ]]; then
		import -window root "$ART/failure.png" 2>/dev/null || true
	fi
	# Browsers first (playwright closes its Chromium on SIGTERM), then
	# Keyport, the clipboard helper and the server.
	local f pid
	for f in "$ART"/browser-*.pid; do
		if [[ -e $f ]]; then kill -TERM "$(cat "$f")" 2>/dev/null || true; fi
	done
	stop_pid "$KEYPORT_PID" keyport
	stop_pid "$XCLIP_PID" xclip
	for f in "$ART"/browser-*.pid; do
		[[ -e $f ]] && stop_pid "$(cat "$f")" browser
	done
	# Chromium runs in its own process group (playwright starts it detached).
	for f in "$ART"/browser-*.chromium; do
		[[ -e $f ]] || continue
		pid=$(cat "$f")
		if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
	done
	stop_pid "$SERVER_PID" server
	exit "$status"
}

# stop_pid PID NAME: SIGTERM, then SIGKILL after 10 s.
stop_pid() {
	local pid=$1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	detail "$2 (pid $pid) ignored SIGTERM for 10 s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

cli() { "$KEYPORT" "$@" 2>>"$ART/cli.log"; }
accounts() { cli accounts --json >"$ART/accounts.json" || fail "keyport accounts --json" cli.log; }
field() { node "$HELPERS" json "$1" <"$ART/accounts.json"; } # field 0.expiry
secret() { node "$HELPERS" secret "account:$ACCOUNT"; }
secret_field() { node "$HELPERS" json "$1" <<<"$(secret)"; }
http() { node "$HELPERS" http "$@"; }
short() { printf '%s…' "${1:0:8}"; } # enough of a token to tell two apart in the log
# seen TOKEN...: remembers tokens the test handled, for the check that the
# window's log holds none of them (the file is removed at the end).
seen() { printf '%s\n' "$@" >>"$ART/.seen-tokens"; }

# introspect TOKEN: sets INTRO to the server's answer (RFC 7662), as JSON.
introspect() {
	local out
	out=$(http POST "$INTROSPECTION" --basic introspector:introspector-secret --form "token=$1")
	[[ $out == "200 "* ]] || fail "introspection answered $out" server.log
	INTRO=${out#200 }
}
active() {
	introspect "$1"
	[[ $(node "$HELPERS" json active <<<"$INTRO") == true ]]
}

# keychain: the keychain items of the test's service, secrets blanked.
keychain() { secret-tool search --all service "$SERVICE" 2>&1 | sed 's/^secret = .*/secret = (not shown)/' || true; }

# shot WINDOW NAME: screenshot of one window into build/e2e/NAME.png.
shot() { import -window "$1" "$ART/$2.png" 2>>"$ART/x11.log" || fail "screenshot $2" x11.log; }

# click_text WINDOW NAME ANCHOR [TARGET]: screenshot the window, find the
# TARGET word on the row of the ANCHOR phrase (or the anchor itself) and
# click it. The window may still be changing: look again for up to 15 s.
click_text() {
	local win=$1 name=$2 xy deadline=$(($(now) + 15))
	until shot "$win" "$name" && xy=$(node "$HELPERS" find "$ART/$name.png" "${@:3}" 2>>"$ART/ocr.log"); do
		(($(now) < deadline)) ||
			fail "could not find ${4:-$3}${4:+ on the row of \"$3\"} in the window" "ocr.log and build/e2e/$name.png"
		sleep 1
	done
	detail "clicking \"${4:-$3}\" at $xy in $name.png"
	# shellcheck disable=SC2086 # "X Y"
	xdotool mousemove --window "$win" $xy click 1
}

# wait_shows WINDOW NAME SECONDS PHRASE...: until the window shows every
# PHRASE; the last screenshot is build/e2e/NAME.png.
wait_shows() {
	local deadline=$(($(now) + $3))
	while :; do
		shot "$1" "$2"
		node "$HELPERS" has "$ART/$2.png" "${@:4}" && return 0
		(($(now) < deadline)) || return 1
		sleep 1
	done
}

# wait_browser N SECONDS: until browser run N has finished.
wait_browser() {
	local deadline=$(($(now) + $2)) pid
	until [[ -s $ART/browser-$1.pid ]]; do
		(($(now) < deadline)) || fail "Keyport did not open the browser (xdg-open was not called)" keyport.log
		sleep 0.2
	done
	pid=$(cat "$ART/browser-$1.pid")
	while kill -0 "$pid" 2>/dev/null; do
		(($(now) < deadline)) || fail "the browser did not finish within $2 s" "browser-$1.log"
		sleep 0.2
	done
	grep -q 'callback page: result:' "$ART/browser-$1.log" || fail "the browser did not reach Keyport's callback page" "browser-$1.log"
	detail "browser $1: $(grep -o 'result: .*' "$ART/browser-$1.log")"
}

clipboard() { timeout 5 xclip -selection clipboard -o 2>/dev/null || true; }

inner() {
	trap inner_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	set -E
	trap 'log "command failed (status $?) at line $LINENO: $BASH_COMMAND"' ERR
	ps -o pgid= -p $$ | tr -d ' ' >"$ART/inner.pgid"
	export LANG=en_US.UTF-8
	export KEYPORT_CONFIG_DIR=$ART/config KEYPORT_KEYRING_SERVICE=$SERVICE E2E_DIR=$ART E2E_ROOT=$ROOT

	[[ -z $(secret-tool search --all service "$SERVICE" 2>/dev/null) ]] || fail "the new keyring is not empty" run.log

	# --- the authorization server ---
	# Its log gets a time stamp per line (it ends when the server does).
	node tools/authserver/server.js --access-ttl "$ACCESS_TTL" --redirect-path /callback/local \
		>"$ART/server.out" 2> >(while IFS= read -r line; do
			t=$EPOCHREALTIME
			printf '%(%T)T.%.3s %s\n' "${t%.*}" "${t#*.}" "$line"
		done >"$ART/server.log") </dev/null &
	SERVER_PID=$!
	local issuer=""
	for _ in $(seq 200); do
		issuer=$(node "$HELPERS" json issuer <"$ART/server.out" 2>/dev/null || true)
		[[ -n $issuer ]] && break
		kill -0 "$SERVER_PID" 2>/dev/null || fail "the authorization server exited" server.log
		sleep 0.1
	done
	[[ -n $issuer ]] || fail "the authorization server printed no issuer within 20 s" server.log
	local discovery
	discovery=$(http GET "$issuer/.well-known/openid-configuration")
	[[ $discovery == "200 "* ]] || fail "discovery answered ${discovery:0:80}" server.log
	printf '%s\n' "${discovery#200 }" >"$ART/discovery.json"
	USERINFO=$(node "$HELPERS" json userinfo_endpoint <"$ART/discovery.json")
	INTROSPECTION=$(node "$HELPERS" json introspection_endpoint <"$ART/discovery.json")
	REVOCATION=$(node "$HELPERS" json revocation_endpoint <"$ART/discovery.json")
	detail "authorization server $issuer (access tokens last $ACCESS_TTL s)"

	# --- Keyport's configuration: the provider, and the clipboard delay ---
	mkdir -p "$KEYPORT_CONFIG_DIR"
	printf '{"providers":[{"id":"local","name":"Local demo","issuer":"%s","client_id":"keyport-test"}]}\n' \
		"$issuer" >"$KEYPORT_CONFIG_DIR/providers.json"
	# Fyne keeps an app's preferences in os.UserConfigDir()/fyne/<app id>/
	# preferences.json; with-keyring.sh points XDG_CONFIG_HOME at its
	# throw-away HOME. The key is ui/prefs.go's keyClipboardClear.
	local appid prefs
	appid=$(sed -n 's/^[[:space:]]*ID[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
	[[ -n $appid ]] || fail "no ID in FyneApp.toml" run.log
	prefs=${XDG_CONFIG_HOME:?}/fyne/$appid
	mkdir -p "$prefs"
	printf '{"clipboard.clear_seconds":%d}\n' "$CLEAR_DELAY" >"$prefs/preferences.json"

	# --- the system browser: xdg-open runs browser.mjs, one log per call ---
	mkdir -p "$ART/bin"
	cat >"$ART/bin/xdg-open" <<'EOF'
#!/usr/bin/env bash
# Keyport's e2e "system browser" (written by test/e2e/run.sh): opens $1 in
# test/e2e/browser.mjs in the background, numbering the runs 1, 2, ...
set -euo pipefail
n=1
while ! mkdir "$E2E_DIR/.browser-$n" 2>/dev/null; do n=$((n + 1)); done
# The browser needs no D-Bus: without it Chromium does not start an
# accessibility bus on the test's session bus.
E2E_SHOT="$E2E_DIR/browser-$n.png" E2E_PIDFILE="$E2E_DIR/browser-$n.chromium" \
	nohup env -u DBUS_SESSION_BUS_ADDRESS node "$E2E_ROOT/test/e2e/browser.mjs" "$1" >"$E2E_DIR/browser-$n.log" 2>&1 </dev/null &
echo $! >"$E2E_DIR/browser-$n.pid"
EOF
	chmod +x "$ART/bin/xdg-open"
	consent() { echo "$1" >"$ART/consent"; }
	consent allow

	# --- the window ---
	PATH="$ART/bin:$PATH" "$KEYPORT" >"$ART/keyport.log" 2>&1 </dev/null &
	KEYPORT_PID=$!
	WIN=$(timeout 30 xdotool search --sync --onlyvisible --name '^Keyport$' | head -n1) ||
		fail "Keyport's window did not appear within 30 s" keyport.log
	# Mapped is not drawn: wait for the first frame (a screenshot that is not
	# all one colour).
	local deadline=$(($(now) + 30))
	until shot "$WIN" start && [[ $(convert "$ART/start.png" -format '%[fx:standard_deviation>0]' info:) == 1 ]]; do
		(($(now) < deadline)) || fail "Keyport's window stayed blank for 30 s" "keyport.log and build/e2e/start.png"
		sleep 0.5
	done
	detail "window $WIN is up ($(xdotool getwindowgeometry "$WIN" | sed -n 's/.*Geometry: //p'))"
	pass

	##########################################################################
	step 2 "connect Local demo in the window: Connect, sign in and allow in the browser"
	# Connect is found by reading the screen (tesseract): the "Connect" word
	# on the row that reads "Local demo". Fixed coordinates break with any
	# change of layout, size or provider list; Tab-counting breaks when a
	# focusable widget is added anywhere before the button, and neither can
	# tell that it hit the wrong button. Reading the words can: it fails
	# with what it saw (build/e2e/ocr.log) instead of clicking blind.
	local t0
	t0=$(now)
	click_text "$WIN" providers "Local demo" Connect
	wait_browser 1 60
	deadline=$(($(now) + 30))
	until accounts && [[ $(field length) == 1 && $(field 0.name) == "Dana Demo" ]]; do
		(($(now) < deadline)) || fail "keyport accounts --json does not list Dana Demo" "accounts.json, keyport.log, browser-1.log"
		sleep 0.5
	done
	# The first token, as early as possible: step 3 checks it gets replaced.
	local rt0 at0 exp0 connected
	rt0=$(secret_field refresh_token)
	at0=$(secret_field access_token)
	seen "$rt0" "$at0"
	exp0=$(epoch "$(field 0.expiry)")
	connected=$(epoch "$(field 0.connected)")
	detail "connected in $(($(now) - t0)) s; access token $(short "$at0") expires $(field 0.expiry)"
	# The row: the name, and the email under it (the message above the lists
	# names the account too, but not its email).
	wait_shows "$WIN" connected 20 "Dana Demo" "demo@example.test" ||
		fail "the window does not show Dana Demo's row" connected.png
	pass

	##########################################################################
	step 3 "the token is in the Secret Service and the window refreshes it in the background"
	keychain >"$ART/keychain-connected.txt"
	grep -q "username = account:$ACCOUNT\$" "$ART/keychain-connected.txt" ||
		fail "secret-tool finds no item account:$ACCOUNT in service $SERVICE" keychain-connected.txt
	[[ -n $rt0 ]] || fail "the stored token has no refresh token" keychain-connected.txt
	# No command-line call may refresh now (keyport token would): whatever
	# changes is the window's refresher.
	detail "waiting past the first token's expiry ($((exp0 - $(now))) s)"
	sleep $((exp0 - $(now) > 0 ? exp0 - $(now) : 0))
	deadline=$(($(now) + 25))
	local rt1="" exp1=0 last=0 last_refresh=""
	while :; do
		accounts
		exp1=$(epoch "$(field 0.expiry)")
		last_refresh=$(field 0.last_refresh)
		[[ -n $last_refresh ]] && last=$(epoch "$last_refresh")
		rt1=$(secret_field refresh_token)
		seen "$rt1"
		if ((exp1 > $(now) && last >= connected)) && [[ -n $rt1 && $rt1 != "$rt0" ]]; then
			break
		fi
		(($(now) < deadline)) || fail "the window did not keep the token fresh: $(($(now) - exp0)) s after the first token expired, accounts shows status $(field 0.status), expiry $(field 0.expiry), last_refresh ${last_refresh:-none}; the stored refresh token $([[ $rt1 == "$rt0" ]] && echo "is unchanged" || echo changed); $(($(grep -c 'POST /token ' "$ART/server.log") - 1)) refreshes since connecting" "accounts.json, keyport.log, server.log"
		sleep 1
	done
	detail "refreshed at $last_refresh; now expires $(field 0.expiry)"
	active "$rt0" && fail "the replaced refresh token is still active: it was not rotated" server.log
	# The stored refresh token works. The refresher rotates it every 10 s, so
	# it may replace the one just read before the introspection: read again.
	local live=""
	for _ in 1 2 3; do
		if active "$rt1"; then
			live=1
			break
		fi
		rt1=$(secret_field refresh_token)
		seen "$rt1"
	done
	[[ -n $live ]] || fail "the stored refresh token is not active" server.log
	detail "the first refresh token is no longer active (rotated), the stored one is"
	# A token of $ACCESS_TTL s wants a refresh every few seconds at most, not
	# a storm (the first POST /token is the code exchange).
	local refreshes elapsed
	refreshes=$(($(grep -c 'POST /token ' "$ART/server.log") - 1))
	elapsed=$(($(now) - connected))
	((refreshes <= 2 + elapsed / 5)) ||
		fail "the window refreshed $refreshes times in the $elapsed s since connecting (tokens last $ACCESS_TTL s)" "server.log, keyport.log"
	detail "$refreshes refreshes in the $elapsed s since connecting"
	pass

	##########################################################################
	step 4 "keyport token prints an access token the server accepts"
	local token out
	token=$(cli token local) || fail "keyport token local failed" cli.log
	seen "$token"
	[[ -n $token ]] || fail "keyport token local printed nothing" cli.log
	out=$(http GET "$USERINFO" --bearer "$token")
	[[ $out == "200 "* ]] || fail "userinfo answered ${out:0:120} for keyport token's token" server.log
	[[ $(node "$HELPERS" json sub <<<"${out#200 }") == demo ]] || fail "userinfo names another account: ${out:0:120}" server.log
	detail "userinfo accepts $(short "$token"): ${out#200 }"
	pass

	##########################################################################
	step 5 "Copy in the account window puts the token on the clipboard and clears it after $CLEAR_DELAY s"
	# The row, by its email under the name: the message above the lists may
	# name Dana Demo too.
	click_text "$WIN" accounts-list "Dana Demo" "demo@example.test"
	local view
	view=$(timeout 15 xdotool search --sync --onlyvisible --name 'Dana Demo' | head -n1) ||
		fail "the account window did not open" "keyport.log and build/e2e/accounts-list.png"
	# No window manager: put it beside the main window, not over it.
	xdotool windowmove "$view" 1060 0
	sleep 1
	shot "$view" account
	# Engine.Token refreshes a token that is due (these 20 s tokens in their
	# last 10 s), so a Copy and a keyport token a moment later may hand out
	# different ones: compare the two right after each other, and try again
	# if a refresh came between.
	local clip="" try
	for try in 1 2 3; do
		printf 'e2e-marker-%s' "$try" | xclip -selection clipboard -quiet >/dev/null 2>&1 &
		XCLIP_PID=$!
		sleep 0.3
		click_text "$view" account "Access token" Copy
		deadline=$(($(now) + 15))
		until clip=$(clipboard) && [[ -n $clip && $clip != e2e-marker-* ]]; do
			(($(now) < deadline)) || fail "the clipboard did not change after Copy (it holds \"${clip:0:20}\")" "keyport.log and build/e2e/account.png"
			sleep 0.2
		done
		seen "$clip"
		token=$(cli token local) || fail "keyport token local failed" cli.log
		seen "$token"
		[[ $clip == "$token" ]] && break
		detail "try $try: the clipboard has $(short "$clip"), keyport token $(short "$token")"
	done
	[[ $clip == "$token" ]] || fail "the clipboard ($(short "$clip")) does not hold keyport token's token ($(short "$token")) after 3 tries" "cli.log, keyport.log, server.log"
	local copied
	copied=$(now)
	detail "the clipboard holds the access token $(short "$clip")"
	out=$(http GET "$USERINFO" --bearer "$clip")
	[[ $out == "200 "* ]] || fail "userinfo answered ${out:0:120} for the copied token" server.log
	deadline=$((copied + CLEAR_DELAY + 10))
	while [[ $(clipboard) == "$clip" ]]; do
		(($(now) < deadline)) || fail "the clipboard still holds the token $((CLEAR_DELAY + 10)) s after Copy (clear delay $CLEAR_DELAY s)" keyport.log
		sleep 0.5
	done
	detail "the clipboard was cleared about $(($(now) - copied)) s after Copy"
	pass

	##########################################################################
	step 6 "a declined sign-in: Connect, then Deny in the browser"
	consent deny
	click_text "$WIN" providers-2 "Local demo" Connect
	wait_browser 2 60
	wait_shows "$WIN" denied 30 "declined access on Local demo" ||
		fail "the window does not say \"You declined access on Local demo\"" "denied.png, keyport.log"
	accounts
	[[ $(field length) == 1 ]] || fail "keyport accounts --json lists $(field length) accounts after the denial, not 1" accounts.json
	detail "the window says so; still one account"
	pass

	##########################################################################
	step 7 "sign in with a code: Connect, Use a code instead, Copy the code, the browser enters it"
	# The browser Connect opens is left alone: the person chooses a code.
	consent ignore
	click_text "$WIN" providers-3 "Local demo" Connect
	click_text "$WIN" waiting "Use a code instead"
	wait_shows "$WIN" code 30 "Enter this code" "Open the page" "Expires in" ||
		fail "the window does not show the code with Copy, Open the page and the time left" "code.png, keyport.log"
	printf 'e2e-marker-code' | xclip -selection clipboard -quiet >/dev/null 2>&1 &
	XCLIP_PID=$!
	sleep 0.3
	click_text "$WIN" code-copy "Open the page" Copy
	local code=""
	deadline=$(($(now) + 15))
	until code=$(clipboard) && [[ -n $code && $code != e2e-marker-code ]]; do
		(($(now) < deadline)) || fail "the clipboard did not change after Copy beside the code" "keyport.log and build/e2e/code-copy.png"
		sleep 0.2
	done
	# oidc-provider's codes: eight letters of its base-20 set, as XXXX-XXXX.
	[[ $code =~ ^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$ ]] || fail "Copy put \"${code:0:40}\" on the clipboard, not a code" code-copy.png
	detail "the window shows the code; Copy gave $code; the browser enters it at $issuer/device"
	E2E_SHOT="$ART/browser-code.png" E2E_PIDFILE="$ART/browser-code.chromium" \
		env -u DBUS_SESSION_BUS_ADDRESS timeout 90 node test/e2e/browser.mjs --code "$code" "$issuer/device" \
		>"$ART/browser-code.log" 2>&1 </dev/null || fail "the browser could not enter the code" "browser-code.log, browser-code.png"
	# The server counts the token requests with a device code; the one that
	# got tokens is Keyport's poll after the browser allowed.
	local stats=""
	deadline=$(($(now) + 30))
	until stats=$(http GET "$issuer/test/stats") && [[ $(node "$HELPERS" json device_grants <<<"${stats#200 }") == 1 ]]; do
		(($(now) < deadline)) || fail "Keyport's polls got no tokens within 30 s of the code's entry: ${stats:0:120}" "server.log, keyport.log"
		sleep 0.5
	done
	wait_shows "$WIN" code-connected 20 "Connected Dana Demo" ||
		fail "the window does not say it connected Dana Demo" "code-connected.png, keyport.log"
	accounts
	[[ $(field length) == 1 && $(field 0.status) == valid ]] || fail "after the sign-in with a code: $(field length) accounts, status $(field 0.status)" accounts.json
	detail "connected again with the code; the server saw ${stats#200 }"
	consent allow
	pass

	##########################################################################
	step 8 "Disconnect in the account window revokes the grant and empties the keychain"
	xdotool windowraise "$view"
	click_text "$view" account-2 Disconnect
	deadline=$(($(now) + 15))
	local xy=""
	while :; do
		sleep 0.5
		shot "$view" disconnect-confirm
		xy=$(node "$HELPERS" find "$ART/disconnect-confirm.png" Cancel Disconnect 2>>"$ART/ocr.log") && break
		(($(now) < deadline)) || fail "no confirmation with Cancel and Disconnect appeared" "disconnect-confirm.png, ocr.log"
	done
	# The tokens Disconnect must revoke, read just before confirming, and
	# live then (the refresher may have just rotated them: read again).
	local rt at live=""
	for try in 1 2 3; do
		rt=$(secret_field refresh_token)
		at=$(secret_field access_token)
		seen "$rt" "$at"
		if active "$rt"; then
			live=1
			break
		fi
	done
	[[ -n $live ]] || fail "the stored refresh token is not active before Disconnect" server.log
	detail "confirming: \"Disconnect\" at $xy in disconnect-confirm.png"
	# shellcheck disable=SC2086 # "X Y"
	xdotool mousemove --window "$view" $xy click 1
	deadline=$(($(now) + 30))
	until accounts && [[ $(field length) == 0 ]]; do
		(($(now) < deadline)) || fail "keyport accounts --json still lists the account 30 s after Disconnect" "accounts.json, keyport.log"
		sleep 0.5
	done
	keychain >"$ART/keychain-disconnected.txt"
	[[ ! -s $ART/keychain-disconnected.txt ]] || fail "the keychain still has items of $SERVICE" keychain-disconnected.txt
	active "$rt" && fail "the server still holds the grant: introspection of the refresh token says $INTRO" server.log
	active "$at" && fail "the access token is still active: $INTRO" server.log
	grep -q "POST ${REVOCATION#"$issuer"} 200" "$ART/server.log" || fail "Keyport sent no revocation request" server.log
	shot "$WIN" disconnected
	detail "introspection: refresh and access token inactive; keychain empty; no accounts"
	# The window's log (keyport-window writes it to the user cache
	# directory) says what happened and holds none of the tokens seen.
	local winlog=${XDG_CACHE_HOME:?}/keyport/keyport.log n=0 tok
	[[ -s $winlog ]] || fail "the window wrote no log at $winlog" run.log
	cp "$winlog" "$ART/window.log"
	grep -q 'msg=connected' "$winlog" && grep -q 'msg=refreshed' "$winlog" ||
		fail "the window's log does not record the sign-in and the refreshes" window.log
	while read -r tok; do
		[[ -n $tok ]] || continue
		n=$((n + 1))
		grep -qF -- "$tok" "$winlog" && fail "the window's log holds a token ($(short "$tok"))" window.log
	done <"$ART/.seen-tokens"
	rm -f "$ART/.seen-tokens"
	detail "the window's log records the sign-in and $(grep -c 'msg=refreshed' "$winlog") refreshes and holds none of the $n tokens seen"
	pass

	# Not steps of their own, but worth a look: a clean quit on SIGTERM, and
	# Fyne's complaints about widgets touched off the UI goroutine.
	kill -TERM "$KEYPORT_PID"
	for _ in $(seq 100); do
		kill -0 "$KEYPORT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$KEYPORT_PID" 2>/dev/null; then
		log "WARN: Keyport did not quit within 10 s of SIGTERM (see build/e2e/keyport.log)"
	fi
	local calls
	calls=$(grep -c 'Error in Fyne call thread' "$ART/keyport.log" || true)
	if ((calls > 0)); then
		log "WARN: Fyne reported $calls call(s) off the UI goroutine, from: $(grep -A1 'Error in Fyne call thread' "$ART/keyport.log" | sed -n 's/.*From: //p' | sort -u | tr '\n' ' ')(see build/e2e/keyport.log)"
	fi
	return 0
}

if [[ -n ${E2E_INNER:-} ]]; then
	inner
else
	outer
fi
