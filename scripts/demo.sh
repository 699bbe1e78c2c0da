#!/usr/bin/env bash
# make demo: Keyport against a local OpenID Connect provider, offline.
#
# Starts tools/authserver (a real oidc-provider server: login and consent
# pages, PKCE required, rotating refresh tokens, access tokens that expire
# after two minutes so the refresher is seen at work) and opens Keyport with
# a demo config directory whose providers file adds "Local demo" by issuer
# discovery, and a keychain service of its own (keyport-demo) so nothing
# mixes with your real accounts. The server stops when Keyport quits.
#   scripts/demo.sh          run the demo
#   scripts/demo.sh clean    remove the demo's keychain items and files
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build/demo
service=keyport-demo
port=${KEYPORT_DEMO_PORT:-9460} # fixed, so the issuer (and accounts) survive a restart of the demo

if [[ ${1:-} == clean ]]; then
	if command -v secret-tool >/dev/null; then
		secret-tool clear service "$service" 2>/dev/null || true
	else
		echo "demo-clean: secret-tool is missing; remove the '$service' items with your keyring manager" >&2
	fi
	rm -rf "$dir"
	echo "demo-clean: removed the $service keychain items and $dir"
	exit 0
fi

mkdir -p "$dir/config"
node tools/authserver/server.js --port "$port" --access-ttl 120 --redirect-path /callback/local \
	--title "Local demo — sign in as demo / demo (or alice / alice)" >"$dir/server.out" 2>"$dir/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

issuer=
for _ in $(seq 100); do
	issuer=$(sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p' "$dir/server.out")
	[[ -n $issuer ]] && break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.1
done
if [[ -z $issuer ]]; then
	echo "demo: the local provider did not start (is port $port free? set KEYPORT_DEMO_PORT); its log:" >&2
	cat "$dir/server.log" >&2
	exit 1
fi

cat >"$dir/config/providers.json" <<JSON
{
  "providers": [
    {
      "id": "local",
      "name": "Local demo",
      "issuer": "$issuer",
      "client_id": "keyport-test",
      "notes": "A provider running on this machine for the demo. Sign in as demo / demo (or alice / alice)."
    }
  ]
}
JSON

echo "demo: Local demo provider at $issuer — press Connect next to \"Local demo\" and sign in as demo / demo."
echo "demo: accounts and settings in $dir/config, secrets in the keychain under '$service'; 'make demo-clean' removes them."
KEYPORT_CONFIG_DIR="$PWD/$dir/config" KEYPORT_KEYRING_SERVICE=$service ./keyport
