#!/usr/bin/env bash
# Continue the newest resumable session of a folder, or start one: a bash + jq client of the one-shot mode.
#   examples/continue-latest.sh <folder> <prompt>
# Prints the reply. Env: SIDECAR (the server command; default: the dotnet tool, else the Release build here).
set -euo pipefail

folder=$(cd "${1:?usage: continue-latest.sh <folder> <prompt>}" && pwd)
prompt=${2:?usage: continue-latest.sh <folder> <prompt>}

if [ -z "${SIDECAR:-}" ]; then
  if command -v claude-session-sidecar >/dev/null; then
    SIDECAR=claude-session-sidecar
  else
    SIDECAR="dotnet $(dirname "$0")/../src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll"
  fi
fi
call() { $SIDECAR call "$@"; }

# jq builds the params, so any folder name or prompt is quoted correctly.
latest=$(call session/listResumable "$(jq -n --arg dir "$folder" '{workingDirectory: $dir, limit: 1, includeExternal: true}')" \
  | jq -r '.sessions[0].sessionId // empty')

if [ -n "$latest" ]; then
  echo "continuing $latest" >&2
  answer=$(call session/resume "$(jq -n --arg id "$latest" --arg prompt "$prompt" '{sessionId: $id, prompt: $prompt}')")
else
  echo "no resumable session in $folder: starting one" >&2
  answer=$(call session/create "$(jq -n --arg dir "$folder" --arg prompt "$prompt" '{workingDirectory: $dir, prompt: $prompt}')")
fi

echo "$answer" | jq -r '"session \(.sessionId)", .result.text'
