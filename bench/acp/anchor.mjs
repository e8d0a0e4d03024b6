// The ACP anchor: the same steps, through the official ACP client library, against this server's ACP face and
// against Zed's @zed-industries/claude-agent-acp (both on the same real CLI and fake Messages API).
// Env: AGENTS (JSON: [{name, command: [...], env: {...}}]), WORK, ROUNDS (default 3), ONLY (a name prefix), PAUSE_MS
// (default 0: how long a person takes to type the first prompt after session/new). Prints a Markdown table (medians),
// then how each agent's session/list does on a folder of damaged transcripts (the crafted resumability corpus, whose
// every verdict was measured on the real CLI and is re-checked live by the C# suite).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'tests/acp/package.json'));
const acp = await import(require.resolve('@agentclientprotocol/sdk'));
const agents = JSON.parse(process.env.AGENTS).filter((agent) => !process.env.ONLY || agent.name.startsWith(process.env.ONLY));
const rounds = Number(process.env.ROUNDS || 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Starts the agent, initializes, runs `op(ctx)`, closes its input and waits for its exit. */
async function withAgent(agent, op, onUpdate = () => {}) {
  const child = spawn(agent.command[0], agent.command.slice(1), { env: { ...process.env, ...agent.env }, stdio: ['pipe', 'pipe', 'ignore'] });
  const app = acp.client({ name: 'anchor' })
    .onNotification(acp.methods.client.session.update, (ctx) => onUpdate(ctx.params))
    .onRequest(acp.methods.client.session.requestPermission, () => ({ outcome: { outcome: 'cancelled' } }));
  const result = await app.connectWith(acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout)), async (ctx) => {
    await ctx.request(acp.methods.agent.initialize, { protocolVersion: acp.PROTOCOL_VERSION, clientCapabilities: {} });
    return op(ctx);
  });
  child.stdin.end();
  await new Promise((resolve) => { child.on('exit', resolve); setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 20000); });
  return result;
}

/**
 * The 134 crafted transcripts written plainly (the corpus's directory, permission, symlink and generated cases left
 * out), each under a fresh id in the agent's projects folder for one new folder; then every page of session/list
 * for that folder. Returns what was listed against the real CLI's measured verdicts.
 */
async function damagedListing(agent) {
  const corpus = path.join(process.cwd(), 'tests/ClaudeSessionSidecar.Tests/TestData/resumability');
  const cwd = path.join(process.env.WORK, `damaged-${agent.name.replace(/\W+/g, '-')}`);
  fs.mkdirSync(cwd, { recursive: true });
  const projects = path.join(agent.env.CLAUDE_CONFIG_DIR, 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'));
  fs.mkdirSync(projects, { recursive: true });
  const resumes = new Map();
  for (const entry of JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8'))) {
    if (entry.kind || entry.generate || entry.slow) continue;
    const id = crypto.randomUUID();
    const text = fs.readFileSync(path.join(corpus, `${entry.case}.jsonl`), 'latin1')
      .replaceAll('00000000-0000-4000-8000-000000000000', id).replaceAll('/__CWD__', cwd);
    fs.writeFileSync(path.join(projects, `${id}.jsonl`), text, 'latin1');
    resumes.set(id, entry.outcome === 'resumed');
  }
  const listed = await withAgent(agent, async (ctx) => {
    const ids = [];
    let cursor;
    for (let page = 0; page < 100; page++) {
      const answer = await ctx.request(acp.methods.agent.session.list, cursor ? { cwd, cursor } : { cwd });
      ids.push(...answer.sessions.map((session) => session.sessionId));
      if (!answer.nextCursor || answer.nextCursor === cursor) break;
      cursor = answer.nextCursor;
    }
    return ids;
  });
  const planted = [...resumes.keys()];
  return {
    planted: planted.length,
    resumable: planted.filter((id) => resumes.get(id)).length,
    listed: listed.length,
    listedResumable: listed.filter((id) => resumes.get(id) === true).length,
    listedNotResumable: listed.filter((id) => resumes.get(id) === false).length,
    hiddenResumable: planted.filter((id) => resumes.get(id) && !listed.includes(id)).length,
  };
}

async function measure(agent, round) {
  const cwd = path.join(process.env.WORK, `${agent.name.replace(/\W+/g, '-')}-${round}`);
  fs.mkdirSync(cwd, { recursive: true });
  const times = {};
  const started = performance.now();
  let firstChunkAt = null;
  const onUpdate = (params) => {
    if (firstChunkAt === null && params.update.sessionUpdate === 'agent_message_chunk') firstChunkAt = performance.now();
  };
  await withAgent(agent, async (ctx) => {
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
  }, onUpdate);
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

const damaged = [];
for (const agent of agents) damaged.push(await damagedListing(agent));
console.log(`\n| \`session/list\` of a folder of ${damaged[0].planted} crafted transcripts (${damaged[0].resumable} the real CLI resumes) | ${agents.map((a) => a.name).join(' | ')} |`);
console.log(`|---|${agents.map(() => '---:').join('|')}|`);
for (const [key, label] of [['listed', 'listed'], ['listedResumable', 'listed, and the CLI resumes it'], ['listedNotResumable', 'listed, but the CLI refuses it'], ['hiddenResumable', 'not listed, though the CLI resumes it']]) {
  console.log(`| ${label} | ${damaged.map((d) => d[key]).join(' | ')} |`);
}
