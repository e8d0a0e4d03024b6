'use strict';
// Q4: resume a session from another working directory: which file gets the new lines, and what cwd.
const fs = require('fs'), path = require('path'), cp = require('child_process');
const ROOT = '/work/scratch/path-exp', BASE = ROOT + '/dirs', CLI = '/work/scratch/cli/node_modules/@anthropic-ai/claude-code/bin/claude.exe';
const { predict } = require('./predict.js');
function env(cfg) {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('CLAUDE') || k.startsWith('ANTHROPIC')) delete e[k];
  return Object.assign(e, { CLAUDE_CONFIG_DIR: cfg, ANTHROPIC_BASE_URL: 'http://127.0.0.1:18602', ANTHROPIC_API_KEY: 'x',
    DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });
}
function turn(cwd, cfg, text, args = []) {
  const input = JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' }) + '\n';
  const e = env(cfg); e.PWD = cwd;
  const r = cp.spawnSync(CLI, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', ...args], { cwd, env: e, input, encoding: 'utf8' });
  const msgs = r.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l));
  const init = msgs.find(m => m.subtype === 'init'), res = msgs.find(m => m.type === 'result');
  return { initCwd: init && init.cwd, sid: init && init.session_id, result: res && res.subtype, resultSid: res && res.session_id, stderr: r.stderr.trim().slice(0, 300) };
}
function snapshot(cfg) {
  const out = {}; const p = path.join(cfg, 'projects');
  if (!fs.existsSync(p)) return out;
  for (const d of fs.readdirSync(p)) for (const f of fs.readdirSync(path.join(p, d))) {
    const fp = path.join(p, d, f);
    if (f.endsWith('.jsonl')) out[d + '/' + f] = fs.readFileSync(fp, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));
  }
  return out;
}
function diff(before, after) {
  const d = {};
  for (const [k, lines] of Object.entries(after)) {
    const old = before[k] ? before[k].length : 0;
    if (lines.length > old) {
      const nl = lines.slice(old);
      d[k] = { newFile: !before[k], addedLines: nl.length, types: [...new Set(nl.map(l => l.type))],
        cwds: [...new Set(nl.map(l => l.cwd).filter(Boolean))], sessionIds: [...new Set(nl.map(l => l.sessionId).filter(Boolean))] };
    }
  }
  return d;
}
function mk(p) { fs.mkdirSync(p, { recursive: true }); return p; }
const out = [];
function scenario(name, createDir, resumeDir, { tamper, extraArgs = [] } = {}) {
  const cfg = path.join(ROOT, 'cfg', 'resume-' + name); fs.rmSync(cfg, { recursive: true, force: true }); mk(cfg);
  const t1 = turn(createDir, cfg, 'first');
  let s0 = snapshot(cfg);
  if (tamper) { tamper(cfg, t1.sid); s0 = snapshot(cfg); }
  const t2 = turn(resumeDir, cfg, 'second', ['--resume', t1.sid, ...extraArgs]);
  const s1 = snapshot(cfg);
  const rec = { name, createDir, resumeDir, createFolder: predict(fs.realpathSync(createDir)), resumeFolderByRule: predict(fs.realpathSync(resumeDir)),
    first: t1, second: t2, filesBefore: Object.keys(s0), changed: diff(s0, s1) };
  out.push(rec); console.log(JSON.stringify(rec, null, 1));
}
const A = mk(BASE + '/resume-A.dir'), B = mk(BASE + '/resume-B dir');
const LONG = mk(BASE + '/resume-long/' + 'y'.repeat(100) + '/' + 'z'.repeat(100));
try { fs.unlinkSync(BASE + '/resume-link-to-A'); } catch {} fs.symlinkSync(A, BASE + '/resume-link-to-A');
scenario('same-dir', A, A);
scenario('other-dir', A, B);
scenario('from-long-to-short', LONG, B);
scenario('from-short-to-long', B, LONG);
scenario('via-symlink', A, BASE + '/resume-link-to-A');
scenario('transcript-in-odd-folder', A, B, { tamper: (cfg, sid) => {
  const p = path.join(cfg, 'projects'); const d = fs.readdirSync(p)[0];
  fs.renameSync(path.join(p, d), path.join(p, 'some-unrelated-folder')); } });
scenario('other-dir-fork', A, B, { extraArgs: ['--fork-session'] });
fs.writeFileSync(ROOT + '/work/resume-results.json', JSON.stringify(out, null, 1));
