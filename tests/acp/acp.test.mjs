// The ACP face (`claude-session-sidecar acp`), driven by the official client library @agentclientprotocol/sdk
// against the real server, the real Claude Code CLI and the fake Messages API. Tests run in order and share one world.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { World, acp, textOf, waitFor } from './harness.mjs';

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
    assert.deepEqual(caps.promptCapabilities, { image: false, audio: false, embeddedContext: false });
    assert.deepEqual(caps.mcpCapabilities, { http: false, sse: false });
    for (const name of ['list', 'resume', 'close', 'delete']) assert.deepEqual(caps.sessionCapabilities[name], {}, name);
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
      made.main = { sessionId: created.sessionId, cwd };
    });
  });
});
