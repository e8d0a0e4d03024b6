// The PostgreSQL store benchmark. Run by bench/postgres.sh, which starts the fake Messages API and a throw-away
// PostgreSQL cluster with an empty database.
// 1. The same turns (1 create + RESUMES resumes, a short prompt) through four long-running servers over stdio, their
//    turns alternating so that load falls on each alike: SQLite and PostgreSQL, each with live sessions at the default
//    and with --live-sessions 0. Then, MACHINES times, a new server on an empty config folder and local store on the
//    same database ("machine B") resumes those sessions: the first resume writes the transcript from the store.
// 2. 2,000 sessions of one user seeded from the real transcript of part 1 (rows in sidecar_sessions judged as the
//    server judges them, and the transcript's entries under each id; the same files and `sessions` rows for SQLite),
//    then session/list (limit 50) and session/listResumable (limit 1000, the protocol's largest) timed cold (a
//    fresh server's first call) and warm (the median of WARM).
// Env: SIDECAR (the server command, JSON array), CLAUDE, API, WORK, SCRATCH, PG_URL, PSQL (psql with its connection
// options, JSON array), RESUMES, MACHINES, COUNT, WARM.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RpcProcess, median, percentile } from './rpc.mjs';

const { CLAUDE, API, WORK, SCRATCH, PG_URL } = process.env;
const sidecar = JSON.parse(process.env.SIDECAR);
const psqlCommand = JSON.parse(process.env.PSQL);
const resumes = Number(process.env.RESUMES ?? 20);
const machines = Number(process.env.MACHINES ?? 8);
const count = Number(process.env.COUNT ?? 2000);
const warmRuns = Number(process.env.WARM ?? 5);
const lister = 'bench-lister';
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

let folders = 0;
function folder(name) {
  const made = path.join(SCRATCH, `${name}-${folders++}`);
  fs.mkdirSync(made, { recursive: true });
  return made;
}

