// The live-sessions benchmark: a follow-up turn through the server against a bare live CLI and against
// spawn-per-turn `claude -p --resume`; a prepared session/create against a cold one; the RSS of the server plus its
// CLI children with N live sessions and after the idle timeout. Run by bench/live.sh.
// Env: SIDECAR (the server command, JSON array), CLAUDE, API, CONFIG, WORK (a folder), SCRATCH, TURNS, LIVE.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { RpcProcess, median } from './rpc.mjs';

const { CLAUDE, API, CONFIG, WORK, SCRATCH } = process.env;
const sidecar = JSON.parse(process.env.SIDECAR);
const turns = Number(process.env.TURNS ?? 12);
const liveCount = Number(process.env.LIVE ?? 4);
const cliEnv = { ...process.env, CLAUDE_CONFIG_DIR: CONFIG, ANTHROPIC_BASE_URL: API, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const results = [];
function report(name, ratio, target, atMost) {
  const met = atMost ? ratio <= target : ratio >= target;
  results.push({ name, met });
  console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${ratio.toFixed(2)}x (target ${atMost ? '<=' : '>='} ${target}x)`);
}

let stores = 0;
function server(extra = []) {
  const store = path.join(SCRATCH, `store-${stores++}`);
  return new RpcProcess(sidecar[0], [...sidecar.slice(1), '--framing', 'newline', '--store', store, '--claude-config-dir', CONFIG, '--claude-path', CLAUDE, ...extra], { env: cliEnv });
}

const userLine = (prompt) => JSON.stringify({ type: 'user', message: { role: 'user', content: prompt }, parent_tool_use_id: null, session_id: '' }) + '\n';

/** A bare CLI kept running: each turn is one more user line on its stdin; resolves each turn at its result. */
function bareLiveCli() {
  const child = spawn(CLAUDE, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-prompt-tool', 'stdio'], { cwd: WORK, env: cliEnv, stdio: ['pipe', 'pipe', 'ignore'] });
  let waiting = null;
  let sessionId = null;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line);
    sessionId ??= message.session_id;
    if (message.type === 'result' && waiting) { const done = waiting; waiting = null; done(); }
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    get sessionId() { return sessionId; },
    async turn(prompt) {
      const started = performance.now();
      await new Promise((resolve) => { waiting = resolve; child.stdin.write(userLine(prompt)); });
      return performance.now() - started;
    },
    close() { child.stdin.end(); return exited; },
  };
}

/** One turn in a fresh `claude -p --resume` process, to its exit. */
function spawnPerTurn(prompt, sessionId) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(CLAUDE, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-prompt-tool', 'stdio', '--resume', sessionId], { cwd: WORK, env: cliEnv, stdio: ['pipe', 'pipe', 'ignore'] });
    readline.createInterface({ input: child.stdout }).on('line', (line) => { if (JSON.parse(line).type === 'result') child.stdin.end(); });
    child.stdin.write(userLine(prompt));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`claude exit ${code}`))));
  });
}

function childrenOf(pid) {
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch { /* gone */ }
  }
  return children;
}
const rssKiB = (pid) => { try { return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]); } catch { return 0; } };
const treeRssMiB = (pid) => (rssKiB(pid) + childrenOf(pid).reduce((sum, child) => sum + rssKiB(child), 0)) / 1024;

// 1. Follow-up turns, alternating so that load affects all three alike.
console.log(`== 1. Follow-up turns (median of ${turns}, fake model answering at once) ==`);
const bare = bareLiveCli();
await bare.turn('seed for the bare live CLI');
const spawnSeed = bareLiveCli();
await spawnSeed.turn('seed for spawn-per-turn');
await spawnSeed.close();
const ours = server();
await ours.request('initialize', {});
const seed = await ours.request('session/create', { workingDirectory: WORK, prompt: 'seed for the server' });
const t = { bare: [], spawned: [], ours: [] };
for (let i = 0; i < turns; i++) {
  t.bare.push(await bare.turn(`bare ${i}`));
  t.spawned.push(await spawnPerTurn(`spawned ${i}`, spawnSeed.sessionId));
  t.ours.push((await ours.request('session/resume', { sessionId: seed.result.sessionId, prompt: `ours ${i}` })).ms);
}
await bare.close();
console.log(`server (live) ${fmt(median(t.ours))}, bare live CLI ${fmt(median(t.bare))}, spawn-per-turn --resume ${fmt(median(t.spawned))}`);
report('follow-up through the server / bare live CLI', median(t.ours) / median(t.bare), 1.5, true);
report('spawn-per-turn / follow-up through the server', median(t.spawned) / median(t.ours), 5, false);

// 2. Prepared create against cold create, in the same server, alternating; a spare is given 3 s to start.
console.log(`\n== 2. session/create, prepared vs cold (median of ${Math.ceil(turns / 2)}) ==`);
const c = { prepared: [], cold: [] };
for (let i = 0; i < Math.ceil(turns / 2); i++) {
  const folder = fs.mkdtempSync(path.join(SCRATCH, 'folder-'));
  c.cold.push((await ours.request('session/create', { workingDirectory: folder, prompt: `cold ${i}` })).ms);
  await ours.request('session/prepare', { workingDirectory: folder });
  await sleep(3000);
  c.prepared.push((await ours.request('session/create', { workingDirectory: folder, prompt: `prepared ${i}` })).ms);
}
console.log(`prepared ${fmt(median(c.prepared))}, cold ${fmt(median(c.cold))}`);
report('cold create / prepared create', median(c.cold) / median(c.prepared), 5, false);
await ours.close();

// 3. Memory: the server and its CLI children with N live sessions, then after the idle timeout.
console.log(`\n== 3. Memory with ${liveCount} live sessions ==`);
const memory = server(['--live-sessions', String(liveCount), '--live-idle-timeout', '5']);
await memory.request('initialize', {});
const idleServer = rssKiB(memory.child.pid) / 1024;
for (let i = 0; i < liveCount; i++) await memory.request('session/create', { workingDirectory: WORK, prompt: `live ${i}` });
const withLive = treeRssMiB(memory.child.pid);
const liveChildren = childrenOf(memory.child.pid).length;
await sleep(8000);
const afterIdle = treeRssMiB(memory.child.pid);
const childrenAfterIdle = childrenOf(memory.child.pid).length;
await memory.close();
console.log(`server alone at start ${idleServer.toFixed(0)} MiB; server + ${liveChildren} live CLIs ${withLive.toFixed(0)} MiB (${((withLive - idleServer) / Math.max(1, liveChildren)).toFixed(0)} MiB a CLI); after the idle timeout (5 s) ${afterIdle.toFixed(0)} MiB with ${childrenAfterIdle} CLIs`);
results.push({ name: 'idle processes closed', met: childrenAfterIdle === 0 });

console.log(`\n${results.filter((r) => r.met).length} of ${results.length} targets met.`);
