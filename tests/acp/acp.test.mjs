// The ACP face (`claude-session-sidecar acp`), driven by the official client library @agentclientprotocol/sdk
// against the real server, the real Claude Code CLI and the fake Messages API. Tests run in order and share one world.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it as test } from 'node:test';
import { World, acp, agentCommand, claudePath, repo, textOf, waitFor } from './harness.mjs';

/** Every test gets a minute: a server that hangs fails its test, not the whole run. */
const it = (name, fn) => test(name, { timeout: 60000 }, fn);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const world = new World();
before(() => world.start());
after(() => world.stop());

/** Rejects unless `promise` fails with a JSON-RPC error of `code`; returns that error. */
async function rpcError(promise, code) {
  try {
    await promise;
  } catch (error) {
    assert.equal(error.code, code, `expected error ${code}, got ${error.code}: ${error.message} ${JSON.stringify(error.data)}`);
    return error;
  }
  assert.fail(`expected a JSON-RPC error ${code}, got a result`);
}

const text = (value) => [{ type: 'text', text: value }];
/** What the fake model answers to a prompt. */
const reply = (prompt) => `reply to: ${prompt.slice(0, 60)} (${prompt.length} chars)`;

describe('ACP face', { concurrency: false }, () => {
  const made = {}; // sessions made by earlier tests, by role

  it('initialize negotiates version 1 and says what the agent supports', async () => {
    const init = await world.withAgent((_ctx, _client, init) => init);
    assert.equal(init.protocolVersion, 1);
    const caps = init.agentCapabilities;
    assert.equal(caps.loadSession, true);
    assert.deepEqual(caps.promptCapabilities, { image: true, audio: false, embeddedContext: true });
    assert.deepEqual(caps.mcpCapabilities, { http: true, sse: true });
    for (const name of ['list', 'resume', 'close', 'delete', 'fork', 'title', 'archive', 'status']) assert.deepEqual(caps.sessionCapabilities[name], {}, name);
    assert.equal(init.agentInfo.name, 'ClaudeSessionSidecar');
    assert.match(init.agentInfo.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(init.authMethods, []);
  });

  it('session/new answers an id at once; the first prompt creates that session and streams its chunks', async () => {
    const cwd = world.newFolder('main');
    await world.withAgent(async (ctx, client) => {
      const created = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      assert.match(created.sessionId, UUID);
      assert.equal(created.modes.currentModeId, 'default');
      assert.ok(created.modes.availableModes.some((mode) => mode.id === 'acceptEdits'));
      assert.equal(world.transcriptOf(created.sessionId), null, 'nothing is written before the first prompt');

      const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId: created.sessionId, prompt: text('[think:pondering first] hello acp') });
      assert.equal(answer.stopReason, 'end_turn');
      assert.equal(textOf(client.updatesOf(created.sessionId, 'agent_message_chunk')), reply('[think:pondering first] hello acp'));
      assert.equal(textOf(client.updatesOf(created.sessionId, 'agent_thought_chunk')), 'pondering first');
      assert.ok(world.transcriptOf(created.sessionId), 'the CLI wrote the session under the id session/new gave');
      // An ACP client is a person's editor: its sessions get a name the CLI's `claude --resume` picker lists (not sdk-cli).
      const entrypoints = new Set(fs.readFileSync(world.transcriptOf(created.sessionId), 'utf8').split('\n').filter(Boolean)
        .map((line) => JSON.parse(line).entrypoint).filter(Boolean));
      assert.deepEqual([...entrypoints], ['claude-session-sidecar-acp']);

      // After the turn: the title it got and its last activity, and how full the context is.
      const [info] = client.updatesOf(created.sessionId, 'session_info_update');
      assert.equal(info?.title, '[think:pondering first] hello acp');
      assert.ok(Math.abs(Date.parse(info.updatedAt) - Date.now()) < 120000, `updatedAt ${info.updatedAt}`);
      const usage = client.updatesOf(created.sessionId, 'usage_update');
      assert.equal(usage.length, 1, JSON.stringify(usage));
      assert.ok(usage[0].used > 0 && usage[0].size >= 100000 && usage[0].used < usage[0].size, JSON.stringify(usage[0]));
      made.main = { sessionId: created.sessionId, cwd };

      // Text and resource links are taken (the baseline every agent supports); audio is refused, not dropped.
      client.updates.length = 0;
      const linked = [{ type: 'text', text: 'see' }, { type: 'resource_link', name: 'notes.md', uri: 'file:///tmp/notes.md' }];
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId: created.sessionId, prompt: linked })).stopReason, 'end_turn');
      assert.equal(textOf(client.updatesOf(created.sessionId, 'agent_message_chunk')), reply('see\n[@notes.md](file:///tmp/notes.md)'));
      const audio = [{ type: 'audio', mimeType: 'audio/wav', data: 'UklGRg==' }];
      await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId: created.sessionId, prompt: audio }), -32602);
    });
  });

  it('a refusal answers stopReason refusal, and the CLI\'s own error answers reach the client as message chunks', async () => {
    const cwd = world.newFolder('refusal');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[stop:refusal] refuse this') })).stopReason, 'refusal');
      assert.match(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), /API Error: .*safeguards flagged this message/);

      // A token limit the CLI cannot get past (it retries by itself first) ends with its API error, not max_tokens:
      // CLI 2.1.328's result then says stop_reason "stop_sequence" (measured), so the turn ends end_turn with that text.
      const other = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId: other.sessionId, prompt: text('[stop:max_tokens] too long') })).stopReason, 'end_turn');
      assert.match(textOf(client.updatesOf(other.sessionId, 'agent_message_chunk')), /API Error: .*output token maximum/);
    });
  });

  it('a tool call streams as tool_call then a final tool_call_update; allow_once lets it run', async () => {
    const cwd = world.newFolder('tools');
    const target = path.join(cwd, 'allowed-once.txt');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${target}]`) });
      assert.equal(answer.stopReason, 'end_turn');

      assert.equal(client.permissionRequests.length, 1);
      const asked = client.permissionRequests[0];
      assert.equal(asked.sessionId, sessionId);
      assert.equal(asked.toolCall.kind, 'edit');
      assert.equal(asked.toolCall.rawInput.file_path, target);
      assert.deepEqual(asked.options.map((o) => o.kind).sort(), ['allow_always', 'allow_once', 'reject_always', 'reject_once']);

      const [call] = client.updatesOf(sessionId, 'tool_call');
      assert.equal(call.toolCallId, asked.toolCall.toolCallId);
      assert.equal(call.kind, 'edit');
      assert.equal(call.title, `Write ${target}`);
      assert.deepEqual(call.locations, [{ path: target }]);
      const [done] = client.updatesOf(sessionId, 'tool_call_update');
      assert.equal(done.toolCallId, call.toolCallId);
      assert.equal(done.status, 'completed');
      assert.ok(done.rawOutput, 'rawOutput carries the tool result');
      assert.equal(fs.readFileSync(target, 'utf8'), 'written by the fake model');
      assert.match(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), /^tool said: /);
      made.tools = { sessionId, cwd, target };
    });
  });

  it('reject_once and a cancelled outcome deny the tool; the tool call ends failed', async () => {
    const cwd = world.newFolder('denied');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      for (const [outcome, file] of [[{ outcome: 'selected', optionId: 'reject_once' }, 'rejected.txt'], [{ outcome: 'cancelled' }, 'cancelled.txt']]) {
        client.permission = () => ({ outcome });
        const target = path.join(cwd, file);
        const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${target}]`) });
        assert.equal(answer.stopReason, 'end_turn');
        assert.equal(fs.existsSync(target), false, `${file} must not be written`);
      }
      assert.equal(client.permissionRequests.length, 2, 'a reject_once is asked again next time');
      const finals = client.updatesOf(sessionId, 'tool_call_update');
      assert.deepEqual(finals.map((u) => u.status), ['failed', 'failed']);
    });
  });

  it('session/cancel while a permission question waits: the tool is denied and the prompt answers cancelled', async () => {
    const cwd = world.newFolder('unanswered');
    const target = path.join(cwd, 'never-answered.txt');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      let answer;
      client.permission = () => new Promise((resolve) => { answer = resolve; });
      const running = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${target}]`) });
      await waitFor(() => client.permissionRequests.length === 1, 'the permission question');
      await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
      assert.equal((await running).stopReason, 'cancelled');
      answer({ outcome: { outcome: 'cancelled' } }); // as ACP asks of a client after its cancel
      assert.equal(fs.existsSync(target), false);
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after an unanswered question') })).stopReason, 'end_turn');
    });
  });

  it('allow_always holds for the rest of the session: the next write is not asked', async () => {
    const cwd = world.newFolder('always');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_always' } });
      for (const file of ['first.txt', 'second.txt']) {
        const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${path.join(cwd, file)}]`) });
        assert.equal(answer.stopReason, 'end_turn');
        assert.equal(fs.readFileSync(path.join(cwd, file), 'utf8'), 'written by the fake model');
      }
      assert.equal(client.permissionRequests.length, 1);

      // reject_always likewise: in another session, the second write is refused without a question.
      const other = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_always' } });
      for (const file of ['never-1.txt', 'never-2.txt']) {
        await ctx.request(acp.methods.agent.session.prompt, { sessionId: other.sessionId, prompt: text(`[write:${path.join(cwd, file)}]`) });
        assert.equal(fs.existsSync(path.join(cwd, file)), false);
      }
      assert.equal(client.permissionRequests.length, 2);
    });
  });

  it('edits carry their diff: a Write over a file has its real oldText, a new file null, an Edit its line; load replays the applied diffs', async () => {
    const cwd = world.newFolder('diffs');
    const existing = path.join(cwd, 'existing.txt');
    fs.writeFileSync(existing, 'old line one\nold line two\n');
    const fresh = path.join(cwd, 'fresh.txt');
    const edited = path.join(cwd, 'edited.txt');
    fs.writeFileSync(edited, 'alpha\nbeta\ngamma\n');
    const diff = (file, oldText, newText) => ({ type: 'diff', path: file, oldText, newText });
    const expected = [
      diff(existing, 'old line one\nold line two\n', 'written by the fake model'),
      diff(fresh, null, 'written by the fake model'),
      diff(edited, 'alpha\nbeta\ngamma\n', 'alpha\nBETA\ngamma\n'),
    ];
    let sessionId;
    await world.withAgent(async (ctx, client) => {
      ({ sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] }));
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      for (const prompt of [`[write:${existing}]`, `[write:${fresh}]`, `[edit:${edited}|beta|BETA]`]) {
        assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(prompt) })).stopReason, 'end_turn');
      }

      // What the user is asked to allow is the change itself, against the file as it is.
      assert.deepEqual(client.permissionRequests.map((asked) => asked.toolCall.content), expected.map((d) => [d]));
      assert.deepEqual(client.permissionRequests[2].toolCall.locations, [{ path: edited, line: 2 }]);
      const calls = client.updatesOf(sessionId, 'tool_call');
      assert.deepEqual(calls.map((call) => call.content), expected.map((d) => [d]));
      // And the result shows the change the CLI applied, then its words.
      const done = client.updatesOf(sessionId, 'tool_call_update');
      assert.deepEqual(done.map((update) => update.content[0]), expected);
      assert.ok(done.every((update) => update.content[1].type === 'content'));
      assert.equal(fs.readFileSync(edited, 'utf8'), 'alpha\nBETA\ngamma\n');
    });

    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
      assert.deepEqual(client.updatesOf(sessionId, 'tool_call_update').map((update) => update.content.find((c) => c.type === 'diff')), expected);
    });
  });

  it('a Bash call\'s output is a fenced code block, never Markdown; usage_update carries the session\'s cost, growing turn by turn', async () => {
    const cwd = world.newFolder('bash');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text("[bash:echo '*not* markdown'; echo '```']") });
      const [done] = client.updatesOf(sessionId, 'tool_call_update');
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.match(done.content.at(-1).content.text, /^````\n\*not\* markdown\n```\n````$/);
      await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('and once more') });

      const costs = client.updatesOf(sessionId, 'usage_update').map((update) => update.cost);
      assert.equal(costs.length, 2, JSON.stringify(costs));
      assert.ok(costs.every((cost) => cost.currency === 'USD' && cost.amount > 0), JSON.stringify(costs));
      assert.ok(costs[1].amount > costs[0].amount, `the cost is the session's so far: ${JSON.stringify(costs)}`);
    });
  });

  it('a client that opts in to terminal output (_meta.terminal_output) gets a Bash call as a terminal: its info, then its output, then its exit', async () => {
    const cwd = world.newFolder('terminal');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      client.permission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[bash:echo in a terminal]') })).stopReason, 'end_turn');
      const [call] = client.updatesOf(sessionId, 'tool_call');
      assert.deepEqual(call.content, [{ type: 'terminal', terminalId: call.toolCallId }]);
      assert.deepEqual(call._meta, { terminal_info: { terminal_id: call.toolCallId } });
      const [output, exit] = client.updatesOf(sessionId, 'tool_call_update');
      assert.equal(output._meta.terminal_output.terminal_id, call.toolCallId);
      assert.match(output._meta.terminal_output.data, /^in a terminal\n?$/);
      assert.equal(output.status, undefined, 'the output comes before the end');
      assert.equal(exit.status, 'completed');
      assert.deepEqual(exit._meta.terminal_exit, { terminal_id: call.toolCallId, exit_code: 0, signal: null });
      assert.deepEqual(exit.content, [{ type: 'terminal', terminalId: call.toolCallId }]);
    }, {}, { _meta: { terminal_output: true } });
  });

  it('the unstable session methods: set_title, archive and unarchive with list\'s filter, status with the verdict, fork resumable by the bare CLI', async () => {
    const cwd = world.newFolder('session-methods');
    let original;
    let forked;
    await world.withAgent(async (ctx) => {
      ({ sessionId: original } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] }));
      await ctx.request(acp.methods.agent.session.prompt, { sessionId: original, prompt: text('the original conversation') });
      const listed = async (archived) => (await ctx.request(acp.methods.agent.session.list, archived ? { cwd, archived } : { cwd })).sessions;

      // A title, trimmed, as the list (and the SDK, and the CLI) then shows it.
      assert.deepEqual(await ctx.request('session/set_title', { sessionId: original, title: '  Renamed here  ' }), { title: 'Renamed here' });
      assert.equal((await listed()).find((s) => s.sessionId === original).title, 'Renamed here');
      await rpcError(ctx.request('session/set_title', { sessionId: original, title: '   ' }), -32602);
      await rpcError(ctx.request('session/set_title', { sessionId: original }), -32602);
      await rpcError(ctx.request('session/set_title', { sessionId: crypto.randomUUID(), title: 'x' }), -32002);

      // Status: open here, with the engine's verdict; a session nobody has is -32002.
      const status = await ctx.request('session/status', { sessionId: original });
      assert.equal(status.status, 'open');
      assert.deepEqual(status._meta.claudeSessionSidecar, { resumable: true });
      await rpcError(ctx.request('session/status', { sessionId: crypto.randomUUID() }), -32002);
      await rpcError(ctx.request('session/status', { sessionId: 'not-a-uuid' }), -32602);

      // Archive: out of the default list, in with include, alone with only; unarchive brings it back. Both idempotent.
      await ctx.request('session/archive', { sessionId: original });
      await ctx.request('session/archive', { sessionId: original });
      assert.equal((await listed()).some((s) => s.sessionId === original), false);
      assert.equal((await listed('include')).find((s) => s.sessionId === original).archived, true);
      assert.deepEqual((await listed('only')).map((s) => s.sessionId), [original]);
      await rpcError(ctx.request(acp.methods.agent.session.list, { cwd, archived: 'sometimes' }), -32602);
      await ctx.request('session/unarchive', { sessionId: original });
      assert.equal((await listed()).find((s) => s.sessionId === original).archived, false);
      assert.deepEqual(await listed('only'), []);
      await rpcError(ctx.request('session/archive', { sessionId: crypto.randomUUID() }), -32002);

      // A fork: a new session with the conversation, open here, listed at once, that takes a prompt; the original is untouched.
      const fork = await ctx.request('session/fork', { sessionId: original, cwd, mcpServers: [] });
      forked = fork.sessionId;
      assert.match(forked, UUID);
      assert.notEqual(forked, original);
      assert.ok(fork.modes && fork.configOptions);
      assert.ok((await listed()).some((s) => s.sessionId === forked));
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId: forked, prompt: text('only in the fork') })).stopReason, 'end_turn');
      await rpcError(ctx.request('session/fork', { sessionId: crypto.randomUUID(), cwd, mcpServers: [] }), -32002);
      await rpcError(ctx.request('session/fork', { sessionId: original }), -32602);
    });

    // In a new server process the sessions are saved, not open.
    await world.withAgent(async (ctx) => {
      assert.equal((await ctx.request('session/status', { sessionId: forked })).status, 'saved');
    });
    for (const [sessionId, expected, absent] of [[forked, ['the original conversation', 'only in the fork'], null], [original, ['the original conversation'], 'only in the fork']]) {
      const transcript = fs.readFileSync(world.transcriptOf(sessionId), 'utf8');
      for (const words of expected) assert.ok(transcript.includes(words), `${sessionId} holds ${words}`);
      if (absent) assert.equal(transcript.includes(absent), false, 'the original is untouched');
    }
    const bare = spawnSync(claudePath, ['-p', 'after the fork', '--resume', forked, '--output-format', 'json'], { cwd, env: world.environment(), encoding: 'utf8' });
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal(JSON.parse(bare.stdout).session_id, forked);
    assert.doesNotMatch(bare.stdout + bare.stderr, /No conversation found/);
  });

  it('session/set_mode switches the permission mode: acceptEdits writes without asking, back to default asks again', async () => {
    const cwd = world.newFolder('modes');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      await rpcError(ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'no-such-mode' }), -32602);
      await ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'acceptEdits' });
      client.permission = () => ({ outcome: { outcome: 'cancelled' } });
      const edited = path.join(cwd, 'accept-edits.txt');
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${edited}]`) })).stopReason, 'end_turn');
      assert.equal(fs.readFileSync(edited, 'utf8'), 'written by the fake model');
      assert.equal(client.permissionRequests.length, 0);

      await ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'default' });
      const asked = path.join(cwd, 'default-mode.txt');
      await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${asked}]`) });
      assert.equal(client.permissionRequests.length, 1, 'the default mode asks');
      assert.equal(fs.existsSync(asked), false, 'and a cancelled answer denies');
    });
  });

  it('modes follow the CLI: leaving plan mode offers the modes to go to, the one picked is the session\'s; entering plan mode by itself is told too', async () => {
    const cwd = world.newFolder('plan-mode');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      await ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'plan' });
      let leave = 'plan';
      client.permission = (asked) => ({ outcome: { outcome: 'selected', optionId: asked.toolCall.rawInput?.plan !== undefined || asked.options.some((o) => o.optionId === 'acceptEdits') ? leave : 'allow_once' } });
      const exitPlan = text('[tool:ExitPlanMode|{"plan":"the plan"}]');

      // "No, keep planning": still in plan mode.
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: exitPlan })).stopReason, 'end_turn');
      assert.deepEqual(client.permissionRequests[0].options.map((o) => [o.optionId, o.kind]), [['acceptEdits', 'allow_always'], ['default', 'allow_once'], ['plan', 'reject_once']]);
      assert.equal(client.updatesOf(sessionId, 'tool_call_update').at(-1).status, 'failed');
      client.updates.length = 0;

      // "Yes, and auto-accept edits": the CLI switches, the client is told, and the next turn writes without asking.
      leave = 'acceptEdits';
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: exitPlan })).stopReason, 'end_turn');
      assert.deepEqual(client.updatesOf(sessionId, 'current_mode_update').map((u) => u.currentModeId), ['acceptEdits']);
      assert.equal(client.updatesOf(sessionId, 'config_option_update').at(-1).configOptions.find((o) => o.id === 'mode').currentValue, 'acceptEdits');
      const asked = client.permissionRequests.length;
      const target = path.join(cwd, 'after-plan.txt');
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${target}]`) })).stopReason, 'end_turn');
      assert.ok(fs.existsSync(target), 'written in acceptEdits');
      assert.equal(client.permissionRequests.length, asked, 'not asked in acceptEdits');

      // The CLI entering plan mode by itself.
      client.updates.length = 0;
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[tool:EnterPlanMode|{}]') })).stopReason, 'end_turn');
      assert.deepEqual(client.updatesOf(sessionId, 'current_mode_update').map((u) => u.currentModeId), ['plan']);
    });
  });

  it('session/set_config_option sets the model and the permission mode of the next turns', async () => {
    const cwd = world.newFolder('config-options');
    await world.withAgent(async (ctx, client) => {
      const created = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      const options = Object.fromEntries(created.configOptions.map((option) => [option.id, option]));
      assert.equal(options.model.currentValue, 'default');
      assert.deepEqual(options.model.options.map((option) => option.value), ['default', 'opus', 'sonnet', 'haiku']);
      assert.equal(options.mode.currentValue, 'default');
      const { sessionId } = created;
      // Then the CLI's own models (see the commands test); the updates counted below are the option changes.
      await waitFor(() => client.updatesOf(sessionId, 'config_option_update').length === 1, 'the CLI\'s models');
      client.updates.length = 0;
      const set = (configId, value) => ctx.request(acp.methods.agent.session.setConfigOption, { sessionId, configId, value });
      await rpcError(set('model', 'gpt-4'), -32602);
      await rpcError(set('temperature', 'hot'), -32602);

      // The first prompt runs in the spare session/new started with the default model: switched in place.
      const changed = await set('model', 'haiku');
      assert.equal(changed.configOptions.find((option) => option.id === 'model').currentValue, 'haiku');
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('which model') })).stopReason, 'end_turn');
      const models = () => fs.readFileSync(world.transcriptOf(sessionId), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
        .filter((entry) => entry.type === 'assistant').map((entry) => entry.message.model);
      assert.match(models().at(-1), /haiku/i, `the model the fake API was asked for: ${models()}`);

      await set('model', 'sonnet');
      assert.equal((await set('mode', 'acceptEdits')).configOptions.find((option) => option.id === 'mode').currentValue, 'acceptEdits');
      const target = path.join(cwd, 'by-config.txt');
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(`[write:${target}]`) })).stopReason, 'end_turn');
      assert.ok(fs.existsSync(target), 'acceptEdits from the config option: written without asking');
      assert.match(models().at(-1), /sonnet/i, `${models()}`);

      // Every change is told as updates too: the mode (a mode and an option) and the options as they are now.
      await waitFor(() => client.updatesOf(sessionId, 'config_option_update').length === 3, 'three config_option_updates');
      const optionUpdates = client.updatesOf(sessionId, 'config_option_update');
      assert.deepEqual(optionUpdates.map((u) => Object.fromEntries(u.configOptions.map((o) => [o.id, o.currentValue]))),
        [{ model: 'haiku', mode: 'default' }, { model: 'sonnet', mode: 'default' }, { model: 'sonnet', mode: 'acceptEdits' }]);
      assert.deepEqual(client.updatesOf(sessionId, 'current_mode_update').map((u) => u.currentModeId), ['default', 'default', 'acceptEdits']);
    });
  });

  it('new, load and resume are followed by available_commands_update with the CLI\'s commands, a project command included; the models become the CLI\'s own; a picked command reaches the CLI', async () => {
    const cwd = world.newFolder('commands');
    fs.mkdirSync(path.join(cwd, '.claude', 'commands'), { recursive: true });
    fs.writeFileSync(path.join(cwd, '.claude', 'commands', 'greet.md'), '---\ndescription: Greets the fake model\n---\nSay hello to the fake model\n');
    const commandsOf = async (client, sessionId) => (await waitFor(() => client.updatesOf(sessionId, 'available_commands_update')[0], 'available_commands_update', 30000)).availableCommands;
    const modelOption = (configOptions) => configOptions.find((option) => option.id === 'model');
    let sessionId;
    await world.withAgent(async (ctx, client) => {
      const created = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      ({ sessionId } = created);
      const commands = await commandsOf(client, sessionId);
      const names = commands.map((command) => command.name);
      assert.ok(names.includes('compact') && names.includes('init'), names.join(' '));
      assert.match(commands.find((command) => command.name === 'greet')?.description ?? '', /Greets the fake model/);
      assert.ok(!names.includes('cost') && !names.includes('login') && !names.some((name) => name.startsWith('__')), names.join(' '));

      // The CLI's own models, with its descriptions (a version in them, which the fallback aliases lack), told once known.
      const told = await waitFor(() => client.updatesOf(sessionId, 'config_option_update')[0], 'the CLI\'s models');
      const models = modelOption(told.configOptions).options;
      assert.ok(models.some((model) => model.value === 'default') && models.some((model) => model.value === 'opus' && /\d/.test(model.description)), JSON.stringify(models));
      // A later session in the folder has them in its answer.
      const second = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      assert.deepEqual(modelOption(second.configOptions).options, models);
      assert.equal(modelOption(second.configOptions).currentValue, 'default');

      const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('/greet') });
      assert.equal(answer.stopReason, 'end_turn');
      assert.ok(fs.readFileSync(world.transcriptOf(sessionId), 'utf8').includes('Say hello to the fake model'), 'the CLI ran /greet: its text is in the conversation');
    });
    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
      assert.ok((await commandsOf(client, sessionId)).some((command) => command.name === 'greet'));
    });
    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.resume, { sessionId, cwd, mcpServers: [] });
      assert.ok((await commandsOf(client, sessionId)).some((command) => command.name === 'greet'));
      assert.equal(client.updatesOf(sessionId).filter((u) => !['available_commands_update', 'config_option_update'].includes(u.sessionUpdate)).length, 0, 'no replay on resume');
    });
  });

  it('stdio, http and sse MCP servers from session/new reach the CLI (its --mcp-config); a bad one is refused with -32602', async () => {
    const cwd = world.newFolder('mcp');
    const marker = path.join(cwd, 'probe-started.json');
    const probe = { name: 'probe', command: process.execPath, args: [path.join(import.meta.dirname, 'mcp-probe.mjs'), marker], env: [{ name: 'PROBE_VALUE', value: 'from-acp' }] };
    // The remote servers only record who called, with which header: enough to see the CLI was given them.
    const calls = [];
    const remote = http.createServer((request, response) => {
      calls.push({ path: request.url, probe: request.headers['x-acp-probe'] });
      response.writeHead(404).end();
    });
    await new Promise((resolve) => remote.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${remote.address().port}`;
    const web = { type: 'http', name: 'web', url: `${base}/mcp`, headers: [{ name: 'x-acp-probe', value: 'http-header' }] };
    const events = { type: 'sse', name: 'events', url: `${base}/sse`, headers: [{ name: 'x-acp-probe', value: 'sse-header' }] };
    try {
      await world.withAgent(async (ctx) => {
        for (const bad of [{ type: 'http', name: 'file', url: 'file:///etc/passwd', headers: [] }, { type: 'ws', name: 'socket', url: `${base}/ws`, headers: [] }, { name: 'nocommand', args: [] }]) {
          await rpcError(ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [bad] }), -32602);
        }
        const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [probe, web, events] });
        assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('with MCP servers') })).stopReason, 'end_turn');
        await waitFor(() => fs.existsSync(marker), 'the CLI to start the stdio MCP server');
        assert.deepEqual(JSON.parse(fs.readFileSync(marker, 'utf8')), { probeValue: 'from-acp' });
        await waitFor(() => calls.some((call) => call.path === '/mcp') && calls.some((call) => call.path === '/sse'), `the CLI to call the http and sse servers (${JSON.stringify(calls)})`);
        assert.ok(calls.some((call) => call.path === '/mcp' && call.probe === 'http-header'), JSON.stringify(calls));
        assert.ok(calls.some((call) => call.path === '/sse' && call.probe === 'sse-header'), JSON.stringify(calls));
      });
    } finally {
      remote.close();
    }
  });

  it('session/cancel: the running prompt answers cancelled, and the session goes on', async () => {
    const { sessionId, cwd } = made.main;
    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.resume, { sessionId, cwd, mcpServers: [] });
      const started = Date.now();
      const running = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[slow:30000] a long one') });
      await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
      const answer = await running;
      assert.equal(answer.stopReason, 'cancelled');
      assert.ok(Date.now() - started < 15000, `answered in ${Date.now() - started} ms, not after the slow model`);

      const next = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the cancel') });
      assert.equal(next.stopReason, 'end_turn');
      assert.equal(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), reply('after the cancel'));
    });
  });

  it('a prompt sent during a turn is queued and runs after it, in order; a cancel ends the running one and every queued one', async () => {
    const cwd = world.newFolder('queue');
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      const prompts = ['[slow:1500] first', 'second', 'third'];
      const answers = await Promise.all(prompts.map((prompt) => ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(prompt) })));
      assert.deepEqual(answers.map((answer) => answer.stopReason), ['end_turn', 'end_turn', 'end_turn']);
      assert.equal(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), prompts.map(reply).join(''));

      const started = Date.now();
      const running = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[slow:30000] a long one') });
      const queued = [ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('queued one') }), ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('queued two') })];
      await waitFor(() => fs.existsSync(world.transcriptOf(sessionId) ?? '') && fs.readFileSync(world.transcriptOf(sessionId), 'utf8').includes('a long one'), 'the long turn to start');
      await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
      assert.deepEqual((await Promise.all([running, ...queued])).map((answer) => answer.stopReason), ['cancelled', 'cancelled', 'cancelled']);
      assert.ok(Date.now() - started < 15000, `answered in ${Date.now() - started} ms`);
      const transcript = fs.readFileSync(world.transcriptOf(sessionId), 'utf8');
      assert.equal(transcript.includes('queued one') || transcript.includes('queued two'), false, 'a cancelled queued prompt never ran');

      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the cancel') })).stopReason, 'end_turn');
    });
  });

  it('session/list in a new server process: exactly the resumable sessions, with title and updatedAt', async () => {
    await world.withAgent(async (ctx) => {
      const neverPrompted = await ctx.request(acp.methods.agent.session.new, { cwd: made.main.cwd, mcpServers: [] });
      const listed = await ctx.request(acp.methods.agent.session.list, { cwd: made.main.cwd });
      assert.equal(listed.nextCursor ?? null, null);
      assert.deepEqual(listed.sessions.map((s) => s.sessionId), [made.main.sessionId], 'only the prompted session; a session/new without a prompt is not a session yet');
      const [main] = listed.sessions;
      assert.equal(main.cwd, made.main.cwd);
      assert.equal(main.title, '[think:pondering first] hello acp');
      assert.ok(Math.abs(Date.parse(main.updatedAt) - Date.now()) < 10 * 60 * 1000, `updatedAt ${main.updatedAt}`);

      const all = await ctx.request(acp.methods.agent.session.list, {});
      for (const id of [made.main.sessionId, made.tools.sessionId]) assert.ok(all.sessions.some((s) => s.sessionId === id), id);
      assert.ok(!all.sessions.some((s) => s.sessionId === neverPrompted.sessionId));
      await rpcError(ctx.request(acp.methods.agent.session.list, { cursor: 'not-a-cursor' }), -32602);
    });
  });

  it('an ACP session is the project\'s session: the stdio face lists it and the bare CLI resumes it', () => {
    const { sessionId, cwd } = made.main;
    const [command, ...args] = agentCommand(world, ['call', 'session/listResumable', JSON.stringify({ workingDirectory: cwd })]);
    const listed = spawnSync(command, args, { env: world.environment(), encoding: 'utf8', timeout: 60000 });
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(JSON.parse(listed.stdout).sessions.some((session) => session.sessionId === sessionId), listed.stdout);

    const user = JSON.stringify({ type: 'user', message: { role: 'user', content: 'from the bare CLI' }, parent_tool_use_id: null, session_id: '' });
    const bare = spawnSync(claudePath, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--resume', sessionId], {
      cwd, env: world.environment(), input: `${user}\n`, encoding: 'utf8', timeout: 60000,
    });
    const result = bare.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((message) => message.type === 'result');
    assert.equal(result?.subtype, 'success', bare.stdout + bare.stderr);
    assert.equal(result.session_id, sessionId);
    assert.equal(result.result, reply('from the bare CLI'));
  });

  it('session/list pages with an opaque nextCursor', async () => {
    // 55 resumable sessions in one folder: copies of a real transcript under new ids (the CLI resumes such copies).
    const source = world.transcriptOf(made.tools.sessionId);
    const cwd = made.tools.cwd;
    const ids = [made.tools.sessionId];
    for (let i = 0; i < 55; i++) {
      const id = crypto.randomUUID();
      fs.writeFileSync(path.join(path.dirname(source), `${id}.jsonl`), fs.readFileSync(source, 'utf8').replaceAll(made.tools.sessionId, id));
      ids.push(id);
    }
    await world.withAgent(async (ctx) => {
      const first = await ctx.request(acp.methods.agent.session.list, { cwd });
      assert.equal(first.sessions.length, 50);
      assert.equal(typeof first.nextCursor, 'string');
      const second = await ctx.request(acp.methods.agent.session.list, { cwd, cursor: first.nextCursor });
      assert.equal(second.nextCursor ?? null, null);
      const seen = [...first.sessions, ...second.sessions].map((s) => s.sessionId);
      assert.equal(new Set(seen).size, seen.length, 'no session on two pages');
      assert.deepEqual([...seen].sort(), [...ids].sort());
    });
    for (const id of ids.slice(1)) fs.rmSync(path.join(path.dirname(source), `${id}.jsonl`));
  });

  it('session/list pages list every session once when their activity shares a millisecond', async () => {
    // 120 copies of a real transcript in a folder of their own, modified within one millisecond, microseconds apart
    // in an order unrelated to their ids: the pages follow the cursor's order (that millisecond, then the higher id).
    const source = world.transcriptOf(made.tools.sessionId);
    const cwd = world.newFolder('same-millisecond');
    const folder = path.join(world.configDirectory, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
    fs.mkdirSync(folder, { recursive: true });
    const body = fs.readFileSync(source, 'utf8').replaceAll(made.tools.cwd, cwd);
    const ids = [];
    for (let i = 0; i < 120; i++) {
      const id = crypto.randomUUID();
      const file = path.join(folder, `${id}.jsonl`);
      fs.writeFileSync(file, body.replaceAll(made.tools.sessionId, id));
      const seconds = 1795694564.614 + ((i * 37) % 120) * 0.000005;
      fs.utimesSync(file, seconds, seconds);
      ids.push(id);
    }
    const millisecond = new Set(ids.map((id) => Math.floor(fs.statSync(path.join(folder, `${id}.jsonl`)).mtimeMs)));
    assert.equal(millisecond.size, 1, 'every copy in one millisecond');
    // Each page from a server process of its own: the cursor is signed with the store's secret, which they share.
    const seen = [];
    let cursor;
    do {
      const page = await world.withAgent((ctx) => ctx.request(acp.methods.agent.session.list, cursor ? { cwd, cursor } : { cwd }));
      seen.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor;
    } while (cursor && seen.length < 1000);
    assert.deepEqual(seen, [...ids].sort().reverse());
    made.sameMillisecond = { cwd };
  });

  it('session/list refuses a cursor no server on the store gave for it: the document\'s, a tampered one, the stdio face\'s', async () => {
    const { cwd } = made.sameMillisecond;
    const call = (params) => {
      const [command, ...args] = agentCommand(world, ['call', 'session/list', JSON.stringify(params)]);
      const run = spawnSync(command, args, { env: world.environment(), encoding: 'utf8', timeout: 60000 });
      return { status: run.status, answer: JSON.parse(run.stdout) };
    };
    const stdio = call({ workingDirectory: cwd, includeExternal: true, limit: 1 });
    assert.equal(stdio.status, 0);
    const documented = /"nextCursor":"([^"]+)"/.exec(fs.readFileSync(path.join(repo, 'stdio-protocol.md'), 'utf8'))[1];
    await world.withAgent(async (ctx) => {
      const { nextCursor } = await ctx.request(acp.methods.agent.session.list, { cwd });
      const [payload, signature] = nextCursor.split('.');
      const tampered = `${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      for (const cursor of [documented, tampered, payload, stdio.answer.nextCursor]) {
        const error = await rpcError(ctx.request(acp.methods.agent.session.list, { cwd, cursor }), -32602);
        assert.equal(error.data?.parameter, 'cursor', cursor);
      }
      // And the ACP face's cursor is no cursor of the stdio face's session/list.
      const refused = call({ workingDirectory: cwd, includeExternal: true, cursor: nextCursor });
      assert.equal(refused.status, 1);
      assert.equal(refused.answer.code, -32602);
      assert.equal(refused.answer.data.parameter, 'cursor');
    });
  });

  it('session/load in a new server process replays the whole conversation, then takes a prompt', async () => {
    const { sessionId, cwd, target } = made.tools;
    await world.withAgent(async (ctx, client) => {
      const loaded = await ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
      assert.equal(loaded.modes.currentModeId, 'default');
      const replay = client.updatesOf(sessionId).map((u) => u.sessionUpdate);
      assert.deepEqual(replay, ['user_message_chunk', 'tool_call', 'tool_call_update', 'agent_message_chunk']);
      assert.equal(textOf(client.updatesOf(sessionId, 'user_message_chunk')), `[write:${target}]`);
      const [call] = client.updatesOf(sessionId, 'tool_call');
      assert.equal(call.kind, 'edit');
      assert.equal(call.rawInput.file_path, target);
      assert.equal(client.updatesOf(sessionId, 'tool_call_update')[0].status, 'completed');
      assert.equal(client.updatesOf(sessionId, 'tool_call_update')[0].toolCallId, call.toolCallId);
      assert.match(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), /^tool said: /);

      client.updates.length = 0;
      const answer = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the load') });
      assert.equal(answer.stopReason, 'end_turn');
      assert.equal(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), reply('after the load'));
    });

    // Thinking replays as a thought.
    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.load, { sessionId: made.main.sessionId, cwd: made.main.cwd, mcpServers: [] });
      assert.equal(textOf(client.updatesOf(made.main.sessionId, 'agent_thought_chunk')), 'pondering first');
      assert.equal(textOf(client.updatesOf(made.main.sessionId, 'user_message_chunk')), '[think:pondering first] hello acp' + 'see\n[@notes.md](file:///tmp/notes.md)' + '[slow:30000] a long one' + '[Request interrupted by user]' + 'after the cancel' + 'from the bare CLI',
        'the prompts as the CLI keeps them, its interrupt marker and the bare CLI\'s turn included');
    });
  });

  it('session/resume opens a session without a replay', async () => {
    const { sessionId, cwd } = made.main;
    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.resume, { sessionId, cwd, mcpServers: [] });
      assert.equal(client.updates.length, 0);
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the resume') })).stopReason, 'end_turn');
    });
  });

  it('unknown and damaged sessions are refused with -32002 and the reason; a session not open cannot be prompted', async () => {
    const cwd = made.main.cwd;
    const damaged = crypto.randomUUID();
    const folder = path.dirname(world.transcriptOf(made.main.sessionId));
    fs.writeFileSync(path.join(folder, `${damaged}.jsonl`), `${JSON.stringify({ type: 'summary', summary: 'only a summary', leafUuid: crypto.randomUUID() })}\n`);
    await world.withAgent(async (ctx) => {
      const unknown = await rpcError(ctx.request(acp.methods.agent.session.load, { sessionId: crypto.randomUUID(), cwd, mcpServers: [] }), -32002);
      assert.equal(unknown.data.reason, 'session_file_missing');
      const broken = await rpcError(ctx.request(acp.methods.agent.session.resume, { sessionId: damaged, cwd, mcpServers: [] }), -32002);
      assert.equal(broken.data.reason, 'session_file_no_conversation');
      const listed = await ctx.request(acp.methods.agent.session.list, { cwd });
      assert.ok(!listed.sessions.some((s) => s.sessionId === damaged), 'a session the CLI would not resume is not listed');
      const notOpen = await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId: made.main.sessionId, prompt: text('hi') }), -32002);
      assert.equal(notOpen.data.reason, 'session_not_open');
      await rpcError(ctx.request(acp.methods.agent.session.load, { sessionId: 'not-a-uuid', cwd, mcpServers: [] }), -32602);
    });
    fs.rmSync(path.join(folder, `${damaged}.jsonl`));
  });

  it('session/close stops the running prompt and closes the session; it stays resumable', async () => {
    const { sessionId, cwd } = made.main;
    await world.withAgent(async (ctx) => {
      await ctx.request(acp.methods.agent.session.resume, { sessionId, cwd, mcpServers: [] });
      const running = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('[slow:30000] closed while running') });
      await ctx.request(acp.methods.agent.session.close, { sessionId });
      assert.equal((await running).stopReason, 'cancelled');
      const notOpen = await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('hi') }), -32002);
      assert.equal(notOpen.data.reason, 'session_not_open');
      await ctx.request(acp.methods.agent.session.resume, { sessionId, cwd, mcpServers: [] });
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the close') })).stopReason, 'end_turn');
    });
  });

  it('session/delete removes the transcript; the session is no longer listed or loadable', async () => {
    const cwd = world.newFolder('deleted');
    await world.withAgent(async (ctx) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
      await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('to be deleted') });
      const transcript = world.transcriptOf(sessionId);
      assert.ok(transcript);
      await ctx.request(acp.methods.agent.session.delete, { sessionId });
      assert.equal(fs.existsSync(transcript), false);
      assert.deepEqual((await ctx.request(acp.methods.agent.session.list, { cwd })).sessions, []);
      const gone = await rpcError(ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] }), -32002);
      assert.equal(gone.data.reason, 'session_file_missing');
      const unknownWhere = await rpcError(ctx.request(acp.methods.agent.session.resume, { sessionId, cwd: world.newFolder('elsewhere'), mcpServers: [] }), -32002);
      assert.equal(unknownWhere.data.sessionId, sessionId);
    });
  });

  it('a subagent\'s tool calls stream under its Task call, the next prompt gets its own answer, and load replays them', async () => {
    const cwd = world.newFolder('subagents');
    const target = path.join(cwd, 'from-the-subagent.txt');
    let sessionId;
    let taskId;
    await world.withAgent(async (ctx, client) => {
      ({ sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] }));
      await ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'acceptEdits' });
      const prompt = `[task:write=${target}] delegate it`;
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(prompt) })).stopReason, 'end_turn');

      // The CLI runs the Task's agent in the background and answers twice; the prompt ends after both, the agent's work in it.
      assert.ok(fs.existsSync(target), 'the subagent wrote its file before the prompt answered');
      const calls = client.updatesOf(sessionId, 'tool_call');
      taskId = calls.find((call) => call.title?.startsWith('Task') || call.rawInput?.subagent_type)?.toolCallId;
      assert.ok(taskId, JSON.stringify(calls));
      const inner = calls.find((call) => call._meta?.claudeCode?.parentToolUseId === taskId);
      assert.equal(inner?.rawInput?.file_path, target, JSON.stringify(calls));
      assert.equal(textOf(client.updatesOf(sessionId, 'agent_message_chunk')).endsWith(reply(prompt)), true, 'the CLI\'s own turn on the report streamed too');

      // The next prompt, in the same live CLI, gets its own answer (nothing of the first is left in the pipe).
      client.updates.length = 0;
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('after the subagent') })).stopReason, 'end_turn');
      assert.equal(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), reply('after the subagent'));
    });

    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
      const calls = client.updatesOf(sessionId, 'tool_call');
      assert.ok(calls.some((call) => call.toolCallId === taskId && !call._meta), 'the Task call itself');
      const inner = calls.find((call) => call._meta?.claudeCode?.parentToolUseId === taskId);
      assert.equal(inner?.rawInput?.file_path, target, `the subagent's Write is replayed under the Task: ${JSON.stringify(calls)}`);
      const done = client.updatesOf(sessionId, 'tool_call_update').find((update) => update.toolCallId === inner.toolCallId);
      assert.equal(done?.status, 'completed');
      assert.equal(done?._meta?.claudeCode?.parentToolUseId, taskId);
    });
  });

  it('image and embedded-resource prompts reach the CLI as its content blocks, and load replays the image', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const cwd = world.newFolder('images');
    let sessionId;
    await world.withAgent(async (ctx, client) => {
      ({ sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] }));
      const prompt = [
        { type: 'text', text: 'what is in this picture' },
        { type: 'image', mimeType: 'image/png', data: png },
        { type: 'resource', resource: { uri: 'file:///tmp/spec.md', mimeType: 'text/markdown', text: '# Spec\nline two' } },
      ];
      assert.equal((await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt })).stopReason, 'end_turn');
      assert.ok(textOf(client.updatesOf(sessionId, 'agent_message_chunk')).length > 0, 'the model answered');

      // An image of a type the Messages API does not take, or data that is not base64, is refused before the CLI.
      for (const bad of [{ type: 'image', mimeType: 'image/tiff', data: png }, { type: 'image', mimeType: 'image/png', data: 'not base64!' }]) {
        await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: 'look' }, bad] }), -32602);
      }
    });

    // What the CLI kept is what it was given: the image block with its data, and the resource as context text.
    const entries = fs.readFileSync(world.transcriptOf(sessionId), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const first = entries.find((entry) => entry.type === 'user' && Array.isArray(entry.message?.content));
    assert.ok(first, 'a user entry with content blocks');
    const image = first.message.content.find((block) => block.type === 'image');
    assert.deepEqual(image?.source, { type: 'base64', media_type: 'image/png', data: png });
    const words = first.message.content.filter((block) => block.type === 'text').map((block) => block.text).join('\n');
    assert.match(words, /what is in this picture/);
    assert.match(words, /<context ref="file:\/\/\/tmp\/spec\.md">\n# Spec\nline two\n<\/context>/);

    await world.withAgent(async (ctx, client) => {
      await ctx.request(acp.methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
      const replayed = client.updatesOf(sessionId, 'user_message_chunk').map((update) => update.content);
      assert.ok(replayed.some((content) => content.type === 'image' && content.data === png && content.mimeType === 'image/png'), JSON.stringify(replayed));
    });
  });

  it('a CLI that asks for a login answers the prompt with -32000 (authentication required), its text streamed first', async () => {
    // A config folder with no credentials and no API key: the real CLI answers "Not logged in · Please run /login".
    const loggedOut = path.join(world.root, 'claude-config-logged-out');
    fs.mkdirSync(loggedOut);
    const credentials = { ANTHROPIC_API_KEY: null, ANTHROPIC_AUTH_TOKEN: null, CLAUDE_CODE_OAUTH_TOKEN: null, ANTHROPIC_BASE_URL: null, CLAUDE_CONFIG_DIR: loggedOut };
    await world.withAgent(async (ctx, client) => {
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: world.workspace, mcpServers: [] });
      const error = await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('hello without a login') }), -32000);
      assert.equal(error.data?.reason, 'auth_required');
      assert.match(error.message, /login/i);
      assert.match(textOf(client.updatesOf(sessionId, 'agent_message_chunk')), /Not logged in/);
    }, credentials);
  });

  it('a client with terminal auth is offered the CLI\'s login as the agent\'s own command; authenticate answers once the CLI has credentials, else -32000 naming the methods', async () => {
    const loggedOut = path.join(world.root, 'claude-config-logged-out-2');
    fs.mkdirSync(loggedOut);
    const credentials = { ANTHROPIC_API_KEY: null, ANTHROPIC_AUTH_TOKEN: null, CLAUDE_CODE_OAUTH_TOKEN: null, ANTHROPIC_BASE_URL: null, CLAUDE_CONFIG_DIR: loggedOut };
    const terminalAuth = { auth: { terminal: true }, _meta: { 'terminal-auth': true } };
    const ids = ['claude-ai-login', 'console-login'];
    await world.withAgent(async (ctx, client, init) => {
      assert.deepEqual(init.authMethods.map((m) => [m.id, m.type, m.args.join(' ')]), [
        ['claude-ai-login', 'terminal', '--cli auth login --claudeai'], ['console-login', 'terminal', '--cli auth login --console']]);
      // The full command line the client runs: the agent's own, reaching the real CLI (asked its status, not to log in).
      const { command, args } = init.authMethods[1]._meta['terminal-auth'];
      assert.deepEqual(args.slice(-4), ['--cli', 'auth', 'login', '--console']);
      const status = spawnSync(command, [...args.slice(0, -3), 'auth', 'status'], { env: { ...process.env, ...world.environment(), ANTHROPIC_API_KEY: '', CLAUDE_CONFIG_DIR: loggedOut }, encoding: 'utf8' });
      assert.equal(status.status, 1, status.stderr);
      assert.equal(JSON.parse(status.stdout).loggedIn, false);

      const failed = await rpcError(ctx.request(acp.methods.agent.authenticate, { methodId: 'console-login' }), -32000);
      assert.deepEqual(failed.data.authMethods, ids);
      await rpcError(ctx.request(acp.methods.agent.authenticate, { methodId: 'password' }), -32602);
      const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: world.workspace, mcpServers: [] });
      const error = await rpcError(ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text('hello without a login') }), -32000);
      assert.deepEqual(error.data.authMethods, ids);
    }, credentials, terminalAuth);

    // With credentials (the suite's API key), authenticate answers; a client without terminal auth is offered none.
    await world.withAgent(async (ctx) => {
      assert.deepEqual(await ctx.request(acp.methods.agent.authenticate, { methodId: 'claude-ai-login' }), {});
    }, {}, terminalAuth);
    await world.withAgent(async (ctx, client, init) => {
      assert.deepEqual(init.authMethods, []);
      await rpcError(ctx.request(acp.methods.agent.authenticate, { methodId: 'console-login' }), -32602);
    });
  });

  it('a malformed line answers -32700, a batch -32600, and the server goes on (started with --protocol acp)', async () => {
    const agent = world.rawAgent(['--protocol', 'acp']);
    agent.send('this is not json');
    agent.send('[{"jsonrpc":"2.0","id":6,"method":"initialize","params":{"protocolVersion":1}}]');
    agent.send('{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":1,"clientCapabilities":{}}}');
    const lines = [await agent.next(), await agent.next(), await agent.next()];
    assert.equal(lines[0].error.code, -32700);
    assert.equal(lines[0].id, null);
    assert.equal(lines[1].error.code, -32600, 'a batch is refused, as ACP asks');
    assert.equal(lines[1].id, null);
    assert.equal(lines[2].id, 7);
    assert.equal(lines[2].result.protocolVersion, 1);
    assert.deepEqual(await agent.close(), { code: 0, signal: null });
  });

  it('a response to no request of the server (unknown id, id null, no id) is ignored and the server answers on', async () => {
    const agent = world.rawAgent();
    const strays = [
      { jsonrpc: '2.0', id: 99, result: null },
      { jsonrpc: '2.0', id: 'never-asked', result: { outcome: { outcome: 'cancelled' } } },
      { jsonrpc: '2.0', id: 99, error: { code: -32601, message: 'Method not found' } },
      { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } },
      { jsonrpc: '2.0', result: {} },
    ];
    for (const [i, stray] of strays.entries()) {
      agent.send(stray);
      agent.send({ jsonrpc: '2.0', id: i, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } });
      const answer = await agent.next((m) => m.id === i, `the answer after ${JSON.stringify(stray)}`);
      assert.equal(answer.result?.protocolVersion, 1, JSON.stringify(answer));
    }
    assert.equal(agent.child.exitCode, null, 'the server is still running');
    assert.deepEqual(await agent.close(), { code: 0, signal: null });
    const warnings = fs.readFileSync(agent.child.logFile, 'utf8').split('\n').filter((line) => line.includes('Ignored a response'));
    assert.equal(warnings.length, strays.length);
  });

  it('a second answer to session/request_permission during a prompt is ignored; the prompt completes and is answered', async () => {
    const cwd = world.newFolder('answered-twice');
    const target = path.join(cwd, 'answered-twice.txt');
    const agent = world.rawAgent();
    agent.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } });
    await agent.next((m) => m.id === 1);
    agent.send({ jsonrpc: '2.0', id: 2, method: 'session/new', params: { cwd, mcpServers: [] } });
    const { sessionId } = (await agent.next((m) => m.id === 2)).result;
    agent.send({ jsonrpc: '2.0', id: 3, method: 'session/prompt', params: { sessionId, prompt: text(`[write:${target}]`) } });

    const question = await agent.next((m) => m.method === 'session/request_permission', 'the permission question');
    const answer = (optionId) => ({ jsonrpc: '2.0', id: question.id, result: { outcome: { outcome: 'selected', optionId } } });
    agent.send(answer('allow_once'));
    agent.send(answer('allow_once'));
    agent.send(answer('reject_always'));
    agent.send({ jsonrpc: '2.0', id: 4242, result: { outcome: { outcome: 'cancelled' } } });

    const done = await agent.next((m) => m.id === 3 && !m.method, 'the prompt\'s answer');
    assert.equal(done.result?.stopReason, 'end_turn', JSON.stringify(done));
    assert.equal(fs.readFileSync(target, 'utf8'), 'written by the fake model');
    agent.send({ jsonrpc: '2.0', id: 5, method: 'session/list', params: { cwd } });
    assert.deepEqual((await agent.next((m) => m.id === 5)).result.sessions.map((s) => s.sessionId), [sessionId]);
    assert.deepEqual(await agent.close(), { code: 0, signal: null });
  });

  it('an unknown --protocol is refused with exit code 2 and says which are known', () => {
    const [command, ...args] = agentCommand(world, ['--protocol', 'lsp']);
    const run = spawnSync(command, args, { env: world.environment(), input: '', encoding: 'utf8', timeout: 30000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--protocol must be stdio or acp, not "lsp"/);
    assert.equal(run.stdout, '');
  });
});
