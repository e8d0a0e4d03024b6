#!/usr/bin/env bash
# The live-sessions benchmark (bench/e2e/live.mjs): follow-up turns through the server against a bare live CLI and
# spawn-per-turn `claude -p --resume`, prepared vs cold session/create, and memory with live sessions. Real CLI,
# fake Messages API on 127.0.0.1, everything in a temp folder. TURNS (default 12) and LIVE (default 4) tune it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
claude="$repo/.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
[ -x "$claude" ] || npm install --silent --prefix "$repo/.tools/claude" "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version" 2>/dev/null || echo 2.1.328)"
dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet >/dev/null

source bench/scratch-and-api.sh css-live
mkdir -p "$scratch/work" "$scratch/config"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version)"

SIDECAR="[\"dotnet\",\"$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll\"]" \
CLAUDE="$claude" API="http://127.0.0.1:$port" CONFIG="$scratch/config" WORK="$scratch/work" SCRATCH="$scratch" \
node bench/e2e/live.mjs
