#!/usr/bin/env bash
# The search benchmark (issue 20, section 5): session/search against ripgrep on the listing benchmark's corpus.
# Installs Debian's ripgrep when rg is missing; builds and installs the server as users do (bench/install-tool.sh, the
# NativeAOT dotnet tool); makes the corpus with the real CLI against the fake Messages API (make-corpus.mjs, 2,000)
# and grows it to COUNT (default 10000) with grow-corpus.mjs, planting two distinctive words in some copies' prompts
# (PLANT=1); runs bench/e2e/search.mjs (ripgrep vs the first search on a fresh store and later searches, same
# sessions), then the listing check of issue 14 at that size (bench.mjs: warm limit 50 >= 10x the SDK); cleans up.
# RUNS (default 5) tunes the number of runs of each measurement.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if ! command -v rg >/dev/null; then
  echo "installing ripgrep (Debian's)..."
  sudo_="$( [ "$(id -u)" = 0 ] || echo sudo )"
  $sudo_ apt-get install -y -q ripgrep >/dev/null 2>&1 || { $sudo_ apt-get update -q >/dev/null && $sudo_ apt-get install -y -q ripgrep >/dev/null; }
fi
echo "ripgrep: $(rg --version | head -n 1)"
source bench/install-tool.sh
source bench/scratch-and-api.sh css-search

count="${COUNT:-10000}"
echo "making the corpus (2000 transcripts with the real CLI, grown to $count)..."
node bench/e2e/make-corpus.mjs "$claude" "http://127.0.0.1:$port" "$scratch/config" "$scratch/work" 2000 6 > "$scratch/corpus.json"
PLANT=1 node bench/e2e/grow-corpus.mjs "$(node -p 'require(process.argv[1]).projectDir' "$scratch/corpus.json")" "$count" > "$scratch/corpus-large.json"
node -e 'const c=require(process.argv[1]);console.log(`corpus: ${c.files} transcripts, ${(c.bytes/1048576).toFixed(0)} MiB`)' "$scratch/corpus-large.json"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"

export SIDECAR="[\"$tool\"]" CLAUDE="$claude" API="http://127.0.0.1:$port" CONFIG="$scratch/config" WORK="$scratch/work" SCRATCH="$scratch" \
  SDK_MODULE_DIR="$sdk_dir/node_modules" RUNS="${RUNS:-5}"
node bench/e2e/search.mjs
echo
echo "the listing check at $count (issue 14's last round: warm limit 50 >= 10x the SDK)..."
LISTING_ONLY=1 LARGE=1 node bench/e2e/bench.mjs
