#!/usr/bin/env bash
# Runs the Neovim plugin's specs in real headless Neovim against the real server, the real Claude Code CLI and
# the fake Messages API. Idempotent; prints `N passed, N failed` last; exits non-zero on any failure.
# Env: SIDECAR_DLL (the server dll; built when missing), SIDECAR_SERVER (a native server executable, e.g. the
# NativeAOT build, used instead of the dll), CLAUDE_SIDECAR_CLAUDE_PATH (the CLI; installed into .tools/ when missing
# and not given), NVIM (the nvim binary, default `nvim`).
set -uo pipefail

PLUGIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$PLUGIN_DIR/../.." && pwd)
NVIM=${NVIM:-nvim}

fail() {
  echo "run.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

if ! command -v "$NVIM" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing neovim with apt" >&2
    { timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq neovim; } >&2 \
      || fail "could not install neovim"
  else
    fail "nvim not found (install Neovim 0.7 or later)"
  fi
fi

export SIDECAR_DLL=${SIDECAR_DLL:-$ROOT/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll}
if [ ! -f "$SIDECAR_DLL" ]; then
  echo "run.sh: building the server" >&2
  timeout 600 dotnet build "$ROOT/src/ClaudeSessionSidecar" -c Release -nologo -v quiet >&2 || fail "the server build failed"
  [ -f "$SIDECAR_DLL" ] || fail "no server dll at $SIDECAR_DLL after the build"
fi

if [ -z "${CLAUDE_SIDECAR_CLAUDE_PATH:-}" ]; then
  CLAUDE_SIDECAR_CLAUDE_PATH=$ROOT/.tools/claude/node_modules/.bin/claude
  if [ ! -x "$CLAUDE_SIDECAR_CLAUDE_PATH" ]; then
    echo "run.sh: installing the Claude Code CLI into .tools/claude" >&2
    timeout 600 npm install --prefix "$ROOT/.tools/claude" --no-audit --no-fund "@anthropic-ai/claude-code@$(cat "$ROOT/.claude-cli-version")" >&2 \
      || fail "could not install the Claude Code CLI"
  fi
fi
export CLAUDE_SIDECAR_CLAUDE_PATH
[ -x "$CLAUDE_SIDECAR_CLAUDE_PATH" ] || fail "the Claude Code CLI is not executable: $CLAUDE_SIDECAR_CLAUDE_PATH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/claude-sessions-nvim.XXXXXX")
API_PID=
NVIM_PID=
cleanup() {
  [ -n "$NVIM_PID" ] && kill "$NVIM_PID" 2>/dev/null
  [ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node "$ROOT/tests/fake-messages-api/server.js" >"$WORK/api.out" 2>&1 &
API_PID=$!
PORT=
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/api.out")
  [ -n "$PORT" ] && break
  kill -0 "$API_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || fail "the fake Messages API did not start: $(cat "$WORK/api.out")"

mkdir -p "$WORK"/{home,config,data,cache,state,runtime,claude-config,store,workspace}
chmod 700 "$WORK/runtime"
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data XDG_CACHE_HOME=$WORK/cache \
  XDG_STATE_HOME=$WORK/state XDG_RUNTIME_DIR=$WORK/runtime
export ANTHROPIC_BASE_URL=http://127.0.0.1:$PORT ANTHROPIC_API_KEY=x DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CONFIG_DIR=$WORK/claude-config
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export SPEC_CLAUDE_CONFIG_DIR=$WORK/claude-config SPEC_STORE=$WORK/store SPEC_WORKSPACE=$WORK/workspace \
  SPEC_LOG=$WORK/server.log

echo "run.sh: $("$NVIM" --version | head -n 1), server ${SIDECAR_SERVER:-$SIDECAR_DLL}, CLI $CLAUDE_SIDECAR_CLAUDE_PATH" >&2
cd "$WORK/workspace" || fail "no workspace"
timeout -k 10 300 "$NVIM" --headless -u NONE -i NONE -n --cmd "set rtp^=$PLUGIN_DIR" \
  -c "luafile $PLUGIN_DIR/test/specs.lua" </dev/null >"$WORK/specs.out" 2>&1 &
NVIM_PID=$!
wait "$NVIM_PID"
CODE=$?
NVIM_PID=
SUMMARY=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/specs.out" | tail -n 1)
grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$WORK/specs.out"
if [ "$CODE" -ne 0 ] || [ -z "$SUMMARY" ] || ! [[ "$SUMMARY" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
  echo "--- server log (last 40 lines) ---"
  tail -n 40 "$WORK/server.log" 2>/dev/null
  [ "$CODE" -eq 124 ] && echo "run.sh: nvim timed out"
  if [ -z "$SUMMARY" ]; then
    SUMMARY="0 passed, 1 failed"
  elif [[ "$SUMMARY" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    SUMMARY="${SUMMARY%%,*}, 1 failed" # nvim failed although every spec passed
  fi
  echo "$SUMMARY"
  exit 1
fi
echo "$SUMMARY"
