// Builds the listing corpus: a handful of real CLI transcripts (the real CLI against the fake Messages API), then
// copies of them with fresh session ids and uuids until the project folder holds N transcripts; every tenth copy is
// 2-8x longer (its conversation repeated, re-chained). Usage:
//   node make-corpus.mjs <claude> <fake-api-url> <config-dir> <work-dir> [count=2000] [bases=6]
// Prints one JSON line: {projectDir, files, bytes, bases:[ids]}.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [claude, api, configDir, workDir, countText = '2000', basesText = '6'] = process.argv.slice(2);
const count = Number(countText);
const bases = Number(basesText);
const env = {
  ...process.env,
  CLAUDE_CONFIG_DIR: configDir, ANTHROPIC_BASE_URL: api, ANTHROPIC_API_KEY: 'x', DISABLE_TELEMETRY: '1',
  DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
};
fs.mkdirSync(configDir, { recursive: true });
fs.mkdirSync(workDir, { recursive: true });

// Prompts shaped like pasted code and logs, so that transcripts weigh what real ones do (~100-250 KB).
function bigPrompt(seed, kb) {
  const lines = [`Please review this code (part ${seed}) and tell me what is wrong:`];
  let i = 0;
  while (lines.join('\n').length < kb * 1024) {
    lines.push(`    public int Method${seed}_${i}(int value) { return value * ${i} + ${seed}; } // line ${i++} of the listing`);
  }
  return lines.join('\n');
}

function run(args, input) {
  const result = spawnSync(claude, ['-p', '--output-format', 'json', ...args], { cwd: workDir, env, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`claude failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

const baseIds = [];
for (let b = 0; b < bases; b++) {
  const first = run([], b % 3 === 0 ? `Fix the failing build in module ${b}` : bigPrompt(b, 2 + b));
  const id = first.session_id;
  const turns = 1 + (b % 3);
  for (let t = 0; t < turns; t++) run(['--resume', id], bigPrompt(b * 10 + t, 3 + ((b + t) % 4) * 2));
  baseIds.push(id);
}

const realWork = fs.realpathSync(workDir);
const projectDir = path.join(configDir, 'projects', realWork.replace(/[^a-zA-Z0-9]/g, '-'));
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const baseTexts = baseIds.map((id) => fs.readFileSync(path.join(projectDir, `${id}.jsonl`), 'utf8'));

function withFreshIds(text, newSessionId, oldSessionId) {
  const map = new Map([[oldSessionId, newSessionId]]);
  return text.replace(uuidPattern, (uuid) => {
    if (!map.has(uuid)) map.set(uuid, randomUUID());
    return map.get(uuid);
  });
}

// A longer copy: the conversation repeated `times` times, each repetition chained after the previous one's last entry.
function longer(text, times, sessionId, oldSessionId) {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const out = [];
  let lastUuid = null;
  for (let k = 0; k < times; k++) {
    const part = withFreshIds(lines.join('\n'), sessionId, oldSessionId).split('\n');
    for (let line of part) {
      const entry = JSON.parse(line);
      if (k > 0 && entry.parentUuid === null && lastUuid) line = line.replace('"parentUuid":null', `"parentUuid":"${lastUuid}"`);
      if (typeof entry.uuid === 'string' && (entry.type === 'user' || entry.type === 'assistant')) lastUuid = entry.uuid;
      out.push(line);
    }
  }
  return out.join('\n') + '\n';
}

let bytes = 0;
const now = Date.now();
for (let i = baseIds.length; i < count; i++) {
  const b = i % baseIds.length;
  const id = randomUUID();
  const text = i % 10 === 0 ? longer(baseTexts[b], 2 + (i / 10) % 7, id, baseIds[b]) : withFreshIds(baseTexts[b], id, baseIds[b]);
  const file = path.join(projectDir, `${id}.jsonl`);
  fs.writeFileSync(file, text);
  // Spread the activity times over the past 30 days (distinct, never "just now").
  const at = new Date(now - 60_000 - i * 1_296_000 - (i * 7919) % 1000);
  fs.utimesSync(file, at, at);
}
for (const name of fs.readdirSync(projectDir)) if (name.endsWith('.jsonl')) bytes += fs.statSync(path.join(projectDir, name)).size;
console.log(JSON.stringify({ projectDir, workDir: realWork, files: count, bytes, bases: baseIds }));
