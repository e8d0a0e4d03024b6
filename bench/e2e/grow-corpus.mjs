// Grows a corpus made by make-corpus.mjs (real CLI transcripts and their copies) to N transcripts quickly: each new
// file is an existing transcript with only its session id replaced (its entries' uuids are shared with the original,
// which no listing looks at across files). Every transcript's modification time is then spread over the past 30 days.
// With PLANT=1 (the search benchmark), some copies' prompts get a distinctive word, so that selective searches exist:
// in every copy whose number is 7 modulo 1000 the prompts' "tell me what is wrong:" becomes "tell me what is wrong,
// quokka:", and in every copy 3 modulo 100 "wrong, wombat:" (everywhere the prompt is written in the file: its user
// line, the queue and last-prompt lines). Usage: node grow-corpus.mjs <project-dir> <count>. Prints one JSON line:
// {projectDir, files, bytes}.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [projectDir, countText] = process.argv.slice(2);
const count = Number(countText);
const originals = fs.readdirSync(projectDir).filter((name) => name.endsWith('.jsonl')).sort();
for (let i = originals.length; i < count; i++) {
  const original = originals[i % originals.length];
  const oldId = original.slice(0, -'.jsonl'.length);
  const id = randomUUID();
  let text = fs.readFileSync(path.join(projectDir, original), 'utf8').split(oldId).join(id);
  const word = process.env.PLANT !== '1' ? null : i % 1000 === 7 ? 'quokka' : i % 100 === 3 ? 'wombat' : null;
  if (word) text = text.split('tell me what is wrong:').join(`tell me what is wrong, ${word}:`);
  fs.writeFileSync(path.join(projectDir, `${id}.jsonl`), text);
}

const names = fs.readdirSync(projectDir).filter((name) => name.endsWith('.jsonl')).sort();
const now = Date.now();
const step = (30 * 86_400_000) / names.length;
let bytes = 0;
names.forEach((name, i) => {
  const file = path.join(projectDir, name);
  // Distinct times, never "just now" (the index does not remember a file modified in the last second).
  const at = new Date(now - 60_000 - i * step - ((i * 7919) % 1000));
  fs.utimesSync(file, at, at);
  bytes += fs.statSync(file).size;
});
console.log(JSON.stringify({ projectDir, files: names.length, bytes }));
