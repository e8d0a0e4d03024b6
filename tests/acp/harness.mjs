// The world of the ACP suite: the fake Messages API, a throw-away CLI config folder, store, HOME and workspace, and
// the real server started with `acp` over real stdio, driven by the official ACP client library.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as acp from '@agentclientprotocol/sdk';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
const dll = process.env.SIDECAR_DLL || path.join(repo, 'src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll');
// SIDECAR_SERVER: a published executable (the NativeAOT build users install) instead of `dotnet <dll>`.
const server = process.env.SIDECAR_SERVER ? [process.env.SIDECAR_SERVER] : ['dotnet', dll];
const claude = process.env.CLAUDE_SIDECAR_CLAUDE_PATH || path.join(repo, '.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe');
export const claudePath = claude;

/** Resolves when `predicate()` is truthy; rejects with `what` after `ms`. */
export async function waitFor(predicate, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export class World {
  async start() {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'css-acp-')));
    for (const name of ['claude-config', 'store', 'home', 'workspace', 'logs']) fs.mkdirSync(path.join(this.root, name));
    this.configDirectory = path.join(this.root, 'claude-config');
    this.store = path.join(this.root, 'store');
    this.home = path.join(this.root, 'home');
    this.workspace = path.join(this.root, 'workspace');
    this.api = spawn(process.execPath, [path.join(repo, 'tests/fake-messages-api/server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    this.api.stdout.on('data', (chunk) => { output += chunk; });
    this.apiPort = await waitFor(() => /^listening (\d+)$/m.exec(output)?.[1], 'the fake Messages API');
    this.agents = 0;
  }

  async stop() {
    this.api?.kill();
    if (this.root && !process.env.ACP_KEEP_TEMP) fs.rmSync(this.root, { recursive: true, force: true });
  }

  environment() {
    return {
      ...process.env,
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${this.apiPort}`,
      ANTHROPIC_API_KEY: 'sk-test-fake',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CONFIG_DIR: this.configDirectory,
      HOME: this.home,
      XDG_DATA_HOME: path.join(this.home, '.local', 'share'),
      XDG_CONFIG_HOME: path.join(this.home, '.config'),
      CLAUDE_SIDECAR_CLAUDE_PATH: '',
      CLAUDE_HOME: '',
    };
  }

  /**
   * A new server process, `dotnet <dll> acp ...`, its log in logs/agent-N.log (printed when a test fails).
   * `changes` overrides the environment; a null value removes the variable.
   */
  spawnAgent(protocol = ['acp'], changes = {}) {
    const log = path.join(this.root, 'logs', `agent-${++this.agents}.log`);
    const [command, ...args] = agentCommand(this, protocol, log);
    const env = { ...this.environment(), ...changes };
    for (const [name, value] of Object.entries(changes)) if (value === null) delete env[name];
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    child.logFile = log;
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    return child;
  }

  /**
   * Runs `op(ctx, client)` on a fresh server over the official client library. `client.updates` collects every
   * session/update; `client.permission` answers session/request_permission (default: cancelled) and
   * `client.permissionRequests` records them. The server must exit by itself once the connection closes.
   * `environment`: changes to the server's environment, as in spawnAgent; `clientCapabilities`: what initialize declares.
   */
  async withAgent(op, environment = {}, clientCapabilities = {}) {
    const child = this.spawnAgent(['acp'], environment);
    const client = {
      updates: [],
      permissionRequests: [],
      permission: () => ({ outcome: { outcome: 'cancelled' } }),
      updatesOf(sessionId, kind) {
        return this.updates.filter((n) => n.sessionId === sessionId && (!kind || n.update.sessionUpdate === kind)).map((n) => n.update);
      },
    };
    const app = acp.client({ name: 'css-acp-tests' })
      .onNotification(acp.methods.client.session.update, (ctx) => { client.updates.push(ctx.params); })
      .onRequest(acp.methods.client.session.requestPermission, async (ctx) => {
        client.permissionRequests.push(ctx.params);
        return client.permission(ctx.params);
      });
    const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
    // The client library drops a message that does not match the ACP schema and only logs it: such a log fails the test.
    const schemaErrors = [];
    const consoleError = console.error;
    console.error = (...args) => {
      if (/^(Error handling|Invalid message|Got response to unknown)/.test(String(args[0]))) schemaErrors.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      consoleError(...args);
    };
    try {
      const result = await app.connectWith(stream, async (ctx) => {
        const init = await ctx.request(acp.methods.agent.initialize, { protocolVersion: acp.PROTOCOL_VERSION, clientCapabilities });
        return op(ctx, client, init);
      });
      if (schemaErrors.length) throw new Error(`the client library rejected messages of the server:\n${schemaErrors.join('\n')}`);
      return result;
    } catch (error) {
      error.message += `\n--- server log ${child.logFile}:\n${readTail(child.logFile)}`;
      throw error;
    } finally {
      console.error = consoleError;
      child.stdin.end();
      const exit = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve(null), 20000))]);
      if (exit === null) {
        child.kill('SIGKILL');
        throw new Error('the server did not exit within 20 s of its input closing');
      }
    }
  }

  /**
   * A server spoken to in raw lines, for what the client library would never send: `send(message)` writes one line
   * (an object as JSON, a string as it is), `next(predicate)` resolves with the first message not yet taken that
   * matches (any message by default), `close()` ends its input and resolves with its exit.
   */
  rawAgent(protocol = ['acp']) {
    const child = this.spawnAgent(protocol);
    const messages = [];
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        messages.push(JSON.parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 1);
      }
    });
    return {
      child,
      send: (message) => child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
      next: async (predicate = () => true, what = 'a message') => {
        const index = await waitFor(() => { const i = messages.findIndex(predicate); return i >= 0 ? i + 1 : 0; }, what, 30000);
        return messages.splice(index - 1, 1)[0];
      },
      close: () => { child.stdin.end(); return child.exited; },
    };
  }

  /** The session's transcript under the CLI's config folder, or null. */
  transcriptOf(sessionId) {
    const projects = path.join(this.configDirectory, 'projects');
    if (!fs.existsSync(projects)) return null;
    for (const folder of fs.readdirSync(projects)) {
      const candidate = path.join(projects, folder, `${sessionId}.jsonl`);
      if (fs.existsSync(candidate)) return candidate;
    }
    return null;
  }

  newFolder(name) {
    const folder = path.join(this.workspace, name);
    fs.mkdirSync(folder, { recursive: true });
    return folder;
  }
}

/** The server's command line in a world: `dotnet <dll> <protocol...> --store ... --claude-path ...` (or SIDECAR_SERVER's). */
export function agentCommand(world, protocol, log) {
  const logging = log ? ['--log-file', log, '--log-level', 'debug'] : [];
  return [...server, ...protocol, '--store', world.store, '--claude-path', claude, ...logging];
}

function readTail(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-60).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The text of the chunks of one kind, joined. */
export function textOf(updates) {
  return updates.map((u) => u.content?.text ?? '').join('');
}

export { acp };
