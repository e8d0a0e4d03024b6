#!/usr/bin/env bash
# The README's sixty-second demo: start a session, then list the resumable ones, over newline-framed JSON-RPC.
# Needs the Claude Code CLI on PATH (or CLAUDE_SIDECAR_CLAUDE_PATH) and its credentials, as for `claude -p`.
set -euo pipefail
cd "$(dirname "$0")/.."

# SIDECAR: the server command (the test suite passes the build it tests); else the Release build here.
if [ -z "${SIDECAR:-}" ]; then
  SIDECAR_DLL=${SIDECAR_DLL:-src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll}
  [ -f "$SIDECAR_DLL" ] || dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet
  SIDECAR="dotnet $SIDECAR_DLL"
fi
sidecar() { $SIDECAR --framing newline; }

DEMO_DIR=${DEMO_DIR:-/tmp/sidecar-demo}
mkdir -p "$DEMO_DIR"

# 1. Create a session. Progress arrives as session/message notifications; the last line is the answer.
echo '{"jsonrpc":"2.0","id":1,"method":"session/create","params":{"workingDirectory":"'"$DEMO_DIR"'","prompt":"Say hello in five words"}}' \
  | sidecar | tail -n 1

# 2. List the folder's resumable sessions (a new server process: the store keeps them).
echo '{"jsonrpc":"2.0","id":2,"method":"session/listResumable","params":{"workingDirectory":"'"$DEMO_DIR"'"}}' \
  | sidecar
