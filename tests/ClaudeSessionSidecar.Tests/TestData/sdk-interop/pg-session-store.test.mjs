// node --test pg-session-store.test.mjs
// A session made by the bare CLI on "machine A" (config folder A), kept in PostgreSQL through PgSessionStore, resumes
// with the Agent SDK on "machine B" (an empty config folder B) and remembers its first turn. Everything is started
// here and torn down: a throwaway PostgreSQL (tables from docs/postgres-store.md's DDL), the project's fake Messages
// API behind a recording proxy, the real CLI. Paths from env: PG_BIN (/usr/lib/postgresql/15/bin),
// CLAUDE_SIDECAR_CLAUDE_PATH (the repo's .tools CLI), FAKE_MESSAGES_API (tests/fake-messages-api/server.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSessionMessages } from '@anthropic-ai/claude-agent-sdk';
import { PgSessionStore } from './pg-session-store.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../../..');
const cliIn = (root) => path.join(root, '.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe');
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const CLAUDE = process.env.CLAUDE_SIDECAR_CLAUDE_PATH || [cliIn(repo), cliIn('/work/main')].find(existsSync);
const FAKE_API = process.env.FAKE_MESSAGES_API || path.join(repo, 'tests/fake-messages-api/server.js');
const missing = [[PG_BIN, 'initdb'], [CLAUDE ?? 'claude.exe'], [FAKE_API]].map((p) => path.join(...p)).find((p) => !existsSync(p));
const asRoot = process.getuid?.() === 0;

/** Runs a command to its exit: {code, stdout, stderr}. */
function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const pg = (tool, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, tool), ...args]) : run(path.join(PG_BIN, tool), args));
const must = async (p) => { const r = await p; assert.equal(r.code, 0, r.stderr + r.stdout); return r; };
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const jsonLines = (text) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const textOf = (e) => (typeof e.message?.content === 'string' ? e.message.content : (e.message?.content ?? []).map((b) => b.text ?? '').join(''));

/** The CLI's (and the SDK's) project folder name for a real path: non-alphanumerics to '-', over 200: a hash suffix. */
function projectFolder(realPath) {
  const name = realPath.replace(/[^a-zA-Z0-9]/g, '-');
  let h = 0;
  for (let i = 0; i < realPath.length; i++) h = (31 * h + realPath.charCodeAt(i)) | 0;
  return name.length <= 200 ? name : `${name.slice(0, 200)}-${Math.abs(h).toString(36)}`;
}

let pgDir, scratch, conn, store, fakeApi, proxy, proxyPort;
const requests = []; // bodies of the model requests the CLIs made

before(async () => {
  if (missing) return;
  // PostgreSQL: trust auth, 127.0.0.1, a free port, its socket in its own folder.
  pgDir = mkdtempSync(path.join(tmpdir(), 'pg-store-'));
  if (asRoot) chownSync(pgDir, +execFileSync('id', ['-u', 'postgres']), +execFileSync('id', ['-g', 'postgres']));
  const data = path.join(pgDir, 'data'), port = await freePort();
  await must(pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']));
  await must(pg('pg_ctl', ['-D', data, '-l', path.join(pgDir, 'log'), '-w', '-o', `-p ${port} -k ${pgDir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']));
  conn = `postgres://postgres@127.0.0.1:${port}/postgres`;
  store = new PgSessionStore(conn);
  const ddl = /```sql\n([\s\S]*?)```/.exec(readFileSync(path.join(repo, 'docs/postgres-store.md'), 'utf8'))[1];
  await store.pool.query(ddl + '; INSERT INTO sidecar_schema VALUES (1)');

  // The fake Messages API, behind a proxy that records what the CLI asks the model.
  fakeApi = spawn(process.execPath, [FAKE_API, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const apiPort = await new Promise((resolve) => fakeApi.stdout.on('data', (d) => { const m = /listening (\d+)/.exec(d); if (m) resolve(+m[1]); }));
  proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c)).on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url.startsWith('/v1/messages') && !req.url.includes('count_tokens')) requests.push(body.toString('utf8'));
      const out = http.request({ host: '127.0.0.1', port: apiPort, path: req.url, method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
      out.end(body);
    });
  });
  proxyPort = await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy.address().port)));
  scratch = mkdtempSync(path.join(tmpdir(), 'sdk-store-'));
});

