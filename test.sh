#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine, installing what it lacks first:
# the Claude Code CLI the tests drive (from npm, into .tools/). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

CLAUDE_VERSION=$(cat .claude-cli-version) # the one place the CLI version is pinned
CLAUDE_PREFIX=.tools/claude
CLAUDE_BIN=$CLAUDE_PREFIX/node_modules/@anthropic-ai/claude-code/bin/claude.exe
CLAUDE_PACKAGE=$CLAUDE_PREFIX/node_modules/@anthropic-ai/claude-code/package.json
if [ ! -x "$CLAUDE_BIN" ] || [ "$(stat -c %s "$CLAUDE_BIN")" -lt 1000000 ] \
   || ! grep -q "\"version\": *\"$CLAUDE_VERSION\"" "$CLAUDE_PACKAGE" 2>/dev/null; then
  echo "Installing @anthropic-ai/claude-code@$CLAUDE_VERSION into $CLAUDE_PREFIX ..."
  npm install --prefix "$CLAUDE_PREFIX" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$CLAUDE_VERSION"
fi

# The official TypeScript Agent SDK, the interoperability oracle of the C# suite.
SDK_ORACLE=tests/ClaudeSessionSidecar.Tests/TestData/sdk-interop
if [ ! -d "$SDK_ORACLE/node_modules/@anthropic-ai/claude-agent-sdk" ] || [ ! -d "$SDK_ORACLE/node_modules/pg" ] \
   || [ "$SDK_ORACLE/package-lock.json" -nt "$SDK_ORACLE/node_modules/.package-lock.json" ]; then
  echo "Installing the Agent SDK oracle into $SDK_ORACLE ..."
  npm install --prefix "$SDK_ORACLE" --no-audit --no-fund --loglevel=error
fi

# PostgreSQL 15 for the PostgreSQL store's tests (each starts a throw-away server in a temp folder): from apt when
# missing and this runs as root; otherwise those tests fail and say what to install.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing postgresql with apt ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  else
    echo "PostgreSQL is missing (apt-get install postgresql): the PostgreSQL store's tests will fail"
  fi
fi

results=artifacts/test-results
rm -rf "$results"
dotnet build ClaudeSessionSidecar.sln -c Release -nologo -v quiet
status=0
dotnet test ClaudeSessionSidecar.sln -c Release --no-build -nologo \
  --logger "trx;LogFileName=server.trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?

# The same server as users install it (NativeAOT, as `dotnet publish` and the tool package build it): the tests
# that launch the server process run again against the native executable. That is the process-level namespaces
# (EndToEnd, Reliability, Protocol, and the PostgreSQL store's multi-machine tests); the engine's in-process tests (Discovery, PathRule, Resumability, Sessions,
# Store) never start the server, so a second run of them would test nothing new.
aot="$PWD/artifacts/aot"
if dotnet publish src/ClaudeSessionSidecar -c Release -o "$aot" -nologo -v quiet; then
  SIDECAR_SERVER="$aot/ClaudeSessionSidecar" dotnet test tests/ClaudeSessionSidecar.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~.EndToEnd.|FullyQualifiedName~.Reliability.|FullyQualifiedName~.Protocol.|FullyQualifiedName~.Postgres.MultiMachine" \
    --logger "trx;LogFileName=server-aot.trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?
else
  echo "The NativeAOT publish failed"
  status=1
fi

# One summary line for people and CI, from the runners' own counts.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
# A skipped test hides whatever it did not check: it counts as a failure.
if [ "$skipped" -gt 0 ]; then
  echo
  echo "SKIPPED (each counts as a failure): $skipped C# test(s)"
  grep -ho '<UnitTestResult [^>]*outcome="NotExecuted"' "$results"/*.trx | sed -n 's/.* testName="\([^"]*\)".*/  \1/p'
  failed=$((failed + skipped))
fi
# The editor clients' suites, each against the real server built above; each ends with "N passed, N failed",
# a skipped test counted as failed.
export SIDECAR_DLL="$PWD/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll"
export CLAUDE_SIDECAR_CLAUDE_PATH="$PWD/$CLAUDE_BIN"
# The editors' clients run against the NativeAOT build ("aot:", what users install; the C# suite covers the JIT build);
# the ACP face runs against both.
# The last suite is the Agent SDK SessionStore adapter over the PostgreSQL store's tables (its own PostgreSQL).
for suite in aot:editors/nvim/test/run.sh aot:editors/vscode/test/run.sh tests/acp/run.sh aot:tests/acp/run.sh "$SDK_ORACLE/run-store-tests.sh"; do
  server=()
  if [ "${suite#aot:}" != "$suite" ]; then
    suite=${suite#aot:}
    server=(env SIDECAR_SERVER="$aot/ClaudeSessionSidecar")
  fi
  [ -x "$suite" ] || continue
  echo
  echo "== $suite ${server[*]:1}"
  log=$(mktemp)
  suite_status=0
  "${server[@]}" "$suite" 2>&1 | tee "$log" || suite_status=$?
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$summary" ]; then
    echo "$suite printed no summary"
    failed=$((failed + 1))
    continue
  fi
  passed=$((passed + $(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
  [ "$suite_status" -eq 0 ] || status=1
done

echo
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
