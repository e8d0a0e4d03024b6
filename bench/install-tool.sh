# Sourced by the benchmark scripts (from the repository's root): the CLI in .tools/claude and the SDK oracle's
# node_modules (installed there when missing), then the server built and installed as users install it (README): the
# dotnet tool, packed as the pointer package plus this machine's NativeAOT package and installed into bench/bin/tool
# (its own package cache, so a rebuild at the same version is not served stale). Sets $claude, $sdk_dir, $tool.
claude="$repo/.tools/claude/node_modules/.bin/claude"
sdk_dir="$repo/tests/ClaudeSessionSidecar.Tests/TestData/sdk-interop"
[ -x "$claude" ] || npm install --silent --prefix "$repo/.tools/claude" "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version")"
[ -d "$sdk_dir/node_modules/@anthropic-ai/claude-agent-sdk" ] || npm install --silent --prefix "$sdk_dir"

echo "building (Release JIT, and the NativeAOT dotnet tool installed as the README does)..."
dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet >/dev/null
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
bin="$repo/bench/bin"
rm -rf "$bin/nupkg" "$bin/tool" "$bin/tool-packages"
dotnet pack src/ClaudeSessionSidecar -c Release -o "$bin/nupkg" -nologo -v quiet >/dev/null
dotnet pack src/ClaudeSessionSidecar -c Release -r "$rid" -o "$bin/nupkg" -nologo -v quiet >/dev/null
NUGET_PACKAGES="$bin/tool-packages" dotnet tool install --tool-path "$bin/tool" --add-source "$bin/nupkg" ClaudeSessionSidecar >/dev/null
tool="$bin/tool/claude-session-sidecar"
echo "installed: $tool -> $(readlink -f "$tool") ($(du -m "$(readlink -f "$tool")" | cut -f1) MB)"
