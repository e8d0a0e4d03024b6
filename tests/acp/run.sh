#!/usr/bin/env bash
# The ACP face's suite: the official ACP client library (@agentclientprotocol/sdk) drives the real server
# (`dotnet <dll> acp`) against the real Claude Code CLI and the fake Messages API (the suite starts and stops it).
# Idempotent: installs what is missing (npm ci), builds the server when its Release dll is missing.
# Env: SIDECAR_DLL (the server dll), CLAUDE_SIDECAR_CLAUDE_PATH (the Claude Code CLI).
# Last line: "N passed, N failed" (a skipped or todo test counts as failed). Exit code non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
passed=0
failed=0

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
setup_failed() {
  echo "run.sh: $*" >&2
  failed=$((failed + 1))
  finish
}

if [ ! -d node_modules/@agentclientprotocol/sdk ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "run.sh: npm ci"
  timeout 300 npm ci --no-audit --no-fund --loglevel=error || setup_failed "npm ci failed"
fi

export SIDECAR_DLL="${SIDECAR_DLL:-$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll}"
if [ ! -f "$SIDECAR_DLL" ]; then
  echo "run.sh: building the server"
  (cd "$repo" && timeout 600 dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet) || setup_failed "server build failed"
fi
export CLAUDE_SIDECAR_CLAUDE_PATH="${CLAUDE_SIDECAR_CLAUDE_PATH:-$repo/.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe}"
if [ ! -x "$CLAUDE_SIDECAR_CLAUDE_PATH" ]; then
  echo "run.sh: installing the Claude Code CLI"
  timeout 300 npm install --prefix "$repo/.tools/claude" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version")" \
    || setup_failed "installing the Claude Code CLI failed"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
timeout --kill-after=10 300 node --test --test-reporter=tap acp.test.mjs 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
p="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
f="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
# A skipped (or todo) test hides whatever it did not check: it counts as a failure.
s=$(( $(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$log" | tail -n 1 | grep . || echo 0) \
    + $(sed -n 's/^# todo \([0-9]*\)$/\1/p' "$log" | tail -n 1 | grep . || echo 0) ))
if [ "$s" -gt 0 ]; then
  echo "run.sh: $s test(s) skipped or todo; each counts as a failure:" >&2
  grep -E '^ *(not )?ok .*# (SKIP|TODO)' "$log" >&2
fi
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + s))
if [ -z "$p" ] || { [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; }; then
  echo "run.sh: the suite ended with status $status without a failing test (timeout or crash)" >&2
  failed=$((failed + 1))
fi
finish
