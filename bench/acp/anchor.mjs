// The ACP anchor: the same steps, through the official ACP client library, against this server's ACP face and
// against Zed's @zed-industries/claude-agent-acp (both on the same real CLI and fake Messages API).
// Env: AGENTS (JSON: [{name, command: [...], env: {...}}]), WORK, ROUNDS (default 3), ONLY (a name prefix), PAUSE_MS
// (default 0: how long a person takes to type the first prompt after session/new). Prints a Markdown table (medians).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'tests/acp/package.json'));
const acp = await import(require.resolve('@agentclientprotocol/sdk'));
const agents = JSON.parse(process.env.AGENTS).filter((agent) => !process.env.ONLY || agent.name.startsWith(process.env.ONLY));
const rounds = Number(process.env.ROUNDS || 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(agent, round) {
  const cwd = path.join(process.env.WORK, `${agent.name.replace(/\W+/g, '-')}-${round}`);
  fs.mkdirSync(cwd, { recursive: true });
  const times = {};
  const started = performance.now();
  const child = spawn(agent.command[0], agent.command.slice(1), { env: { ...process.env, ...agent.env }, stdio: ['pipe', 'pipe', 'ignore'] });
  let firstChunkAt = null;
  const app = acp.client({ name: 'anchor' })
    .onNotification(acp.methods.client.session.update, (ctx) => {
      if (firstChunkAt === null && ctx.params.update.sessionUpdate === 'agent_message_chunk') firstChunkAt = performance.now();
    })
    .onRequest(acp.methods.client.session.requestPermission, () => ({ outcome: { outcome: 'cancelled' } }));
  await app.connectWith(acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout)), async (ctx) => {
    await ctx.request(acp.methods.agent.initialize, { protocolVersion: acp.PROTOCOL_VERSION, clientCapabilities: {} });
    times.initialize = performance.now() - started;
    let t = performance.now();
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd, mcpServers: [] });
    times.new = performance.now() - t;
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.PAUSE_MS || 0)));
    t = performance.now();
    firstChunkAt = null;
    const first = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: 'first prompt' }] });
    if (first.stopReason !== 'end_turn') throw new Error(`${agent.name}: first prompt ended ${first.stopReason}`);
    times.firstPrompt = performance.now() - t;
    times.firstChunk = firstChunkAt - t;
    for (const n of [1, 2]) {
      t = performance.now();
      await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: `follow-up ${n}` }] });
      times[`followUp${n}`] = performance.now() - t;
    }
    t = performance.now();
    await ctx.request(acp.methods.agent.session.list, { cwd });
    times.list = performance.now() - t;
  });
  child.stdin.end();
  await new Promise((resolve) => { child.on('exit', resolve); setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 20000); });
  return times;
}

const steps = [['initialize', 'process start to `initialize`'], ['new', '`session/new`'], ['firstChunk', 'first prompt: first chunk'], ['firstPrompt', 'first prompt to `end_turn`'], ['followUp1', 'follow-up 1'], ['followUp2', 'follow-up 2'], ['list', '`session/list`']];
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const agent of agents) (results[agent.name] ??= []).push(await measure(agent, round));
}
console.log(`| step (median of ${rounds}, ms; first prompt ${Number(process.env.PAUSE_MS || 0)} ms after session/new) | ${agents.map((a) => a.name).join(' | ')} |`);
console.log(`|---|${agents.map(() => '---:').join('|')}|`);
for (const [key, label] of steps) console.log(`| ${label} | ${agents.map((a) => Math.round(median(results[a.name].map((r) => r[key])))).join(' | ')} |`);
