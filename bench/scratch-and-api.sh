# Sourced by the benchmark scripts: a temp folder ($scratch) and the fake Messages API on 127.0.0.1 ($port),
# both gone when the script exits. $1: the temp folder's name prefix.
scratch="$(mktemp -d "/tmp/$1-XXXXXX")"
api_pid=""
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
node tests/fake-messages-api/server.js > "$scratch/api.out" &
api_pid=$!
for _ in $(seq 50); do grep -q listening "$scratch/api.out" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/^listening //p' "$scratch/api.out")"
