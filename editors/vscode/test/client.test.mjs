// The client module (out/client.js) against the real built server, the real Claude Code CLI and the fake
// Messages API. No VS Code here: the client module must not need it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { claudePath, extensionDir, fakeApi, serverPath, sidecarEnv, tempDir, withTimeout } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { SidecarClient, resolveServerCommand } = require(path.join(extensionDir, 'out/client.js'));
const { ErrorCodes, assistantText } = require(path.join(extensionDir, 'out/protocol.js'));

const TURN_MS = 90_000;

describe('client module against the real server', { timeout: 300_000 }, () => {
  let api;
  let client;
  let workspace;
  let store;
  const log = [];
  const exits = [];
  let sessionId;
  /** What the next session/requestPermission is answered with (the client's onRequestPermission calls it). */
  let answerPermission = async () => ({ allow: false, message: 'no handler set' });
  const permissionRequests = [];

  before(async () => {
    assert.ok(fs.existsSync(serverPath), `server not built: ${serverPath}`);
    assert.ok(fs.existsSync(claudePath), `Claude Code CLI missing: ${claudePath}`);
    api = await fakeApi();
    const root = tempDir('client');
    workspace = path.join(root, 'my project');
    store = path.join(root, 'store');
    fs.mkdirSync(workspace);
    const configDir = path.join(root, 'claude-config');
    fs.mkdirSync(configDir);
    client = new SidecarClient({
      server: () =>
        resolveServerCommand({
          serverPath,
          claudePath,
          serverArgs: ['--store', store, '--log-level', 'info'],
          baseEnv: sidecarEnv(api.port, configDir),
        }),
      logger: { info: (m) => log.push(m), error: (m) => log.push(`ERROR ${m}`), trace: (m) => log.push(m) },
      clientInfo: { name: 'client-test' },
      onRequestPermission: async (params, signal) => {
        permissionRequests.push(params);
        return answerPermission(params, signal);
      },
    });
    client.onDidExit((exit) => exits.push(exit));
  });

  after(async () => {
    await client?.stop();
    api?.stop();
    if (process.env.SHOW_LOG) console.log(log.join('\n'));
  });

  test('initialize reports the server, the CLI and the methods', async () => {
    const init = await withTimeout(client.start(), 30_000, 'initialize');
    assert.equal(init.serverInfo.name, 'ClaudeSessionSidecar');
    assert.equal(init.claude.path, claudePath);
    assert.match(init.claude.version ?? '', /^\d+\.\d+\.\d+/);
    for (const m of ['initialize', 'shutdown', 'session/create', 'session/resume', 'session/listResumable', 'session/status']) {
      assert.ok(client.supports(m), `capabilities lack ${m}`);
    }
    assert.equal(client.supports('session/nope'), false);
    // start() again is the same server
    const pid = client.pid;
    await client.start();
    assert.equal(client.pid, pid);
  });

  test('create streams session/message notifications before its answer', async () => {
    const messages = [];
    const all = [];
    const off = client.onMessage((p) => all.push(p));
    const result = await withTimeout(
      client.create({ workingDirectory: workspace, prompt: 'Say hello to the client test', title: 'Client test' }, { onMessage: (m, id) => messages.push({ m, id }) }),
      TURN_MS,
      'session/create',
    );
    off();
    sessionId = result.sessionId;
    assert.match(sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(result.title, 'Client test');
    assert.equal(result.workingDirectory, workspace);
    assert.equal(result.status.resumable, true, JSON.stringify(result.status));
    assert.equal(result.result.isError, false, JSON.stringify(result.result));
    assert.equal(result.result.text, 'reply to: Say hello to the client test (28 chars)');
    assert.ok(messages.length >= 3, `only ${messages.length} messages`);
    assert.equal(messages[0].m.type, 'system');
    assert.equal(messages[0].m.subtype, 'init');
    assert.ok(messages.every((x) => x.id === sessionId));
    const text = messages.flatMap((x) => assistantText(x.m)).join('');
    assert.equal(text, 'reply to: Say hello to the client test (28 chars)');
    assert.equal(messages.at(-1).m.type, 'result');
    assert.equal(all.length, messages.length);
  });

  test('the folder lists the new session (listResumable and session/list)', async () => {
    const { sessions } = await client.listResumable({ workingDirectory: workspace, includeExternal: true });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].sessionId, sessionId);
    assert.equal(sessions[0].title, 'Client test');
    assert.equal(sessions[0].firstPrompt, 'Say hello to the client test');
    assert.ok(sessions[0].fileSize > 0);
    assert.ok(client.supports('session/list'), 'the server does not advertise session/list');
    const list = await client.list({ workingDirectory: workspace });
    assert.ok(list.sessions.some((s) => s.sessionId === sessionId && s.status.resumable));
    const status = await client.status({ sessionId });
    assert.equal(status.resumable, true);
    assert.ok(status.filePath.endsWith(`${sessionId}.jsonl`));
  });

  test('resume runs another turn of the same session', async () => {
    const texts = [];
    const result = await withTimeout(
      client.resume({ sessionId, prompt: 'And now once more' }, { onMessage: (m) => texts.push(...assistantText(m)) }),
      TURN_MS,
      'session/resume',
    );
    assert.equal(result.sessionId, sessionId);
    assert.equal(result.result.text, 'reply to: And now once more (17 chars)');
    assert.deepEqual(texts, ['reply to: And now once more (17 chars)']);
    assert.equal(result.status.resumable, true);
  });

  test('search finds the session by a word of its prompts, with the matching messages', async () => {
    assert.ok(client.supports('session/search'), 'the server does not advertise session/search');
    const { sessions, nextCursor } = await withTimeout(client.search({ query: 'HELLO', workingDirectory: workspace, includeExternal: true, limit: 50 }), 30_000, 'session/search');
    assert.equal(nextCursor, undefined);
    assert.deepEqual(sessions.map((s) => s.sessionId), [sessionId]);
    const [hit] = sessions;
    assert.equal(hit.title, 'Client test');
    assert.equal(hit.status.resumable, true);
    // The prompt, then the fake model's echo of it; each with the uuid session/messages gives.
    assert.deepEqual(hit.matches.map((m) => m.type), ['user', 'assistant'], JSON.stringify(hit.matches));
    assert.equal(hit.matches[0].snippet, 'Say hello to the client test');
    assert.match(hit.matches[1].snippet, /reply to: Say hello to the client test/);
    const { messages } = await client.messages({ sessionId });
    const byUuid = new Map(messages.map((m) => [m.uuid, m]));
    assert.equal(JSON.stringify(byUuid.get(hit.matches[0].uuid)?.message?.content ?? null).includes('Say hello to the client test'), true);
    assert.equal(byUuid.get(hit.matches[1].uuid)?.type, 'assistant');
    // A phrase matches the second turn's prompt only (and its echo).
    const phrase = await client.search({ query: '"once more"', workingDirectory: workspace, includeExternal: true });
    assert.deepEqual(phrase.sessions.map((s) => s.matches[0].snippet), ['And now once more']);
    // No hit is an empty page, not an error; an empty query is invalid params.
    assert.deepEqual((await client.search({ query: 'zebrafish', workingDirectory: workspace })).sessions, []);
    await assert.rejects(client.search({ query: '   ', workingDirectory: workspace }), (error) => error.name === 'SidecarError' && error.code === ErrorCodes.InvalidParams);
  });

  /** Runs a turn whose fake model asks for the Write tool on `file`; the permission is answered with `answer`. */
  async function turnWithWrite(file, answer) {
    answerPermission = async () => answer;
    permissionRequests.length = 0;
    const texts = [];
    const result = await withTimeout(
      client.resume({ sessionId, prompt: `Please write it [write:${file}]` }, { onMessage: (m) => texts.push(...assistantText(m)) }),
      TURN_MS,
      'session/resume with a tool call',
    );
    return { result, texts };
  }

  test('a tool the CLI asks for goes to onRequestPermission; allowed, the file is written', async () => {
    const file = path.join(workspace, 'allowed.txt');
    const { result, texts } = await turnWithWrite(file, { allow: true });
    assert.equal(permissionRequests.length, 1, JSON.stringify(permissionRequests));
    const asked = permissionRequests[0];
    assert.equal(asked.sessionId, sessionId);
    assert.equal(asked.toolName, 'Write');
    assert.equal(asked.input.file_path, file);
    assert.equal(asked.input.content, 'written by the fake model');
    assert.equal(result.result.isError, false, JSON.stringify(result.result));
    assert.ok(fs.existsSync(file), 'the allowed Write did not write the file');
    assert.equal(fs.readFileSync(file, 'utf8'), 'written by the fake model');
    // The fake model answers text once it got the tool's result.
    assert.match(result.result.text ?? '', /^tool said: /);
    assert.ok(texts.some((t) => t.startsWith('tool said: ')), texts.join('\n'));
  });

  test('denied, the file is not written and the model is told why', async () => {
    const file = path.join(workspace, 'denied.txt');
    const { result } = await turnWithWrite(file, { allow: false, message: 'Denied by the client test.' });
    assert.equal(permissionRequests.length, 1, JSON.stringify({ permissionRequests, result }));
    assert.equal(permissionRequests[0].toolName, 'Write');
    assert.equal(permissionRequests[0].input.file_path, file);
    assert.equal(fs.existsSync(file), false, 'the denied Write wrote the file');
    assert.equal(result.result.isError, false, JSON.stringify(result.result));
    assert.match(result.result.text ?? '', /^tool said: .*Denied by the client test\./s);
    assert.equal(result.status.resumable, true);
  });

  test('a permission handler that throws denies', async () => {
    const file = path.join(workspace, 'thrown.txt');
    answerPermission = async () => {
      throw new Error('the prompt crashed');
    };
    permissionRequests.length = 0;
    const result = await withTimeout(client.resume({ sessionId, prompt: `Please write it [write:${file}]` }), TURN_MS, 'resume, handler throws');
    assert.equal(permissionRequests.length, 1);
    assert.equal(fs.existsSync(file), false, 'a throwing handler allowed the Write');
    assert.match(result.result.text ?? '', /^tool said: .*Permission prompt failed/s);
  });

  test('errors carry the code of protocol.ts and data.reason', async () => {
    const unknown = '6b62f9de-7295-48dc-a429-786fb72a0f99';
    const expectError = (call, code, reason) =>
      assert.rejects(call, (error) => {
        assert.equal(error.name, 'SidecarError');
        assert.equal(error.code, code, error.message);
        assert.equal(error.reason, reason);
        return true;
      });
    assert.equal(ErrorCodes.NotResumable, -31001);
    await expectError(client.resume({ sessionId: unknown, prompt: 'hello?' }), ErrorCodes.NotResumable, 'metadata_not_found');
    await expectError(client.rename({ sessionId: unknown, title: 'nobody' }), ErrorCodes.SessionNotFound, 'session_not_found');
    await expectError(client.status({ sessionId: 'not-a-uuid' }), ErrorCodes.InvalidParams, 'invalid_params');
  });

  test('cancelling a slow turn sends $/cancelRequest and ends the turn', async () => {
    const controller = new AbortController();
    let sawInit = false;
    const started = Date.now();
    const turn = client.create(
      { workingDirectory: workspace, prompt: 'Take your time [slow:60000]', title: 'Slow one' },
      {
        signal: controller.signal,
        onMessage: (m) => {
          if (m.type === 'system' && m.subtype === 'init' && !sawInit) {
            sawInit = true;
            setTimeout(() => controller.abort(), 1500);
          }
        },
      },
    );
    let outcome;
    try {
      outcome = { result: await withTimeout(turn, 45_000, 'cancelled create') };
    } catch (error) {
      outcome = { error };
    }
    const elapsed = Date.now() - started;
    assert.ok(sawInit, 'the turn never started');
    // A timeout here means $/cancelRequest was not honoured; an error (e.g. -32800) is not result.cancelled either.
    assert.equal(outcome.error, undefined, `expected result.cancelled, got ${outcome.error?.code ?? ''} ${outcome.error?.message}`);
    assert.equal(outcome.result.result.cancelled, true, JSON.stringify(outcome.result.result));
    assert.ok(elapsed < 40_000, `cancel took ${elapsed} ms`);
  });

  test('prepare starts a spare for the folder; the next create with partial messages streams text deltas', async () => {
    await client.start();
    assert.ok(client.supports('session/prepare'), 'the server does not offer session/prepare');
    const { prepared } = await withTimeout(client.prepare({ workingDirectory: workspace, includePartialMessages: true }), 30_000, 'session/prepare');
    assert.equal(prepared, true);
    const deltas = [];
    const result = await withTimeout(
      client.create(
        { workingDirectory: workspace, prompt: 'Stream to me', includePartialMessages: true },
        {
          onMessage: (m) => {
            if (m.type === 'stream_event' && m.event?.delta?.type === 'text_delta') deltas.push(m.event.delta.text);
          },
        },
      ),
      TURN_MS,
      'prepared create',
    );
    assert.equal(result.result.text, 'reply to: Stream to me (12 chars)');
    assert.equal(deltas.join(''), 'reply to: Stream to me (12 chars)');
  });

  test('a permission question is withdrawn (its signal aborts) when the turn is cancelled', async () => {
    const controller = new AbortController();
    let withdrawn;
    answerPermission = (_params, signal) =>
      new Promise((resolve) => {
        withdrawn = new Promise((r) => signal.addEventListener('abort', () => r(true), { once: true }));
        controller.abort();
        signal.addEventListener('abort', () => resolve({ allow: true }), { once: true }); // too late: must not count
      });
    const file = path.join(workspace, 'withdrawn.txt');
    const result = await withTimeout(
      client.resume({ sessionId, prompt: `Write it [write:${file}]` }, { signal: controller.signal }),
      TURN_MS,
      'cancelled resume with a question open',
    );
    assert.equal(result.result.cancelled, true, JSON.stringify(result.result));
    assert.equal(await withTimeout(withdrawn, 10_000, 'the question was never withdrawn'), true);
    assert.equal(fs.existsSync(file), false, 'the withdrawn Write wrote the file');
  });

  test('a dead server is reported and restarted by the next call', async () => {
    await client.start();
    const pid = client.pid;
    const exited = new Promise((resolve) => {
      const off = client.onDidExit((e) => {
        off();
        resolve(e);
      });
    });
    process.kill(pid, 'SIGKILL');
    const exit = await withTimeout(exited, 10_000, 'exit event');
    assert.equal(exit.expected, false);
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(client.isRunning, false);
    // The next request starts a new server, which still knows the session (the store is on disk).
    const status = await withTimeout(client.status({ sessionId }), 30_000, 'status after restart');
    assert.equal(status.resumable, true);
    assert.notEqual(client.pid, pid);
    const { sessions } = await client.listResumable({ workingDirectory: workspace });
    assert.ok(sessions.some((s) => s.sessionId === sessionId));
  });

  test('a request in flight when the server dies is rejected, not left hanging', async () => {
    await client.start();
    const turn = client.create({ workingDirectory: workspace, prompt: 'Doomed [slow:8000]' });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(client.pid, 'SIGKILL');
    await assert.rejects(withTimeout(turn, 10_000, 'rejected request'), (e) => !String(e.message).startsWith('timed out'));
  });

  test('rename, messages and delete', async () => {
    await client.start();
    for (const m of ['session/rename', 'session/messages', 'session/delete', 'session/list']) {
      assert.ok(client.supports(m), `the server does not advertise ${m}`);
    }
    await client.rename({ sessionId, title: 'Renamed by the client test' });
    const listed = await client.list({ workingDirectory: workspace });
    assert.equal(listed.sessions.find((s) => s.sessionId === sessionId)?.title, 'Renamed by the client test');
    const { messages } = await client.messages({ sessionId });
    const texts = messages.map((m) => JSON.stringify(m.message?.content ?? ''));
    assert.ok(texts.some((x) => x.includes('Say hello to the client test')), texts.join('\n'));
    assert.ok(texts.some((x) => x.includes('reply to: And now once more')), texts.join('\n'));
    await client.delete({ sessionId });
    const after = await client.list({ workingDirectory: workspace });
    assert.ok(!after.sessions.some((s) => s.sessionId === sessionId));
    assert.equal((await client.status({ sessionId })).resumable, false);
  });

  test('stop() sends shutdown + exit and the server exits 0', async () => {
    await client.start();
    const exit = await withTimeout(client.stop(), 30_000, 'stop');
    assert.equal(exit.expected, true);
    assert.equal(exit.code, 0);
    assert.equal(client.isRunning, false);
  });
});
