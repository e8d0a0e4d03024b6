// The search benchmark (issue 20, section 5), run by bench/search.sh: session/search against ripgrep over the same
// project folder, warm page cache for both. Env: SIDECAR (the server command, JSON array), CLAUDE, CONFIG, WORK,
// SCRATCH, RUNS (default 5).
// For each phrase: ripgrep's `rg -l -w -F <phrase> <project folder>` (RUNS runs, median) and its set of files; then a
// fresh server on a fresh store: its first search (builds the index, and the listing's summaries), then RUNS later
// searches of each phrase on the same server. A search's time is the whole answer: every page of session/search
// (limit 1000, the largest page) until no nextCursor, as rg -l prints every file; the first page of 50 (a UI's page)
// is printed too. The sessions found must be exactly the transcripts ripgrep lists.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RpcProcess, median } from './rpc.mjs';

const { CLAUDE, CONFIG, WORK, SCRATCH } = process.env;
const sidecar = JSON.parse(process.env.SIDECAR);
const runs = Number(process.env.RUNS ?? 5);
const projectDir = path.join(CONFIG, 'projects', fs.realpathSync(WORK).replace(/[^a-zA-Z0-9]/g, '-'));
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const results = [];
function report(name, ok, text) {
  results.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${text}`);
}

// Phrases that are in the prompts (so in the conversation part, and in the lines that repeat the prompt: queue,
// last-prompt), with different hit counts: in every transcript, in a third (two of the six real ones start with it),
// planted by grow-corpus (PLANT=1) in 1% and 0.1% of the copies, and in none.
const phrases = (process.env.PHRASES ? JSON.parse(process.env.PHRASES) : ['review this code', 'Fix the failing build', 'wombat', 'quokka', 'xylophonist']);

function warm() {
  const started = performance.now();
  const r = spawnSync('sh', ['-c', `find "${projectDir}" -name '*.jsonl' -exec cat {} + > /dev/null`]);
  if (r.status !== 0) throw new Error('warming failed');
  return performance.now() - started;
}
function rg(phrase) {
  const started = performance.now();
  const r = spawnSync('rg', ['-l', '-w', '-F', phrase, projectDir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - started;
  if (r.status !== 0 && r.status !== 1) throw new Error(`rg failed: ${r.stderr}`);
  return { ms, files: new Set(r.stdout.split('\n').filter(Boolean).map((file) => path.resolve(file))) };
}

console.log(`\n== Search ${projectDir} (${fs.readdirSync(projectDir).filter((n) => n.endsWith('.jsonl')).length} transcripts) ==`);
console.log(`page cache warmed (every file read) in ${fmt(warm())}`);
const rgTimes = {}, rgSets = {};
for (const phrase of phrases) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = rg(phrase);
    times.push(r.ms);
    rgSets[phrase] = r.files;
  }
  rgTimes[phrase] = median(times);
  console.log(`rg -l -w -F "${phrase}": ${rgSets[phrase].size} files, median of ${runs} ${fmt(rgTimes[phrase])} (${times.map((t) => t.toFixed(0)).join(', ')})`);
}

const server = new RpcProcess(sidecar[0], [...sidecar.slice(1), '--framing', 'newline', '--store', path.join(SCRATCH, `search-store-${process.pid}`), '--claude-config-dir', CONFIG, '--claude-path', CLAUDE], { env: process.env });
await server.request('initialize', {});
const params = (query, limit, cursor) => ({ query: `"${query}"`, workingDirectory: WORK, includeExternal: true, limit, ...(cursor ? { cursor } : {}) });
/** Every page (limit 1000): the time of the whole answer, the time of its first page, and the transcripts found. */
async function searchAll(phrase) {
  const started = performance.now();
  const files = new Set();
  let cursor, first;
  do {
    const page = await server.request('session/search', params(phrase, 1000, cursor));
    first ??= page.ms;
    for (const s of page.result.sessions) files.add(s.filePath);
    cursor = page.result.nextCursor;
  } while (cursor);
  return { ms: performance.now() - started, firstPageMs: first, files };
}
const same = (a, b) => a.size === b.size && [...a].every((f) => b.has(f));

console.log(`page cache warmed again in ${fmt(warm())}`);
const first = await searchAll(phrases[0]);
console.log(`first search on a fresh store ("${phrases[0]}", ${first.files.size} sessions): first page of 1000 ${fmt(first.firstPageMs)} (builds the index), whole answer ${fmt(first.ms)}`);
report('first search <= 3x ripgrep', first.ms <= 3 * rgTimes[phrases[0]], `${fmt(first.ms)} vs rg ${fmt(rgTimes[phrases[0]])}: ${(first.ms / rgTimes[phrases[0]]).toFixed(1)}x rg's time (target <= 3x)`);
report('first search finds what ripgrep finds', same(first.files, rgSets[phrases[0]]), `${first.files.size} vs ${rgSets[phrases[0]].size}`);

for (const phrase of phrases) {
  const times = [], firstPages = [], page50 = [];
  let found;
  for (let i = 0; i < runs; i++) {
    const r = await searchAll(phrase);
    times.push(r.ms);
    firstPages.push(r.firstPageMs);
    found = r.files;
    page50.push((await server.request('session/search', params(phrase, 50))).ms);
  }
  const ratio = rgTimes[phrase] / median(times);
  console.log(`later "${phrase}": ${found.size} sessions, whole answer median ${fmt(median(times))} (${times.map((t) => t.toFixed(1)).join(', ')}), its first page of 1000 ${fmt(median(firstPages))}, a page of 50 ${fmt(median(page50))}`);
  report(`later search "${phrase}" >= 50x faster than ripgrep`, ratio >= 50, `${fmt(median(times))} vs rg ${fmt(rgTimes[phrase])}: ${ratio.toFixed(1)}x faster (target >= 50x)`);
  report(`later search "${phrase}" finds what ripgrep finds`, same(found, rgSets[phrase]), `${found.size} vs ${rgSets[phrase].size}`);
}
console.log(`peak RSS of the server: ${(server.peakRssKiB() / 1024).toFixed(0)} MiB; search.db ${(fs.statSync(path.join(SCRATCH, `search-store-${process.pid}`, 'search.db')).size / 1048576).toFixed(0)} MiB`);
await server.close();
console.log(`\n${results.filter((r) => r.ok).length} of ${results.length} search checks passed.`);
