#!/usr/bin/env bash
# The ACP anchor (bench/acp/anchor.mjs): this server's ACP face against Zed's @zed-industries/claude-agent-acp 0.23.1,
# the same steps through the official ACP client, on the same real CLI (2.1.328) and fake Messages API, in a temp
# folder. ROUNDS (default 3), PAUSE_MS (the wait between session/new and the first prompt, default 0) and ONLY
# (an agent name prefix) tune it. As root the anchor needs IS_SANDBOX=1 (its SDK passes
# --allow-dangerously-skip-permissions), and CLAUDE_CODE_EXECUTABLE pins it to the same CLI.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
claude="$repo/.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
[ -x "$claude" ] || npm install --silent --prefix "$repo/.tools/claude" "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version")"
anchor="$repo/.tools/claude-agent-acp/node_modules/@zed-industries/claude-agent-acp/dist/index.js"
[ -f "$anchor" ] || npm install --silent --no-audit --no-fund --prefix "$repo/.tools/claude-agent-acp" @zed-industries/claude-agent-acp@0.23.1
[ -d tests/acp/node_modules/@agentclientprotocol/sdk ] || (cd tests/acp && npm ci --silent --no-audit --no-fund)
dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet >/dev/null

source bench/scratch-and-api.sh css-acp-bench
mkdir -p "$scratch/work" "$scratch/config-sidecar" "$scratch/config-anchor" "$scratch/store" "$scratch/home"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version)"
common="\"ANTHROPIC_BASE_URL\":\"http://127.0.0.1:$port\",\"ANTHROPIC_API_KEY\":\"sk-bench\",\"DISABLE_TELEMETRY\":\"1\",\"DISABLE_AUTOUPDATER\":\"1\",\"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC\":\"1\",\"HOME\":\"$scratch/home\""
AGENTS="[
  {\"name\":\"sidecar acp\",\"command\":[\"dotnet\",\"$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll\",\"acp\",\"--store\",\"$scratch/store\",\"--claude-path\",\"$claude\",\"--log-level\",\"none\"],
   \"env\":{$common,\"CLAUDE_CONFIG_DIR\":\"$scratch/config-sidecar\"}},
  {\"name\":\"claude-agent-acp 0.23.1\",\"command\":[\"node\",\"$anchor\"],
   \"env\":{$common,\"CLAUDE_CONFIG_DIR\":\"$scratch/config-anchor\",\"IS_SANDBOX\":\"1\",\"CLAUDE_CODE_EXECUTABLE\":\"$claude\"}}
]" WORK="$scratch/work" ONLY="${ONLY:-}" PAUSE_MS="${PAUSE_MS:-0}" node bench/acp/anchor.mjs
