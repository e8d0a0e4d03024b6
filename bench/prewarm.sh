#!/usr/bin/env bash
# The prepared-first-turn benchmark (bench/e2e/prewarm.mjs): session/prepare then session/create, and a cold
# session/create, against the official TypeScript SDK's startup() then query(), on the server as the README installs it
# (the NativeAOT dotnet tool). Real CLI, fake Messages API on 127.0.0.1, everything in a temp folder. RUNS (default 7).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
source bench/install-tool.sh
source bench/scratch-and-api.sh css-prewarm
mkdir -p "$scratch/config"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version)"
SIDECAR="[\"$tool\"]" CLAUDE="$claude" API="http://127.0.0.1:$port" CONFIG="$scratch/config" SCRATCH="$scratch" \
  SDK_MODULE_DIR="$sdk_dir/node_modules" node bench/e2e/prewarm.mjs
