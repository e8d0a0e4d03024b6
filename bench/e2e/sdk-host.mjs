// The official Agent SDK's side of the benchmark, in a fresh Node process.
//   node sdk-host.mjs list <dir> <warmRuns> [limit-only]
//                                             -> {importMs, firstMs (limit 50), warm50:[ms], warmAll:[ms], first50:[...], all:[...]}
//                                                (limit-only: no whole listings; at 10,000 transcripts the SDK's runs out of heap)
//   node sdk-host.mjs first-all <dir>         -> {ms, count}: the first whole listing of a fresh process
//   node sdk-host.mjs first <dir> [limit]      -> {ms, count, ids, first50}: the first listSessions({dir, limit}) of a
//                                                fresh process (no limit, or 0: the whole listing); ids in its order
//   node sdk-host.mjs call <dir> <limit>       -> a script's one request: the folder's newest <limit> sessions as JSON
//                                                (the anchor of `claude-session-sidecar call session/listResumable`)
//   node sdk-host.mjs serve                    -> a minimal JSON-RPC host on stdin/stdout (newline framing) that imports
//                                                the SDK and answers initialize and session/listResumable with listSessions.
// SDK_MODULE_DIR: the node_modules folder holding @anthropic-ai/claude-agent-sdk.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import readline from 'node:readline';

const started = performance.now();
const sdk = await import(pathToFileURL(path.join(process.env.SDK_MODULE_DIR, '@anthropic-ai/claude-agent-sdk/sdk.mjs')).href);
const importMs = performance.now() - started;
const pick = (s) => ({ sessionId: s.sessionId, firstPrompt: s.firstPrompt ?? null, lastModified: s.lastModified });

const [mode, dir, runsText = '10', only] = process.argv.slice(2);
if (mode === 'first-all') {
  const t = performance.now();
  const all = await sdk.listSessions({ dir });
  process.stdout.write(JSON.stringify({ ms: performance.now() - t, count: all.length }) + '\n');
} else if (mode === 'first') {
  const limit = Number(process.argv[4] ?? 0);
  const t = performance.now();
  const sessions = await sdk.listSessions(limit > 0 ? { dir, limit } : { dir });
  const ms = performance.now() - t;
  process.stdout.write(JSON.stringify({ ms, count: sessions.length, ids: sessions.map((s) => s.sessionId), first50: sessions.slice(0, 50).map(pick) }) + '\n');
} else if (mode === 'list') {
  const time = async (options) => { const t = performance.now(); const r = await sdk.listSessions(options); return [performance.now() - t, r]; };
  const [firstMs, first50] = await time({ dir, limit: 50 });
  const warm50 = [], warmAll = [];
  let all = [];
  for (let i = 0; i < Number(runsText); i++) {
    warm50.push((await time({ dir, limit: 50 }))[0]);
    if (only === 'limit-only') continue;
    const [ms, r] = await time({ dir });
    warmAll.push(ms);
    all = r;
  }
  process.stdout.write(JSON.stringify({ importMs, firstMs, warm50, warmAll, first50: first50.map(pick), all: all.map(pick) }) + '\n');
} else if (mode === 'call') {
  const sessions = await sdk.listSessions({ dir, limit: Number(runsText) });
  process.stdout.write(JSON.stringify({ sessions: sessions.map(pick) }) + '\n');
} else {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const request = JSON.parse(line);
    let result = null;
    if (request.method === 'initialize') result = { serverInfo: { name: 'sdk-host', version: '0' } };
    else if (request.method === 'session/listResumable') result = { sessions: (await sdk.listSessions({ dir: request.params.workingDirectory, limit: request.params.limit })).map(pick) };
    if (request.id !== undefined) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }) + '\n');
    if (request.method === 'exit') process.exit(0);
  }
}
