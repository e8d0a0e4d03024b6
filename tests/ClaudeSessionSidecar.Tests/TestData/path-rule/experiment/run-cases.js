'use strict';
// Creates the experiment directories, runs one CLI turn in each (fresh CLAUDE_CONFIG_DIR per case),
// records init cwd, created project folder, transcript cwd fields; compares with predict.js.
const fs = require('fs'), path = require('path'), cp = require('child_process');
const { predict, javaHash, encode } = require('./predict.js');
const ROOT = '/work/scratch/path-exp';
const BASE = ROOT + '/dirs';
const CFG = ROOT + '/cfg';
const CLI = '/work/scratch/cli/node_modules/@anthropic-ai/claude-code/bin/claude.exe';
const only = process.argv[2] ? new RegExp(process.argv[2]) : null;

function baseEnv(cfg) {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('CLAUDE') || k.startsWith('ANTHROPIC')) delete e[k];
  return Object.assign(e, {
    CLAUDE_CONFIG_DIR: cfg, ANTHROPIC_BASE_URL: 'http://127.0.0.1:18602', ANTHROPIC_API_KEY: 'x',
    DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });
}
const PROMPT = JSON.stringify({ type: 'user', message: { role: 'user', content: 'hello' }, parent_tool_use_id: null, session_id: '' }) + '\n';

function runTurn(cwd, cfg, { pwd, extraArgs = [] } = {}) {
  const env = baseEnv(cfg);
  if (pwd === null) delete env.PWD; else env.PWD = pwd === undefined ? cwd : pwd;
  const r = cp.spawnSync(CLI, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', ...extraArgs],
    { cwd, env, input: PROMPT, encoding: 'utf8', timeout: 60000 });
  const lines = (r.stdout || '').split('\n').filter(Boolean).map(l => { try { return JSON.parse(l); } catch { return { raw: l }; } });
  const init = lines.find(m => m.type === 'system' && m.subtype === 'init');
  const result = lines.find(m => m.type === 'result');
  return { status: r.status, stderr: (r.stderr || '').slice(0, 500), init, result };
}

function listProjects(cfg) {
  const p = path.join(cfg, 'projects');
  return fs.existsSync(p) ? fs.readdirSync(p) : [];
}

// ---- case construction helpers
function mk(p) { fs.mkdirSync(p, { recursive: true }); return p; }
// A path under BASE/<label> padded (nested segments of <=100 chars) so that its UTF-16 length is exactly n.
function pathOfLength(label, n, fill = 'x', segMax = 100) {
  let p = BASE + '/' + label;
  if (p.length > n) throw new Error('too short target');
  while (p.length < n) {
    const room = n - p.length - 1; // "/" + seg
    if (room <= 0) { p = p.slice(0, -1) + fill + fill; if (p.length > n) p = p.slice(0, n); break; }
    const segLen = Math.min(segMax, room);
    let seg = '';
    while (seg.length < segLen) seg += fill;
    seg = seg.slice(0, segLen);
    // don't leave a remainder of 0 < room < 2 that cannot hold "/x"
    p += '/' + seg;
  }
  if (p.length !== n) throw new Error(`len ${p.length} != ${n} for ${label}`);
  return p;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function rnd(n) { let s = ''; for (let i = 0; i < n; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)]; return s; }
// Craft a path (prefix + random pad + 3 solved alnum chars) whose javaHash is exactly `target`.
function craftHash(prefix, padLen, target) {
  const codes = [...ALNUM].map(c => c.charCodeAt(0));
  const set = new Set(codes);
  for (let tries = 0; tries < 2e6; tries++) {
    const pre = prefix + rnd(padLen);
    const hp = javaHash(pre);
    // need (31^3*hp + 961*c1 + 31*c2 + c3) | 0 == target
    const base = (Math.imul(29791, hp)) | 0;
    for (const c1 of codes) for (const c2 of codes) {
      const c3 = ((target - base - 961 * c1 - 31 * c2) | 0) >>> 0;
      if (set.has(c3)) {
        const s = pre + String.fromCharCode(c1, c2, c3);
        if (javaHash(s) === target) return s;
      }
    }
  }
  throw new Error('no craft');
}

