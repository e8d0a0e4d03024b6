#!/usr/bin/env bash
# The Agent SDK's SessionStore adapter over the PostgreSQL store's tables (pg-session-store.test.mjs): it starts its
# own PostgreSQL, the fake Messages API and the real CLI. Last line: "N passed, N failed".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
passed=0
failed=0
. "$here/../../../node-test-group.sh"
log=$(mktemp)
run_group "SDK SessionStore adapter" 300 pg-session-store.test.mjs "$log"
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
