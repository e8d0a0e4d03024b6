// The prepared first turn against the official TypeScript SDK's pre-warm, in one run on the same fake Messages API:
// the SDK's startup() (awaited) then query(prompt) to its result, against this server's session/prepare then
// session/create, and a cold session/create; each in a fresh folder, each prompt sent 3 s after its process started,
// the three kinds alternating. Run by bench/prewarm.sh.
// Env: SIDECAR (the server command, JSON array), CLAUDE, API, CONFIG, SCRATCH, SDK_MODULE_DIR, RUNS (default 7).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RpcProcess, median } from './rpc.mjs';

const { CLAUDE, API, CONFIG, SCRATCH } = process.env;
const sidecar = JSON.parse(process.env.SIDECAR);
const runs = Number(process.env.RUNS ?? 7);
const sdk = await import(pathToFileURL(path.join(process.env.SDK_MODULE_DIR, '@anthropic-ai/claude-agent-sdk/sdk.mjs')).href);
const cliEnv = { ...process.env, CLAUDE_CONFIG_DIR: CONFIG, ANTHROPIC_BASE_URL: API, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const folder = () => fs.mkdtempSync(path.join(SCRATCH, 'folder-'));

const ours = new RpcProcess(sidecar[0], [...sidecar.slice(1), '--framing', 'newline', '--store', path.join(SCRATCH, 'store'), '--claude-config-dir', CONFIG, '--claude-path', CLAUDE], { env: cliEnv });
await ours.request('initialize', {});

async function sdkWarm(i) {
  const started = performance.now();
  const warm = await sdk.startup({ options: { cwd: folder(), pathToClaudeCodeExecutable: CLAUDE, env: cliEnv, permissionMode: 'default' } });
  await sleep(Math.max(0, 3000 - (performance.now() - started)));
  const sent = performance.now();
  for await (const message of warm.query(`sdk ${i}`)) {
    if (message.type === 'result') {
      const ms = performance.now() - sent;
      await warm[Symbol.asyncDispose]?.();
      return ms;
    }
  }
  throw new Error('the SDK query ended without a result');
}

async function prepared(i) {
  const workingDirectory = folder();
  await ours.request('session/prepare', { workingDirectory });
  await sleep(3000);
  return (await ours.request('session/create', { workingDirectory, prompt: `prepared ${i}` })).ms;
}

const cold = async (i) => (await ours.request('session/create', { workingDirectory: folder(), prompt: `cold ${i}` })).ms;

const t = { sdk: [], prepared: [], cold: [] };
await prepared('warm-up');
await sdkWarm('warm-up');
for (let i = 0; i < runs; i++) {
  t.sdk.push(await sdkWarm(i));
  t.prepared.push(await prepared(i));
  t.cold.push(await cold(i));
}
await ours.close();

const line = (name, values) => console.log(`${name.padEnd(34)} median ${fmt(median(values))}  (${values.map((v) => v.toFixed(0)).join(', ')})`);
console.log(`== a prepared first turn (median of ${runs}, each prompt 3 s after its CLI started) ==`);
line('SDK startup() then query()', t.sdk);
line('session/prepare then session/create', t.prepared);
line('cold session/create', t.cold);
const results = [
  ['prepared create / SDK startup()+query()', median(t.prepared) / median(t.sdk), 1.0, true],
  ['cold create / prepared create', median(t.cold) / median(t.prepared), 3.0, false],
];
for (const [name, ratio, target, atMost] of results) {
  const met = atMost ? ratio <= target : ratio >= target;
  console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${ratio.toFixed(2)}x (target ${atMost ? '<=' : '>='} ${target}x)`);
}
