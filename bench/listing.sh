#!/usr/bin/env bash
# Issue 23's listing ratios (bench/e2e/listing.mjs): the first whole listing of 2,000 transcripts against the official
# SDK's, five runs; the first limit-50 listing of the corpus grown to 10,000; and 2,000 of the server's own sessions
# (a few made through the real CLI, forked until there are 2,000): their first whole listing against the issue's
# baseline and a warm limit-50 listing against the SDK's. Builds and installs the server as users do
# (bench/install-tool.sh, the NativeAOT dotnet tool), makes the corpus with the real CLI against the fake Messages API
# (make-corpus.mjs) in a temp folder, cleans up.
# RUNS (warm runs, default 10), COLD_RUNS (default 5), COUNT (default 2000), COUNT_LARGE (default 10000; 0 skips
# part 2), OWN (default 2000; 0 skips part 3) and BASELINE_MS (default 1700) tune it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
source bench/install-tool.sh

source bench/scratch-and-api.sh css-listing

echo "making the corpus (${COUNT:-2000} transcripts)..."
node bench/e2e/make-corpus.mjs "$claude" "http://127.0.0.1:$port" "$scratch/config" "$scratch/work" "${COUNT:-2000}" 6 > "$scratch/corpus.json"
node -e 'const c=require(process.argv[1]);console.log(`corpus: ${c.files} transcripts, ${(c.bytes/1048576).toFixed(0)} MiB`)' "$scratch/corpus.json"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "code: $(git log -1 --format='%h %s' | cut -c1-100)"

export SIDECAR="[\"$tool\"]" CLAUDE="$claude" API="http://127.0.0.1:$port" CONFIG="$scratch/config" WORK="$scratch/work" \
  OWNDIR="$scratch/own" SCRATCH="$scratch" SDK_MODULE_DIR="$sdk_dir/node_modules" \
  COUNT_LARGE="${COUNT_LARGE:-10000}" OWN="${OWN:-2000}"
node bench/e2e/listing.mjs
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
