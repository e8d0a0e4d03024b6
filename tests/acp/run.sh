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
source "$repo/tests/node-test-group.sh"
run_group acp 300 acp.test.mjs "$log"
finish
