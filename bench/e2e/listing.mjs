// Issue 23's listing ratios, run by bench/listing.sh (which builds the tool and makes the corpus of 2,000 with the real CLI):
//   1. the first whole listing of 2,000 transcripts, fresh server and store against a fresh Node process's first
//      listSessions({dir}), five runs, every run >= 5x;
//   2. the corpus grown to COUNT_LARGE (default 10000): the first listResumable limit 50 against a fresh Node
//      process's first listSessions({dir, limit: 50}), five runs, ratio of the medians >= 3x;
//   3. OWN (default 2000) of the server's own sessions in a folder of their own (3 made with session/create and
//      session/resume through the real CLI on the fake API, the rest session/fork copies of them): the first whole
//      listing of a fresh server over that store <= BASELINE_MS/5 (default 1700 ms, the issue's "today"), and a warm
//      listResumable limit 50 >= 20x the SDK's warm listSessions({dir, limit: 50}).
// Both sides of a cold measurement run with the corpus in the page cache: every transcript is read in full just
// before each side's measurement, so neither pays the disk for the other; the two sides take turns going first.
// A time is the request alone (ours: one JSON-RPC request after initialize; the SDK's: the listSessions call after
// its import), not the process start.
// Env: SIDECAR (the server command, JSON array), CLAUDE, API, CONFIG, WORK (the corpus's folder), OWNDIR (an empty
// folder for part 3), SCRATCH, SDK_MODULE_DIR; RUNS (warm runs, default 10), COLD_RUNS (default 5), COUNT_LARGE
// (0 skips part 2), OWN (0 skips part 3), BASELINE_MS (default 1700).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcProcess, median, percentile } from './rpc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { CLAUDE, API, CONFIG, WORK, OWNDIR, SCRATCH } = process.env;
const sidecar = JSON.parse(process.env.SIDECAR);
const runs = Number(process.env.RUNS ?? 10);
const coldRuns = Number(process.env.COLD_RUNS ?? 5);
const countLarge = Number(process.env.COUNT_LARGE ?? 10000);
const own = Number(process.env.OWN ?? 2000);
const baselineMs = Number(process.env.BASELINE_MS ?? 1700);
const cliEnv = { ...process.env, CLAUDE_CONFIG_DIR: CONFIG, ANTHROPIC_BASE_URL: API, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const list = (ms) => ms.map((m) => m.toFixed(1)).join(', ');
const results = [];
function verdict(name, met, text) {
  results.push({ name, met });
  console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${text}`);
}
const projectDirOf = (folder) => path.join(CONFIG, 'projects', fs.realpathSync(folder).replace(/[^a-zA-Z0-9]/g, '-'));
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// A server on the given store (a fresh one unless named).
let storeCount = 0;
const newStore = () => path.join(SCRATCH, `listing-store-${storeCount++}`);
const server = (store = newStore()) =>
  new RpcProcess(sidecar[0], [...sidecar.slice(1), '--framing', 'newline', '--store', store, '--claude-config-dir', CONFIG, '--claude-path', CLAUDE], { env: cliEnv });
// The SDK's side in a fresh Node process (sdk-host.mjs), its one JSON line parsed.
function sdkHost(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [path.join(here, 'sdk-host.mjs'), ...args], { env: cliEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`sdk-host ${args[0]} exit ${code}`))));
  });
}
// Reads every transcript of a project folder to its end (into one reused buffer), so that the next measurement
// finds them all in the page cache. Returns the time it took.
const chunk = Buffer.alloc(1 << 20);
function warmCache(projectDir) {
  const started = performance.now();
  for (const name of fs.readdirSync(projectDir)) {
    if (!name.endsWith('.jsonl')) continue;
    const fd = fs.openSync(path.join(projectDir, name), 'r');
    while (fs.readSync(fd, chunk, 0, chunk.length, null) > 0) { /* read on */ }
    fs.closeSync(fd);
  }
  return performance.now() - started;
}
// One request of a fresh server on the given store (a fresh one by default): initialize, then the timed request.
async function firstRequest(method, params, store) {
  const p = server(store);
  await p.request('initialize', {});
  const answer = await p.request(method, params);
  await p.close();
  return { ms: answer.ms, sessions: answer.result.sessions };
}
// Runs ours and the SDK's cold measurement `coldRuns` times, the corpus read into the page cache before each side,
// the side going first alternating between runs. Returns [{ours, sdk, ratio}], each side's whole answer kept.
async function coldPairs(projectDir, oursOnce, sdkOnce) {
  const pairs = [];
  for (let i = 0; i < coldRuns; i++) {
    let ours, sdk;
    const measureOurs = async () => { warmCache(projectDir); ours = await oursOnce(); };
    const measureSdk = async () => { warmCache(projectDir); sdk = await sdkOnce(); };
    if (i % 2 === 0) { await measureOurs(); await measureSdk(); } else { await measureSdk(); await measureOurs(); }
    pairs.push({ ours, sdk, ratio: sdk.ms / ours.ms });
    console.log(`  run ${i + 1} (${i % 2 === 0 ? 'ours first' : 'SDK first'}): ours ${fmt(ours.ms)}, SDK ${fmt(sdk.ms)}, ratio ${(sdk.ms / ours.ms).toFixed(2)}x (load ${load()})`);
  }
  return pairs;
}
const sameOrder = (a, b) => a.length === b.length && a.every((id, i) => id === b[i]);
const sameSet = (a, b) => { const s = new Set(a); return s.size === new Set(b).size && b.every((id) => s.has(id)); };
const resumableIds = (sessions) => sessions.filter((s) => s.status?.resumable ?? true).map((s) => s.sessionId);

// 1. The first whole listing of the corpus (COUNT, 2,000 by default).
const projectDir = projectDirOf(WORK);
const files = fs.readdirSync(projectDir).filter((n) => n.endsWith('.jsonl')).length;
console.log(`\n== 1. First whole listing of ${files} transcripts (fresh server and store / fresh Node process), ${coldRuns} runs ==`);
console.log(`page cache: every transcript read before each side's measurement (${fmt(warmCache(projectDir))} for one pass)`);
const whole = { workingDirectory: WORK, includeExternal: true, limit: 10000 };
const p1 = await coldPairs(projectDir, () => firstRequest('session/list', whole), () => sdkHost(['first', WORK]));
const p1Ratios = p1.map((p) => p.ratio);
verdict(`first whole listing of ${files}, every run >= 5x`, p1Ratios.every((r) => r >= 5),
  `ratios ${p1Ratios.map((r) => r.toFixed(2)).join(', ')}x; median ours ${fmt(median(p1.map((p) => p.ours.ms)))}, SDK ${fmt(median(p1.map((p) => p.sdk.ms)))}, median ratio ${median(p1Ratios).toFixed(2)}x, lowest ${Math.min(...p1Ratios).toFixed(2)}x (target: every run >= 5x)`);
{
  const ours = resumableIds(p1[0].ours.sessions), theirs = p1[0].sdk.ids;
  const listedAll = p1[0].ours.sessions.length;
  verdict('same sessions (part 1)', sameSet(ours, theirs) && sameOrder(ours.slice(0, 50), theirs.slice(0, 50)),
    `ours ${ours.length} resumable (${listedAll} listed), SDK ${theirs.length}; same set ${sameSet(ours, theirs)}, same first 50 in order ${sameOrder(ours.slice(0, 50), theirs.slice(0, 50))}; every run the same count: ours ${p1.every((p) => p.ours.sessions.length === listedAll)}, SDK ${p1.every((p) => p.sdk.count === theirs.length)}`);
}

// 2. The corpus grown to COUNT_LARGE: the first limit-50 listing.
if (countLarge > 0) {
  console.log(`\n== 2. First listing, limit 50, of ${countLarge} transcripts, ${coldRuns} runs ==`);
  const grown = spawnSync('node', [path.join(here, 'grow-corpus.mjs'), projectDir, String(countLarge)], { encoding: 'utf8' });
  if (grown.status !== 0) throw new Error(`grow-corpus failed: ${grown.stderr}`);
  const corpus = JSON.parse(grown.stdout);
  console.log(`corpus grown: ${corpus.files} transcripts, ${(corpus.bytes / 1048576).toFixed(0)} MiB; one pass of the page-cache reading ${fmt(warmCache(projectDir))}`);
  const list50 = { workingDirectory: WORK, includeExternal: true, limit: 50 };
  const p2 = await coldPairs(projectDir, () => firstRequest('session/listResumable', list50), () => sdkHost(['first', WORK, '50']));
  const oursMedian = median(p2.map((p) => p.ours.ms)), sdkMedian = median(p2.map((p) => p.sdk.ms));
  verdict(`first listResumable limit 50 of ${corpus.files}, ratio of medians >= 3x`, sdkMedian / oursMedian >= 3,
    `median ours ${fmt(oursMedian)}, SDK ${fmt(sdkMedian)}, ratio ${(sdkMedian / oursMedian).toFixed(2)}x (runs' ratios ${p2.map((p) => p.ratio.toFixed(2)).join(', ')}x; target >= 3x)`);
  const same = p2.every((p) => sameOrder(p.ours.sessions.map((s) => s.sessionId), p.sdk.ids));
  verdict('same first 50 in order (part 2)', same, `every run's 50 the same sessions in the same order: ${same}`);
}

// 3. The server's own sessions: a few real ones, forked until the folder holds OWN.
if (own > 0) {
  console.log(`\n== 3. ${own} of the server's own sessions in ${OWNDIR} ==`);
  fs.mkdirSync(OWNDIR, { recursive: true });
  // Prompts shaped like pasted code (make-corpus.mjs's bigPrompt), so that the transcripts weigh what real ones do.
  const bigPrompt = (seed, kb) => {
    const lines = [`Please review this code (part ${seed}) and tell me what is wrong:`];
    for (let i = 0; lines.join('\n').length < kb * 1024; i++) lines.push(`    public int Method${seed}_${i}(int value) { return value * ${i} + ${seed}; } // line ${i} of the listing`);
    return lines.join('\n');
  };
  const ownStore = newStore();
  const maker = server(ownStore);
  await maker.request('initialize', {});
  const bases = [];
  const makeStarted = performance.now();
  for (let b = 0; b < 3; b++) {
    const created = await maker.request('session/create', { workingDirectory: OWNDIR, prompt: b === 0 ? 'Fix the failing build in the own folder' : bigPrompt(100 + b, 4 + 2 * b) });
    const id = created.result.sessionId;
    // One or two follow-up turns, each with a pasted listing.
    for (let t = 0; t < 1 + (b % 2); t++) await maker.request('session/resume', { sessionId: id, prompt: bigPrompt(200 + 10 * b + t, 6 + 2 * t) });
    bases.push(id);
  }
  const ownProject = projectDirOf(OWNDIR);
  const baseSizes = bases.map((id) => fs.statSync(path.join(ownProject, `${id}.jsonl`)).size);
  console.log(`made ${bases.length} sessions with session/create and session/resume (real CLI, fake API) in ${fmt(performance.now() - makeStarted)}; transcripts ${baseSizes.map((b) => `${(b / 1024).toFixed(0)} KiB`).join(', ')}`);
  // Forks, round-robin over the made sessions: each copies a transcript and records the new session (no CLI runs).
  const forkMs = [];
  const forkStarted = performance.now();
  for (let i = bases.length; i < own; i++) {
    const forked = await maker.request('session/fork', { sessionId: bases[i % bases.length] });
    if (!forked.result.sessionId) throw new Error(`fork answered no session: ${JSON.stringify(forked.result)}`);
    forkMs.push(forked.ms);
    if ((i + 1) % 500 === 0) console.log(`  ${i + 1} sessions, ${fmt(performance.now() - forkStarted)} of forking so far`);
  }
  const forkTotal = performance.now() - forkStarted;
  console.log(`forked ${forkMs.length} in ${(forkTotal / 1000).toFixed(1)} s: a fork's median ${fmt(median(forkMs))}, p95 ${fmt(percentile(forkMs, 95))}, max ${fmt(Math.max(...forkMs))}`);
  await maker.close();
  const ownFiles = fs.readdirSync(ownProject).filter((n) => n.endsWith('.jsonl'));
  const ownBytes = ownFiles.reduce((sum, n) => sum + fs.statSync(path.join(ownProject, n)).size, 0);
  console.log(`the folder's project folder: ${ownFiles.length} transcripts, ${(ownBytes / 1048576).toFixed(0)} MiB; the server closed`);
  // Every measurement of a first listing gets its own copy of that store as the maker left it: the records are
  // there, nothing was listed before.
  const storeCopy = () => { const copy = newStore(); fs.cpSync(ownStore, copy, { recursive: true }); return copy; };
  const ownWhole = { workingDirectory: OWNDIR, includeExternal: true, limit: 10000 };
  const own50 = { workingDirectory: OWNDIR, includeExternal: true, limit: 50 };

  // (a) First listings, against the issue's baseline (and the SDK's first whole listing of the same folder, for scale).
  console.log(`(a) first listings, fresh server over a copy of that store, ${coldRuns} runs each:`);
  const p3 = await coldPairs(ownProject, () => firstRequest('session/list', ownWhole, storeCopy()), () => sdkHost(['first', OWNDIR]));
  const first50 = [];
  for (let i = 0; i < coldRuns; i++) {
    warmCache(ownProject);
    first50.push(await firstRequest('session/listResumable', own50, storeCopy()));
  }
  const wholeMedian = median(p3.map((p) => p.ours.ms));
  console.log(`  first listResumable limit 50 (fresh server, copy of the store): ${list(first50.map((f) => f.ms))} ms, median ${fmt(median(first50.map((f) => f.ms)))}`);
  verdict(`first whole listing of ${ownFiles.length} own sessions <= ${baselineMs}/5 = ${fmt(baselineMs / 5)}`, wholeMedian <= baselineMs / 5,
    `median ${fmt(wholeMedian)} (runs ${list(p3.map((p) => p.ours.ms))} ms, slowest ${fmt(Math.max(...p3.map((p) => p.ours.ms)))}), ${baselineMs} ms / ours = ${(baselineMs / wholeMedian).toFixed(2)}x (target >= 5x); the SDK's first whole listing of that folder: median ${fmt(median(p3.map((p) => p.sdk.ms)))}, ratio ${median(p3.map((p) => p.ratio)).toFixed(2)}x`);

  // (b) Warm: one server, one listing first, then RUNS limit-50 listings; the SDK's warm ones in one Node process.
  const warmServer = server(storeCopy());
  await warmServer.request('initialize', {});
  const warmWhole = await warmServer.request('session/list', ownWhole);
  const warm50 = [];
  let ours50 = [];
  for (let i = 0; i < runs; i++) {
    const answer = await warmServer.request('session/listResumable', own50);
    warm50.push(answer.ms);
    ours50 = answer.result.sessions.map((s) => s.sessionId);
  }
  await warmServer.close();
  const sdkWarm = await sdkHost(['list', OWNDIR, String(runs), 'limit-only']);
  console.log(`(b) warm limit 50, ${runs} runs: ours ${list(warm50)} ms; SDK ${list(sdkWarm.warm50)} ms`);
  verdict('warm listResumable limit 50 of own sessions >= 20x the SDK', median(sdkWarm.warm50) / median(warm50) >= 20,
    `ours median ${fmt(median(warm50))}, SDK ${fmt(median(sdkWarm.warm50))}, ratio ${(median(sdkWarm.warm50) / median(warm50)).toFixed(2)}x (target >= 20x)`);
  // Do both list the same sessions: the whole set (ours: the resumable ones of the whole listing, each the server's
  // own) and the first 50 in order.
  const oursAll = resumableIds(warmWhole.result.sessions), sdkAll = p3[0].sdk.ids;
  const sidecarCount = warmWhole.result.sessions.filter((s) => s.source === 'sidecar').length;
  const sdk50 = sdkWarm.first50.map((s) => s.sessionId);
  const same = sameSet(oursAll, sdkAll) && sameOrder(ours50, sdk50) && sameOrder(ours50, p3[0].sdk.ids.slice(0, 50));
  verdict('same sessions (part 3)', same,
    `ours ${warmWhole.result.sessions.length} listed (${oursAll.length} resumable, ${sidecarCount} the server's own), SDK ${sdkAll.length}; same set ${sameSet(oursAll, sdkAll)}, same first 50 in order ${sameOrder(ours50, sdk50)}; first whole listings agree with the warm one ${p3.every((p) => p.ours.sessions.length === warmWhole.result.sessions.length)}`);
  if (!same) {
    // Say where they part: sessions one side lists and the other does not, and the first position of the 50 that differs.
    const sdkSet = new Set(sdkAll), oursSet = new Set(oursAll);
    const onlyOurs = oursAll.filter((id) => !sdkSet.has(id)), onlySdk = sdkAll.filter((id) => !oursSet.has(id));
    const at = ours50.findIndex((id, i) => id !== sdk50[i]);
    console.log(`  only ours: ${onlyOurs.length} ${onlyOurs.slice(0, 3).join(' ')}; only the SDK's: ${onlySdk.length} ${onlySdk.slice(0, 3).join(' ')}; first 50 differ first at ${at} (ours ${ours50[at]}, SDK ${sdk50[at]} ${sdkWarm.first50[at]?.lastModified})`);
  }
}

console.log(`\n${results.filter((r) => r.met).length} of ${results.length} targets met.`);