after(async () => {
  await store?.close().catch(() => {});
  proxy?.close();
  fakeApi?.kill();
  if (pgDir) {
    await pg('pg_ctl', ['-D', path.join(pgDir, 'data'), '-m', 'immediate', '-w', 'stop']);
    rmSync(pgDir, { recursive: true, force: true });
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function cliEnv(configDir) {
  const env = { ...process.env, CLAUDE_CONFIG_DIR: configDir, ANTHROPIC_BASE_URL: `http://127.0.0.1:${proxyPort}`, ANTHROPIC_API_KEY: 'test-key',
    DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  for (const k of ['ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_PROJECT_DIR_NAME']) delete env[k];
  return env;
}

test('append/load/listSessions/listSubkeys/delete follow the doc', { skip: missing && `missing ${missing}` }, async () => {
  const key = { projectKey: '-unit', sessionId: '00000000-0000-4000-8000-000000000001' };
  const q = (sql, ...p) => store.pool.query(sql, p).then((r) => r.rows);
  await q(`INSERT INTO sidecar_sessions (session_id, user_id, project_key, working_directory, real_working_directory,
    created_at_ms, last_active_at_ms, title, first_prompt) VALUES ($1, 'u', '-unit', '/unit', '/unit', 0, 0, 't', 'p')`, key.sessionId);
  assert.equal(await store.load(key), null);
  await store.append(key, [{ type: 'user', uuid: 'a' }, { type: 'tag', tag: 'x' }, { type: 'user', uuid: 'a' }]);
  await store.append(key, [{ type: 'assistant', uuid: 'a' }, { type: 'assistant', uuid: 'b', 'é': [1, null] }, { type: 'tag', tag: 'x' }]);
  assert.deepEqual(await store.load(key), [{ type: 'user', uuid: 'a' }, { type: 'tag', tag: 'x' }, { type: 'assistant', uuid: 'b', 'é': [1, null] }, { type: 'tag', tag: 'x' }]);
  assert.deepEqual((await q('SELECT seq FROM sidecar_transcript_entries WHERE session_id = $1 ORDER BY seq', key.sessionId)).map((r) => +r.seq), [1, 2, 3, 4]);
  assert.equal((await q(`SELECT entry::text t FROM sidecar_transcript_entries WHERE uuid = 'b'`))[0].t, '{"type":"assistant","uuid":"b","é":[1,null]}');
  // An append waits for the session's advisory lock (held here as a server's turn holds it).
  const server = await store.pool.connect();
  await server.query(`SELECT pg_try_advisory_lock(hashtextextended('claude-session-sidecar:' || $1, 0))`, [key.sessionId]);
  let appended = false;
  const waiting = store.append(key, [{ type: 'user', uuid: 'c' }]).then(() => (appended = true));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(appended, false);
  await server.query('SELECT pg_advisory_unlock_all()');
  server.release();
  await waiting;
  assert.equal(+(await q('SELECT transcript_version v FROM sidecar_sessions WHERE session_id = $1', key.sessionId))[0].v, 3);
  // A subagent: its agent_metadata entry is kept as the doc's `<subpath>.meta.json` entry, and given back on load.
  const agent = { ...key, subpath: 'subagents/agent-x' };
  await store.append(agent, [{ type: 'user', uuid: 's1', isSidechain: true }, { type: 'agent_metadata', agentType: 'general-purpose' }]);
  assert.deepEqual((await q(`SELECT entry FROM sidecar_transcript_entries WHERE subpath = 'subagents/agent-x.meta.json'`))[0].entry, { agentType: 'general-purpose' });
  assert.deepEqual(await store.load(agent), [{ type: 'user', uuid: 's1', isSidechain: true }, { type: 'agent_metadata', agentType: 'general-purpose' }]);
  assert.deepEqual(await store.listSubkeys(key), ['subagents/agent-x']);
  assert.deepEqual((await store.listSessions('-unit')).map((s) => s.sessionId), [key.sessionId]);
  assert.equal(typeof (await store.listSessions('-unit'))[0].mtime, 'number');
  await store.delete(agent);
  assert.deepEqual(await store.listSubkeys(key), []);
  await store.delete(key);
  assert.equal(await store.load(key), null);
  assert.deepEqual(await store.listSessions('-unit'), []);
});

test('a CLI session kept in PostgreSQL resumes with the SDK from an empty config folder', { skip: missing && `missing ${missing}`, timeout: 180_000 }, async () => {
  // The working directory: a symlink to a long non-ASCII path, so the project folder name is a hashed, real-path one.
  const real = path.join(scratch, 'my project.v1', 'é x'.repeat(40), 'ü'.repeat(60)), cwd = path.join(scratch, 'link');
  mkdirSync(real, { recursive: true });
  symlinkSync(real, cwd);
  const configA = path.join(scratch, 'A'), configB = path.join(scratch, 'B'), tmpB = path.join(scratch, 'tmp');
  for (const d of [configA, configB, tmpB]) mkdirSync(d);

  // Machine A: the bare CLI, its transcript_mirror frames appended to the store as the server does.
  const first = await must(run(CLAUDE, ['-p', 'hello from machine A', '--output-format', 'stream-json', '--verbose', '--session-mirror'], { cwd, env: cliEnv(configA) }));
  const out = jsonLines(first.stdout);
  const sessionId = out.find((m) => m.type === 'system' && m.subtype === 'init').session_id;
  assert.equal(out.find((m) => m.type === 'result')?.subtype, 'success');
  const frames = out.filter((m) => m.type === 'transcript_mirror');
  assert.ok(frames.length > 0, 'no transcript_mirror frames');
  const projectKey = projectFolder(realpathSync(cwd));
  for (const frame of frames) {
    assert.equal(frame.filePath, path.join(configA, 'projects', projectKey, `${sessionId}.jsonl`));
    await store.append({ projectKey, sessionId }, frame.entries);
  }
  const local = jsonLines(readFileSync(frames[0].filePath, 'utf8'));
  assert.deepEqual(await store.load({ projectKey, sessionId }), local.filter((e) => !e.type.startsWith('api-request')));
  const now = Date.now();
  await store.pool.query(`INSERT INTO sidecar_sessions (session_id, user_id, project_key, working_directory, real_working_directory,
    created_at_ms, last_active_at_ms, title, first_prompt) VALUES ($1, 'test', $2, $3, $3, $4, $4, $5, $5)`,
    [sessionId, projectKey, realpathSync(cwd), now, 'hello from machine A']);

  // Machine B: an empty config folder; the SDK resumes from the store.
  requests.length = 0;
  const second = await run(process.execPath, [path.join(here, 'sdk-resume-from-store.mjs'), '--connection', conn, '--session', sessionId, '--cwd', cwd, '--prompt', 'second turn from machine B'],
    { cwd: here, env: { ...cliEnv(configB), CLAUDE_SIDECAR_CLAUDE_PATH: CLAUDE, TMPDIR: tmpB } });
  assert.equal(second.code, 0, second.stderr);
  const messages = jsonLines(second.stdout);
  assert.equal(messages.find((m) => m.type === 'system' && m.subtype === 'init')?.session_id, sessionId);
  const result = messages.find((m) => m.type === 'result');
  assert.equal(result.subtype, 'success');
  assert.match(result.result, /^reply to: second turn from machine B/);
  // The model was asked the second prompt with the first turn in its history.
  const asked = requests.filter((r) => r.includes('second turn from machine B'));
  assert.ok(asked.length > 0 && asked.every((r) => r.includes('hello from machine A') && r.includes('reply to: hello from machine A')), 'the first turn is not in the model request');
  // The SDK appended the new turn through the adapter, chained onto the first turn; the server's row was bumped.
  const entries = await store.load({ projectKey, sessionId });
  const prompts = entries.filter((e) => e.type === 'user' && !e.isMeta).map(textOf);
  assert.ok(prompts.includes('hello from machine A') && prompts.includes('second turn from machine B'), JSON.stringify(prompts));
  const secondPrompt = entries.find((e) => e.type === 'user' && textOf(e) === 'second turn from machine B');
  assert.ok(local.some((e) => e.uuid === secondPrompt.parentUuid), 'the second prompt does not continue the first turn');
  assert.equal(new Set(entries.filter((e) => e.uuid).map((e) => e.uuid)).size, entries.filter((e) => e.uuid).length, 'duplicate uuids');
  const { rows: [row] } = await store.pool.query('SELECT transcript_version FROM sidecar_sessions WHERE session_id = $1', [sessionId]);
  assert.ok(+row.transcript_version > 0);
  // The SDK reads it back from the store (projectKey computed by the SDK from dir).
  const chain = await getSessionMessages(sessionId, { sessionStore: store, dir: cwd });
  assert.deepEqual(chain.map((m) => m.type), ['user', 'assistant', 'user', 'assistant']);
  // The SDK ran the CLI in a temporary config folder of its own (deleted when the script ended): B holds no transcript.
  assert.deepEqual(readdirSync(tmpB).filter((f) => f.startsWith('claude-resume-')), []);
  assert.ok(!existsSync(path.join(configB, 'projects')) || !readdirSync(path.join(configB, 'projects'), { recursive: true }).some((f) => String(f).endsWith('.jsonl')));
  // A session the store does not hold: the SDK falls back to a local --resume, which fails; the script says so.
  const unknown = await run(process.execPath, [path.join(here, 'sdk-resume-from-store.mjs'), '--connection', conn, '--session', '00000000-0000-4000-8000-00000000dead', '--cwd', cwd, '--prompt', 'x'],
    { cwd: here, env: { ...cliEnv(configB), CLAUDE_SIDECAR_CLAUDE_PATH: CLAUDE, TMPDIR: tmpB } });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No conversation found with session ID: 00000000-0000-4000-8000-00000000dead/);
});