// ---- cases
const cases = [];
const add = (name, dir, opts = {}) => cases.push({ name, dir, ...opts });
add('plain', BASE + '/plain');
add('dots', BASE + '/a.b.c');
add('spaces', BASE + '/with two  spaces');
add('underscores', BASE + '/under_score_name');
add('hyphens', BASE + '/hy-phen--double');
add('nfc-e-acute', BASE + '/caf\u00e9');
add('nfd-e-acute', BASE + '/cafe\u0301');
add('u-umlaut', BASE + '/\u00fcber');
add('japanese', BASE + '/\u65e5\u672c\u8a9e');
add('emoji-surrogate-pair', BASE + '/emoji\u{1F600}x');
add('mixed-case-digits', BASE + '/MiXeD123Case');
add('trailing-dot', BASE + '/trailing.');
add('leading-dot', BASE + '/.hidden');
add('all-specials', BASE + '/a.b c_d-\u00e9\u65e5\u{1F600}Z9~!@#$%^&()+=,;\'[]{}.');
for (const n of [198, 199, 200, 201, 202]) add('length-' + n, pathOfLength('len' + n, n));
add('length-277', pathOfLength('len277', 277));
add('length-400', pathOfLength('len400', 400));
add('length-1000', pathOfLength('len1000', 1000));
// non-ASCII long: hash runs over UTF-16 code units (not UTF-8 bytes, not code points)
add('long-non-ascii', pathOfLength('longjp-\u00e9\u00fc', 290, '\u65e5', 60));
add('long-emoji', (() => { let p = BASE + '/longemoji'; while (p.length < 240) p += '/a\u{1F600}\u00e9\u{1F680}b'; return p; })());
// UTF-8 bytes > 200 but UTF-16 length <= 200: threshold counts code units?
add('utf16-200-bytes-500', pathOfLength('jp200', 200, '\u65e5', 60));
// 199 code points but 201 code units (emoji at end): threshold in code units or code points?
add('codepoints-199-units-200', (() => { const p = pathOfLength('cp199u200', 199); return p.slice(0, -1) + '\u{1F600}'; })());
add('codepoints-199-units-201', (() => { const p = pathOfLength('cp199u201', 199); return p.slice(0, -2) + '\u{1F600}\u{1F600}'; })());
add('codepoints-200-units-201-cut-in-pair', (() => { const p = pathOfLength('cp200u201', 200); return p.slice(0, -1) + '\u{1F600}'; })());
// hash edge values (long paths crafted to hit an exact hash)
add('hash-int-min', craftHash(BASE + '/hashmin/', 200, -2147483648));
add('hash-int-max', craftHash(BASE + '/hashmax/', 200, 2147483647));
add('hash-zero', craftHash(BASE + '/hashzero/', 200, 0));
add('hash-minus-one', craftHash(BASE + '/hashm1/', 200, -1));
// symlinks
add('symlink-leaf', BASE + '/link-leaf', { target: BASE + '/real.leaf_target', link: 'leaf' });
add('symlink-middle', BASE + '/link-mid/sub dir', { target: BASE + '/real_mid', link: 'mid' });
add('symlink-leaf-PWD-unset', BASE + '/link-leaf', { target: BASE + '/real.leaf_target', link: 'leaf', pwd: null });
add('symlink-leaf-PWD-stale', BASE + '/link-leaf', { target: BASE + '/real.leaf_target', link: 'leaf', pwd: '/tmp' });
add('plain-PWD-stale', BASE + '/plain', { pwd: '/tmp' });
{ // long symlinked: same first 200 chars, given != real after that -> hash over which?
  const pre = pathOfLength('symlong', 230);
  add('symlink-long-leaf', pre + '/givenleaf', { target: pre + '/realleaf', link: 'leaf' });
  // symlink whose given path is short but real path is long
  add('symlink-short-to-long', BASE + '/short2long', { target: pathOfLength('s2ltarget', 260), link: 'leaf' });
  // symlink whose given path is long but real path is short
  add('symlink-long-to-short', pathOfLength('l2s', 250), { target: BASE + '/l2s-target', link: 'leaf' });
}

const results = [];
for (const c of cases) {
  if (only && !only.test(c.name)) continue;
  if (c.target) {
    mk(c.target);
    if (c.link === 'leaf') {
      mk(path.dirname(c.dir));
      try { fs.unlinkSync(c.dir); } catch {}
      fs.symlinkSync(c.target, c.dir);
    } else { // middle: dir = <link>/<sub>; target is the real dir behind <link>
      const link = path.dirname(c.dir);
      mk(path.join(c.target, path.basename(c.dir)));
      try { fs.unlinkSync(link); } catch {}
      fs.symlinkSync(c.target, link);
    }
  } else mk(c.dir);
  const cfg = path.join(CFG, c.name);
  fs.rmSync(cfg, { recursive: true, force: true });
  mk(cfg);
  const before = listProjects(cfg);
  const r = runTurn(c.dir, cfg, { pwd: c.pwd });
  const after = listProjects(cfg).filter(x => !before.includes(x));
  const real = fs.realpathSync(c.dir);
  const sid = r.init && r.init.session_id;
  let transcriptCwds = [], transcriptFound = false;
  for (const pd of after) {
    const f = path.join(cfg, 'projects', pd, sid + '.jsonl');
    if (fs.existsSync(f)) {
      transcriptFound = true;
      transcriptCwds = [...new Set(fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l).cwd).filter(x => x !== undefined))];
    }
  }
  const predicted = predict(real);
  const rec = {
    name: c.name, givenPath: c.dir, fsRealPath: real, pwdEnv: c.pwd === undefined ? '(=given)' : c.pwd,
    initCwd: r.init && r.init.cwd, sessionId: sid, result: r.result && r.result.subtype, exit: r.status,
    created: after, transcriptFound, transcriptCwds,
    predicted, predictedFromGiven: predict(c.dir),
    match: after.length === 1 && after[0] === predicted,
    realLen16: real.length, encodedLen: encode(real).length, hash: javaHash(real),
    stderr: r.stderr,
  };
  results.push(rec);
  console.log(`${rec.match ? 'OK  ' : 'DIFF'} ${c.name} len=${rec.realLen16} hash=${rec.hash} created=${JSON.stringify(after)} initCwd==real:${rec.initCwd === real} tcwd=${JSON.stringify(transcriptCwds.map(x => x === real ? '(real)' : x))}`);
  if (!rec.match) console.log('     predicted', predicted);
}
const out = ROOT + '/work/results' + (only ? '-partial' : '') + '.json';
fs.writeFileSync(out, JSON.stringify(results, null, 1));
console.log('wrote', out);
