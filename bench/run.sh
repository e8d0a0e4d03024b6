#!/usr/bin/env bash
# The end-to-end benchmark: builds the server (Release JIT, and the NativeAOT dotnet tool), makes a corpus of
# 2,000 transcripts with the real CLI against the fake Messages API on 127.0.0.1 in a temp folder, runs
# bench/e2e/bench.mjs (listing vs the official SDK, turn overhead, start-up, memory), prints every ratio; then grows the
# corpus to COUNT_LARGE transcripts (copies with new ids) and runs the listing part again; cleans up.
# Needs what ./test.sh needs (the CLI in .tools/claude and the SDK oracle's node_modules, installed there when missing).
# RUNS (default 10), TURNS (default 6), COUNT (default 2000) and COUNT_LARGE (default 10000; 0 skips it) tune it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
source bench/install-tool.sh

source bench/scratch-and-api.sh css-bench

echo "making the corpus (${COUNT:-2000} transcripts)..."
node bench/e2e/make-corpus.mjs "$claude" "http://127.0.0.1:$port" "$scratch/config" "$scratch/work" "${COUNT:-2000}" 6 > "$scratch/corpus.json"
node -e 'const c=require(process.argv[1]);console.log(`corpus: ${c.files} transcripts, ${(c.bytes/1048576).toFixed(0)} MiB`)' "$scratch/corpus.json"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version)"

export SIDECAR="[\"$tool\"]" \
  SIDECAR_PLAIN="[\"dotnet\",\"$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll\"]" \
  CLAUDE="$claude" API="http://127.0.0.1:$port" CONFIG="$scratch/config" WORK="$scratch/work" SCRATCH="$scratch" \
  SDK_MODULE_DIR="$sdk_dir/node_modules"
RESULT="$scratch/listing-small.json" node bench/e2e/bench.mjs

count_large="${COUNT_LARGE:-10000}"
if [ "$count_large" -gt 0 ]; then
  echo
  echo "growing the corpus to $count_large transcripts (copies of the CLI's with new session ids, times over 30 days)..."
  node bench/e2e/grow-corpus.mjs "$(node -p 'require(process.argv[1]).projectDir' "$scratch/corpus.json")" "$count_large" > "$scratch/corpus-large.json"
  node -e 'const c=require(process.argv[1]);console.log(`corpus: ${c.files} transcripts, ${(c.bytes/1048576).toFixed(0)} MiB`)' "$scratch/corpus-large.json"
  LISTING_ONLY=1 LARGE=1 SMALL_RESULT="$scratch/listing-small.json" node bench/e2e/bench.mjs
fi
