#!/usr/bin/env bash
# The VS Code extension's whole test suite. Idempotent: installs what is missing, builds the server when its
# Release dll is missing, starts (and always stops) the fake Messages API, compiles and packages the extension,
# lints, then runs (1) unit tests of the webview's Markdown renderer and diff helpers and of format.ts, (2) the client module against the real server
# and (3) VS Code end to end in code-server, with the extension packed by @vscode/vsce.
# Env: SIDECAR_DLL (the server dll), CLAUDE_SIDECAR_CLAUDE_PATH (the Claude Code CLI).
# Last line: "N passed, N failed". Exit code non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
results="$here/test-results"
mkdir -p "$results"
rm -f "$results"/*.png "$results"/*.tap
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

# --- tools -------------------------------------------------------------------------------------------------
bash "$here/test/install-tools.sh" || setup_failed "installing the test tools failed"

if [ ! -d node_modules/vscode-jsonrpc ] || [ ! -d node_modules/playwright-core ] || [ ! -x node_modules/.bin/tsc ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "run.sh: npm install"
  if [ -f package-lock.json ]; then cmd=ci; else cmd=install; fi
  timeout 300 npm "$cmd" --no-audit --no-fund --loglevel=error || setup_failed "npm $cmd failed"
fi

export SIDECAR_DLL="${SIDECAR_DLL:-$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll}"
if [ ! -f "$SIDECAR_DLL" ]; then
  echo "run.sh: building the server"
  (cd "$repo" && timeout 600 dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet) || setup_failed "server build failed"
fi
export CLAUDE_SIDECAR_CLAUDE_PATH="${CLAUDE_SIDECAR_CLAUDE_PATH:-$repo/.tools/claude/node_modules/.bin/claude}"
if [ ! -x "$CLAUDE_SIDECAR_CLAUDE_PATH" ]; then
  echo "run.sh: installing the Claude Code CLI"
  timeout 300 npm install --prefix "$repo/.tools/claude" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version")" \
    || setup_failed "installing the Claude Code CLI failed"
fi

# --- fake Messages API (tests/fake-messages-api/server.js, with tool calls) ---------------------------------------
api_out="$(mktemp)"
node "$repo/tests/fake-messages-api/server.js" > "$api_out" &
api_pid=$!
trap 'kill "$api_pid" 2>/dev/null; rm -f "$api_out"' EXIT
for _ in $(seq 100); do
  port="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$api_out")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || setup_failed "the fake Messages API did not start"
export FAKE_API_PORT="$port"

# --- compile, lint and package ------------------------------------------------------------------------------
timeout 120 npx tsc -p . || setup_failed "tsc failed"
timeout 120 npx eslint || setup_failed "eslint found problems"
rm -f ./*.vsix
timeout 180 npm run --silent package > "$results/vsce.log" 2>&1 || { cat "$results/vsce.log" >&2; setup_failed "vsce package failed"; }

# --- the test groups ----------------------------------------------------------------------------------------
source "$here/../../tests/node-test-group.sh"
run_group unit 60 test/markdown.test.mjs "$results/unit.tap"
run_group format 60 test/format.test.mjs "$results/format.tap"
run_group diff 60 test/diff.test.mjs "$results/diff.tap"
run_group client 300 test/client.test.mjs "$results/client.tap"
run_group e2e 960 test/e2e.test.mjs "$results/e2e.tap"
finish