/** A server over stdio; `store` a folder (SQLite) or PG_URL (then `localStore` is this machine's SQLite folder). */
function server({ store, localStore, config, live, log }) {
  const args = [...sidecar.slice(1), '--framing', 'newline', '--store', store, '--claude-config-dir', config, '--claude-path', CLAUDE, '--log-file', path.join(SCRATCH, `${log}.log`)];
  if (localStore) args.push('--local-store', localStore);
  if (live !== undefined) args.push('--live-sessions', String(live));
  const env = { ...process.env, CLAUDE_CONFIG_DIR: config, ANTHROPIC_BASE_URL: API, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  return new RpcProcess(sidecar[0], args, { env });
}

function run(command, args, input) {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}
const psql = (sql, variables = {}) =>
  run(psqlCommand[0], [...psqlCommand.slice(1), '-At', ...Object.entries(variables).flatMap(([k, v]) => ['-v', `${k}=${v}`]), '-f', '-'], sql).trim();
const sqlite = (database, sql) => run('sqlite3', [database], sql).trim();
const quote = (text) => `'${String(text).replaceAll("'", "''")}'`;
const stats = (values) => ({ median: median(values), p90: percentile(values, 90), min: Math.min(...values), max: Math.max(...values) });

// ---------------------------------------------------------------------------------------------------------------
// 1. The cost of mirroring per turn.
console.log(`\n== 1. Turns: 1 create + ${resumes} resumes per server, short prompt, fake model answering at once (load ${load()}) ==`);
const variants = [
  { name: 'SQLite, live sessions (default 4)', pg: false },
  { name: 'PostgreSQL, live sessions (default 4)', pg: true },
  { name: 'SQLite, --live-sessions 0', pg: false, live: 0 },
  { name: 'PostgreSQL, --live-sessions 0', pg: true, live: 0 },
];
for (const [i, v] of variants.entries()) {
  v.config = folder('config-a');
  v.server = server({ store: v.pg ? PG_URL : folder('store-a'), localStore: v.pg ? folder('local-a') : null, config: v.config, live: v.live, log: `a${i}` });
  await v.server.request('initialize', {});
  v.resumes = [];
  // A turn's two halves: up to the CLI's result message (the checks before the turn, and the CLI's turn), and from
  // it to the answer (what the server does after the turn: with PostgreSQL, the mirror's last writes and the reconcile).
  v.server.onNotification = (message, at) => { if (message.method === 'session/message' && message.params.message.type === 'result') v.resultAt = at; };
  v.untilResult = [];
  v.afterResult = [];
}
const checkMirrored = (v, answer, what) => {
  if (v.pg && answer.result.mirrored !== true) throw new Error(`${v.name}: ${what} answered mirrored=${answer.result.mirrored}`);
  if (!v.pg && answer.result.mirrored !== undefined) throw new Error(`${v.name}: mirrored with SQLite`);
};
for (const v of variants) {
  const created = await v.server.request('session/create', { workingDirectory: WORK, prompt: 'Say hello' });
  checkMirrored(v, created, 'create');
  v.sessionId = created.result.sessionId;
  v.create = created.ms;
}
const loadBefore = load();
psql('SELECT pg_stat_statements_reset()');
for (let i = 0; i < resumes; i++) {
  // Alternate the order each round, so that no store always follows the other.
  for (const v of i % 2 ? [...variants].reverse() : variants) {
    const answer = await v.server.request('session/resume', { sessionId: v.sessionId, prompt: `Question ${i + 1}: what is ${i} + ${i}?` });
    checkMirrored(v, answer, `resume ${i + 1}`);
    v.resumes.push(answer.ms);
    v.untilResult.push(answer.ms - (answer.at - v.resultAt));
    v.afterResult.push(answer.at - v.resultAt);
    v.transcriptPath = answer.result.status.filePath;
    v.fileSize = answer.result.status.fileSize;
  }
}
const statements = psql(`SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC`).split('\n').filter(Boolean).map((line) => line.split('|'))
  .map(([calls, ms, ...query]) => ({ calls: Number(calls), ms: Number(ms), query: query.join('|') }));
console.log(`load at the start of the resumes ${loadBefore}, at the end ${load()}`);
for (const v of variants) {
  const s = stats(v.resumes);
  const half = resumes >> 1;
  console.log(`${v.name.padEnd(38)} create ${fmt(v.create)}; resume median ${fmt(s.median)}, p90 ${fmt(s.p90)} (min ${fmt(s.min)}, max ${fmt(s.max)}; median of the first ${half} ${fmt(median(v.resumes.slice(0, half)))}, of the last ${resumes - half} ${fmt(median(v.resumes.slice(half)))}); transcript ${(v.fileSize / 1024).toFixed(0)} KiB`);
  console.log(`${''.padEnd(38)} request to the CLI's result message median ${fmt(median(v.untilResult))}, result message to the answer median ${fmt(median(v.afterResult))} (first ${half} ${fmt(median(v.afterResult.slice(0, half)))}, last ${resumes - half} ${fmt(median(v.afterResult.slice(half)))})`);
}
for (const [sqliteV, pgV] of [[variants[0], variants[1]], [variants[2], variants[3]]]) {
  const a = stats(sqliteV.resumes), b = stats(pgV.resumes);
  console.log(`PostgreSQL - SQLite, ${sqliteV.live === 0 ? '--live-sessions 0' : 'live sessions'}: median +${fmt(b.median - a.median)} (${(b.median / a.median).toFixed(2)}x), p90 +${fmt(b.p90 - a.p90)} (${(b.p90 / a.p90).toFixed(2)}x); create +${fmt(pgV.create - sqliteV.create)} (${(pgV.create / sqliteV.create).toFixed(2)}x); before the result message +${fmt(median(pgV.untilResult) - median(sqliteV.untilResult))}, after it +${fmt(median(pgV.afterResult) - median(sqliteV.afterResult))}`);
}
const pgTurns = 2 * resumes;
console.log(`PostgreSQL's side of the ${pgTurns} PostgreSQL resumes: ${(statements.reduce((sum, s) => sum + s.calls, 0) / pgTurns).toFixed(1)} statements a turn, ${(statements.reduce((sum, s) => sum + s.ms, 0) / pgTurns).toFixed(2)} ms a turn executing them; the heaviest:`);
for (const s of statements.slice(0, 8)) console.log(`  ${(s.calls / pgTurns).toFixed(1)} a turn, ${(s.ms / pgTurns).toFixed(2)} ms a turn: ${s.query.slice(0, 110)}`);
// The store's copy is the local file, but the CLI's cache lines.
for (const v of variants.filter((x) => x.pg)) {
  const local = fs.readFileSync(v.transcriptPath, 'utf8').split('\n').filter((line) => line && !JSON.parse(line).type?.startsWith('api-request')).length;
  const stored = Number(psql(`SELECT count(*) FROM sidecar_transcript_entries WHERE session_id = ${quote(v.sessionId)} AND subpath = ''`));
  const judged = psql(`SELECT judged_version = transcript_version FROM sidecar_sessions WHERE session_id = ${quote(v.sessionId)}`);
  console.log(`${v.name}: ${stored} entries stored, ${local} lines in the local file (without api-request*), judged ${judged === 't' ? 'at the current version' : 'NOT at the current version'}`);
  if (stored !== local || judged !== 't') throw new Error('the store does not hold the local transcript');
}

// Machine B: a new server, empty config folder and local store, same database; every turn a new CLI process.
console.log(`\n== 1b. A first resume on machine B (empty config folder and local store, same database, --live-sessions 0), ${machines} machines (load ${load()}) ==`);
const [, aLive, , aSpawn] = variants;
const b = { veryFirst: [], first: [], later: [], usedFirst: [], usedNext: [], backOnA: [] };
for (let k = 0; k < machines; k++) {
  const machine = server({ store: PG_URL, localStore: folder('local-b'), config: folder('config-b'), live: 0, log: `b${k}` });
  await machine.request('initialize', {});
  // The very first request of this server: it also pays the resume path's JIT.
  const veryFirst = await machine.request('session/resume', { sessionId: aLive.sessionId, prompt: `On machine B${k}: hello` });
  const first = await machine.request('session/resume', { sessionId: aSpawn.sessionId, prompt: `On machine B${k}: hello` });
  const later = [];
  for (let i = 0; i < 3; i++) later.push(await machine.request('session/resume', { sessionId: aSpawn.sessionId, prompt: `On machine B${k}: and again (${i + 1})` }));
  for (const answer of [veryFirst, first, ...later]) if (answer.result.mirrored !== true || !answer.result.status.filePath.startsWith(SCRATCH)) throw new Error(`machine B: ${JSON.stringify(answer.result)}`);
  b.veryFirst.push(veryFirst.ms);
  b.first.push(first.ms);
  b.later.push(median(later.map((answer) => answer.ms)));
  b.bytes = first.result.status.fileSize;
  await machine.close();
  // A new server again, with a new local store, but in a config folder the CLI has run in 21 times (part 1's SQLite
  // --live-sessions 0 one; that server is idle): is B slower because of its new server or its new config folder?
  const usedConfig = server({ store: PG_URL, localStore: folder('local-b-used'), config: variants[2].config, live: 0, log: `b${k}-used` });
  await usedConfig.request('initialize', {});
  const usedFirst = await usedConfig.request('session/resume', { sessionId: aSpawn.sessionId, prompt: `On machine B${k}, used config folder: hello` });
  const usedNext = await usedConfig.request('session/resume', { sessionId: aSpawn.sessionId, prompt: `On machine B${k}, used config folder: again` });
  b.usedFirst.push(usedFirst.ms);
  b.usedNext.push(usedNext.ms);
  await usedConfig.close();
  // Back on A: its local copy is behind the store's now, so it is written again before the turn.
  b.backOnA.push((await aSpawn.server.request('session/resume', { sessionId: aSpawn.sessionId, prompt: `Back on A after B${k}` })).ms);
}
console.log(`machine B, first request of a new server (a resume, the transcript written from the store): median ${fmt(median(b.veryFirst))} [${b.veryFirst.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`machine B, first resume of another session (written from the store, ${(b.bytes / 1024).toFixed(0)} KiB): median ${fmt(median(b.first))} [${b.first.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`machine B, the next 3 resumes of it (local copy current; each machine's median): median ${fmt(median(b.later))} [${b.later.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`machine B in a config folder the CLI has used before, new server and local store: first request (a resume, written from the store) median ${fmt(median(b.usedFirst))} [${b.usedFirst.map((x) => x.toFixed(0)).join(', ')}], the next resume median ${fmt(median(b.usedNext))} [${b.usedNext.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`machine A, resume after B's turns (written again from the store): median ${fmt(median(b.backOnA))} [${b.backOnA.map((x) => x.toFixed(0)).join(', ')}]`);
const aMedian = median(aSpawn.resumes);
console.log(`B's first resume of a session against its next ones on B: +${fmt(median(b.first) - median(b.later))} (${(median(b.first) / median(b.later)).toFixed(2)}x)`);
console.log(`against a resume on A in a new CLI process (--live-sessions 0, part 1) median ${fmt(aMedian)}: B's first resume +${fmt(median(b.first) - aMedian)} (${(median(b.first) / aMedian).toFixed(2)}x), B's next ones +${fmt(median(b.later) - aMedian)}, a new B server's first request +${fmt(median(b.veryFirst) - aMedian)} (${(median(b.veryFirst) / aMedian).toFixed(2)}x), A's resume after B +${fmt(median(b.backOnA) - aMedian)} (${(median(b.backOnA) / aMedian).toFixed(2)}x); against a resume on A in its live CLI (median ${fmt(median(aLive.resumes))}) B's first resume is ${(median(b.first) / median(aLive.resumes)).toFixed(1)}x`);
for (const v of variants) await v.server.close();

// ---------------------------------------------------------------------------------------------------------------
// 2. Listing 2,000 sessions.
console.log(`\n== 2. Listing ${count} sessions of one user (load ${load()}) ==`);
const sourceId = aSpawn.sessionId;
const sourcePath = aSpawn.transcriptPath;
const sourceText = fs.readFileSync(sourcePath, 'utf8');
const source = psql(`SELECT transcript_version, judged_version, not_resumable_reason IS NULL, transcript_bytes, first_prompt FROM sidecar_sessions WHERE session_id = ${quote(sourceId)}`).split('|');
if (source[0] !== source[1] || source[2] !== 't') throw new Error(`the source session is not judged resumable at its version: ${source}`);
const now = Date.now();
const step = (30 * 86_400_000) / count;
// Activity spread over the past 30 days, distinct, never "just now" (as grow-corpus.mjs spreads it).
const seeded = Array.from({ length: count }, (_, i) => ({ i, id: randomUUID(), at: Math.round(now - 60_000 - i * step - ((i * 7919) % 1000)) }));

// PostgreSQL: the source's row and entries copied under every id, judged at its version (what a reconcile leaves).
let started = performance.now();
const idsFile = path.join(SCRATCH, 'ids.csv');
fs.writeFileSync(idsFile, seeded.map((s) => `${s.i},${s.id},${s.at}`).join('\n') + '\n');
psql(`
CREATE TEMP TABLE ids (i integer, id text, at_ms bigint);
\\copy ids FROM '${idsFile}' WITH (FORMAT csv)
INSERT INTO sidecar_sessions (session_id, user_id, project_key, working_directory, real_working_directory, created_at_ms, last_active_at_ms, title,
    first_prompt, transcript_version, judged_version, not_resumable_reason, transcript_bytes, transcript_modified_ms, custom_title, tag, archived,
    git_branch, summary_first_prompt, is_programmatic)
SELECT ids.id, :'user', s.project_key, s.working_directory, s.real_working_directory, ids.at_ms - (s.last_active_at_ms - s.created_at_ms), ids.at_ms,
    'Bench session ' || ids.i, s.first_prompt, s.transcript_version, s.transcript_version, s.not_resumable_reason, s.transcript_bytes, ids.at_ms,
    s.custom_title, s.tag, s.archived, s.git_branch, s.summary_first_prompt, s.is_programmatic
FROM sidecar_sessions s CROSS JOIN ids WHERE s.session_id = :'src';
INSERT INTO sidecar_transcript_entries (project_key, session_id, subpath, seq, uuid, entry, stored_at_ms)
SELECT e.project_key, ids.id, e.subpath, e.seq, e.uuid, replace(e.entry::text, :'src', ids.id)::json, e.stored_at_ms
FROM sidecar_transcript_entries e CROSS JOIN ids WHERE e.session_id = :'src';
ANALYZE sidecar_sessions;
ANALYZE sidecar_transcript_entries;
`, { src: sourceId, user: lister });
const pgSeedMs = performance.now() - started;
const pgRows = psql(`SELECT count(*), sum((judged_version = transcript_version)::int) FROM sidecar_sessions WHERE user_id = ${quote(lister)}`).split('|');
const pgEntries = psql(`SELECT count(*), pg_size_pretty(pg_total_relation_size('sidecar_transcript_entries')) FROM sidecar_transcript_entries`).split('|');
console.log(`PostgreSQL seeded in ${fmt(pgSeedMs)}: ${pgRows[0]} sessions of ${lister} (${pgRows[1]} judged at their version), ${pgEntries[0]} transcript entries in the database (${pgEntries[1]}); source ${sourceId}, ${(sourceText.length / 1024).toFixed(0)} KiB, ${sourceText.split('\n').filter(Boolean).length} lines`);

// SQLite: a store made by the server (its schema), then the `sessions` rows with sqlite3, and the transcript's copies
// with the session id replaced (as grow-corpus.mjs makes them) in a config folder's project folder.
started = performance.now();
const sqliteStore = folder('store-list');
const listConfig = folder('config-list');
const makeStore = server({ store: sqliteStore, config: listConfig, log: 'make-store' });
await makeStore.request('initialize', {});
await makeStore.close();
const projectDir = path.join(listConfig, 'projects', path.basename(path.dirname(sourcePath)));
fs.mkdirSync(projectDir, { recursive: true });
const realWork = fs.realpathSync(WORK);
const firstPrompt = source[4];
const rows = seeded.map((s) => `(${quote(s.id)}, ${quote(lister)}, ${quote(WORK)}, ${quote(realWork)}, ${s.at - 60_000}, ${s.at}, ${quote(`Bench session ${s.i}`)}, ${quote(firstPrompt)})`);
sqlite(path.join(sqliteStore, 'sessions.db'), `BEGIN;\nINSERT INTO sessions VALUES\n${rows.join(',\n')};\nCOMMIT;\n`);
for (const s of seeded) {
  const file = path.join(projectDir, `${s.id}.jsonl`);
  fs.writeFileSync(file, sourceText.split(sourceId).join(s.id));
  fs.utimesSync(file, new Date(s.at), new Date(s.at));
}
console.log(`SQLite seeded in ${fmt(performance.now() - started)}: ${sqlite(path.join(sqliteStore, 'sessions.db'), `SELECT count(*) FROM sessions WHERE user_id = ${quote(lister)}`)} sessions, ${count} transcripts in ${projectDir} (in the page cache: just written)`);

// Machine A with PostgreSQL: the same 2,000 transcripts (hard links) in its config folder, each recorded in its local
// store as equal to the store's copy at its version (what a turn run there leaves): it judges its local files.
const aConfig = folder('config-pg-a');
const aProjectDir = path.join(aConfig, 'projects', path.basename(projectDir));
fs.mkdirSync(aProjectDir, { recursive: true });
const aLocal = folder('local-pg-a');
const makeLocal = server({ store: PG_URL, localStore: aLocal, config: aConfig, log: 'make-local' });
await makeLocal.request('initialize', {});
await makeLocal.close();
const version = source[0];
const mirroredRows = seeded.map((s) => {
  const target = path.join(aProjectDir, `${s.id}.jsonl`);
  fs.linkSync(path.join(projectDir, `${s.id}.jsonl`), target);
  const stat = fs.statSync(target, { bigint: true });
  // .NET's DateTime ticks: 100 ns since 0001-01-01.
  return `(${quote(s.id)}, ${version}, ${stat.size}, ${stat.mtimeNs / 100n + 621355968000000000n})`;
});
sqlite(path.join(aLocal, 'sessions.db'), `BEGIN;\nINSERT INTO mirrored_transcripts (session_id, version, file_size, modified_ticks) VALUES\n${mirroredRows.join(',\n')};\nCOMMIT;\n`);

const list50 = { userId: lister, limit: 50 };
const resumable = { userId: lister, limit: 1000 };
const setups = {
  [`SQLite, ${count} local transcripts`]: {
    fresh: (log) => server({ store: sqliteStore, config: listConfig, log }),
    // The summary index emptied: the first listing of a store that never listed them reads every transcript.
    reset: () => sqlite(path.join(sqliteStore, 'sessions.db'), 'DELETE FROM transcript_summaries;'),
  },
  'PostgreSQL, machine B (no local transcripts)': {
    fresh: (log) => server({ store: PG_URL, localStore: folder('local-list-b'), config: folder('config-list-b'), log }),
    reset: () => {},
  },
  [`PostgreSQL, machine A (${count} local transcripts)`]: {
    fresh: (log) => server({ store: PG_URL, localStore: aLocal, config: aConfig, log }),
    reset: () => sqlite(path.join(aLocal, 'sessions.db'), 'DELETE FROM transcript_summaries;'),
  },
};
function check(method, params, answer, setup) {
  const sessions = answer.result.sessions;
  const expected = Math.min(params.limit, count);
  if (sessions.length !== expected || sessions.some((s) => s.userId !== lister || (s.status && !s.status.resumable))) {
    throw new Error(`${setup} ${method}: ${sessions.length} sessions (expected ${expected}): ${JSON.stringify(sessions[0])}`);
  }
  if (method === 'session/list' && count > params.limit && !answer.result.nextCursor) throw new Error(`${setup}: no nextCursor`);
}
const listing = [];
let logs = 0;
psql('SELECT pg_stat_statements_reset()');
for (const [method, params] of [['session/list', list50], ['session/listResumable', resumable]]) {
  for (const [setup, { fresh, reset }] of Object.entries(setups)) {
    reset();
    const first = fresh(`list-${logs++}`);
    await first.request('initialize', {});
    const cold = await first.request(method, params);
    check(method, params, cold, setup);
    const warm = [];
    for (let i = 0; i < warmRuns; i++) {
      const answer = await first.request(method, params);
      check(method, params, answer, setup);
      warm.push(answer.ms);
    }
    await first.close();
    // Another fresh server (a restart, the editor's next window): the index of what the first one read is kept.
    const again = fresh(`list-${logs++}`);
    await again.request('initialize', {});
    const coldAgain = await again.request(method, params);
    check(method, params, coldAgain, setup);
    await again.close();
    listing.push({ method, setup, cold: cold.ms, warm: median(warm), coldAgain: coldAgain.ms, bytes: JSON.stringify(cold.result).length });
    console.log(`${method} ${JSON.stringify(params)} ${setup}: cold ${fmt(cold.ms)}, warm median of ${warmRuns} ${fmt(median(warm))} [${warm.map((x) => x.toFixed(0)).join(', ')}], cold on a second fresh server ${fmt(coldAgain.ms)}; answer ${(JSON.stringify(cold.result).length / 1024).toFixed(0)} KiB (load ${load()})`);
  }
}
// What the listings asked of PostgreSQL (both PostgreSQL setups, every server's start and every listing call).
const listingStatements = psql(`SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`).split('\n').filter(Boolean).map((line) => line.split('|'));
const listingCalls = 2 * 2 * (warmRuns + 2);
console.log(`\nPostgreSQL during the ${listingCalls} listings of the PostgreSQL setups (and their ${2 * 2 * 2} servers' starts): ${listingStatements.reduce((sum, [calls]) => sum + Number(calls), 0)} statements; the most called:`);
for (const [calls, ms, rows, ...query] of listingStatements.slice(0, 5)) console.log(`  ${calls} calls, ${(Number(ms) / Number(calls)).toFixed(2)} ms each, ${(Number(rows) / Number(calls)).toFixed(0)} rows each: ${query.join('|').slice(0, 110)}`);
console.log('\nper session listed (the listing builds every session\'s view, whatever the limit):');
for (const l of listing) console.log(`  ${l.method.padEnd(22)} ${l.setup.padEnd(48)} cold ${((l.cold * 1000) / count).toFixed(0)} µs, warm ${((l.warm * 1000) / count).toFixed(1)} µs`);
// Writing a transcript from the store, without a CLI's start around it: session/messages of a session this machine has
// no copy of writes it first (as a resume does); the second call reads the local copy.
console.log(`\n== 2b. Writing one transcript from the store on machine B: session/messages (limit 1) of a seeded session, first call vs second (load ${load()}) ==`);
const reader = server({ store: PG_URL, localStore: folder('local-read-b'), config: folder('config-read-b'), log: 'read-b' });
await reader.request('initialize', {});
const readFirst = [], readSecond = [];
const coldRead = await reader.request('session/messages', { sessionId: seeded[0].id, userId: lister, limit: 1 });
for (const s of seeded.slice(1, 1 + machines * 2)) {
  const first = await reader.request('session/messages', { sessionId: s.id, userId: lister, limit: 1 });
  const second = await reader.request('session/messages', { sessionId: s.id, userId: lister, limit: 1 });
  if (first.result.total !== second.result.total || first.result.total === 0) throw new Error(`session/messages: ${first.result.total} then ${second.result.total}`);
  readFirst.push(first.ms);
  readSecond.push(second.ms);
}
await reader.close();
console.log(`first call of a new server ${fmt(coldRead.ms)}; then, over ${readFirst.length} sessions of ${(sourceText.length / 1024).toFixed(0)} KiB: first call median ${fmt(median(readFirst))} [${readFirst.map((x) => x.toFixed(0)).join(', ')}], second call median ${fmt(median(readSecond))}: writing the transcript from the store ${fmt(median(readFirst) - median(readSecond))}`);
console.log(`\nload at the end ${load()}`);
