// Shared by both test groups: where the server and the CLI are, the fake Messages API, temp folders.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(extensionDir, '..', '..');
export const sidecarDll =
  process.env.SIDECAR_DLL || path.join(repoRoot, 'src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll');
/** What the extension's `claudeSessions.server.path` names: SIDECAR_SERVER (the NativeAOT executable test.sh runs the suite on), else the dll. */
export const serverPath = process.env.SIDECAR_SERVER || sidecarDll;
/** The server as a command line, for `call` mode. */
export const serverCommand = process.env.SIDECAR_SERVER ? [process.env.SIDECAR_SERVER] : ['dotnet', sidecarDll];
export const claudePath =
  process.env.CLAUDE_SIDECAR_CLAUDE_PATH || path.join(repoRoot, '.tools/claude/node_modules/.bin/claude');

/** A fresh temp folder (removed at process exit unless KEEP_TEMP is set). */
export function tempDir(prefix) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `claude-sessions-${prefix}-`)));
  if (!process.env.KEEP_TEMP) process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The fake Messages API with tool calls (tests/fake-messages-api/server.js): the one run.sh started (FAKE_API_PORT), else one of our own. */
export async function fakeApi() {
  if (process.env.FAKE_API_PORT) return { port: Number(process.env.FAKE_API_PORT), stop() {} };
  const child = spawn(process.execPath, [path.join(extensionDir, '..', '..', 'tests', 'fake-messages-api', 'server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`fake API exited ${code}`)));
  });
  return { port, stop: () => child.kill() };
}

/** The environment the server (and through it the CLI) runs with: fake API, private config dir. */
export function sidecarEnv(port, configDir, extra = {}) {
  return {
    ...process.env,
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
    ANTHROPIC_API_KEY: 'x',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CONFIG_DIR: configDir,
    ...extra,
  };
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
