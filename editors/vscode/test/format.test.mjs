// Unit tests of out/format.js: the tree tooltip's usage and cost lines, and the search quick pick's texts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { extensionDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { escapeIcons, formatCost, formatCount, matchLine, nearMatch, selectionContext, statusText, usageLines } = require(path.join(extensionDir, 'out/format.js'));

describe('usage and cost in the tooltip', () => {
  test('all four token counts, grouped, and the cost', () => {
    assert.deepEqual(
      usageLines({ inputTokens: 1234, outputTokens: 567, cacheCreationInputTokens: 89, cacheReadInputTokens: 10 }, 0.0123),
      ['Tokens: 1,234 in · 567 out · 89 cache write · 10 cache read', 'Cost: $0.0123'],
    );
    assert.deepEqual(usageLines({ inputTokens: 12345678, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 1000 }, undefined), [
      'Tokens: 12,345,678 in · 0 out · 0 cache write · 1,000 cache read',
    ]);
  });

  test('absent usage and cost: no lines', () => {
    assert.deepEqual(usageLines(undefined, undefined), []);
    assert.deepEqual(usageLines(null, null), []);
  });

  test('cost without usage, usage without cost', () => {
    assert.deepEqual(usageLines(undefined, 1.5), ['Cost: $1.50']);
    assert.deepEqual(usageLines({ inputTokens: 3, outputTokens: 4, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }, undefined), [
      'Tokens: 3 in · 4 out · 0 cache write · 0 cache read',
    ]);
  });

  test('a cost of 0 is shown; token counts that are all 0 are not', () => {
    assert.deepEqual(usageLines({ inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }, 0), ['Cost: $0.0000']);
  });

  test('fields the server did not send (or sent as non-numbers) are left out', () => {
    assert.deepEqual(usageLines({ inputTokens: 10, outputTokens: 2 }, undefined), ['Tokens: 10 in · 2 out']);
    assert.deepEqual(usageLines({ inputTokens: 'x', outputTokens: 2, cacheReadInputTokens: null }, Number.NaN), ['Tokens: 2 out']);
  });

  test('counts and costs', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1000), '1,000');
    assert.equal(formatCost(0.00004), '$0.0000');
    assert.equal(formatCost(0.98765), '$0.9877');
    assert.equal(formatCost(12.345), '$12.35');
  });
});

describe('the search quick pick', () => {
  test("a snippet's $(name) stays text, not an icon", () => {
    assert.equal(escapeIcons('echo $(pwd) and $HOME'), 'echo \\$(pwd) and $HOME');
    assert.equal(escapeIcons('plain'), 'plain');
  });

  test('status as the tree says it', () => {
    assert.equal(statusText({ resumable: true }), 'resumable');
    assert.equal(statusText({ resumable: false, reason: 'session_file_missing' }), 'not resumable: session_file_missing');
    assert.equal(statusText({ resumable: false }), 'not resumable: unknown');
  });

  const match = (snippet, type = 'user') => ({ uuid: 'u', type, timestamp: null, snippet });

  test('the first match: who, the snippet, how many other messages match', () => {
    assert.equal(matchLine([]), '');
    assert.equal(matchLine([match('we talked about\nthe zebrafish module')]), 'You: we talked about the zebrafish module');
    assert.equal(matchLine([match('zebrafish', 'assistant'), match('more zebrafish')]), 'Claude: zebrafish  (+1 message)');
    assert.equal(matchLine([match('a'), match('b'), match('c')]), 'You: a  (+2 messages)');
    // The server gives at most 5 per session: with 5, more may match.
    assert.equal(matchLine([1, 2, 3, 4, 5].map((n) => match(`m${n}`))), 'You: m1  (+4 or more messages)');
  });

  test('a long snippet starts shortly before the first word of the query', () => {
    const before = 'lorem ipsum dolor sit amet '.repeat(4); // 108 characters
    const snippet = `…${before}the Zebrafish module came up again`;
    const cut = nearMatch(snippet, 'zebrafish');
    assert.ok(cut.startsWith('…'), cut);
    assert.ok(cut.endsWith('the Zebrafish module came up again'), cut);
    assert.ok(cut.indexOf('Zebrafish') <= 50, cut);
    assert.ok(cut.length < snippet.length, cut);
    assert.match(cut, /^…\S/); // cut at a word, not inside one
    // The earliest of the query's words counts; a phrase's words too.
    assert.ok(nearMatch(snippet, '"came up" zebrafish').indexOf('Zebrafish') <= 50);
    // Whole words only, as the server matches: "zebra" is not in "Zebrafish".
    assert.equal(nearMatch(snippet, 'zebra'), snippet);
    // Near the start already, or not found (a symbol query): as it was.
    assert.equal(nearMatch('the zebrafish module', 'zebrafish'), 'the zebrafish module');
    assert.equal(nearMatch(snippet, '!?'), snippet);
    assert.equal(matchLine([match(snippet)], 'zebrafish'), `You: ${nearMatch(snippet, 'zebrafish')}`);
  });

  test('Unicode: case folded, and never cut inside a surrogate pair', () => {
    const snippet = `${'😀'.repeat(60)}Überprüfung done`;
    const cut = nearMatch(snippet, 'ÜBERPRÜFUNG');
    assert.ok(cut.endsWith('Überprüfung done'), cut);
    assert.ok(cut.length < snippet.length);
    assert.doesNotMatch(cut.slice(1), /^[\uDC00-\uDFFF]/);
    assert.equal([...cut.slice(1)].every((c) => c === '😀' || /[\p{L}\s]/u.test(c)), true);
  });
});

describe('a selection as prompt context', () => {
  test('path, line range and the text in a fence tagged with the extension', () => {
    assert.equal(selectionContext('src/a.ts', 3, 7, 'const a = 1;\nconst b = 2;', 'ts'), '`src/a.ts` lines 3-7:\n```ts\nconst a = 1;\nconst b = 2;\n```\n');
  });

  test('one line; text that ends with a newline gets no second one', () => {
    assert.equal(selectionContext('README.md', 1, 1, '# demo project\n', 'md'), '`README.md` line 1:\n```md\n# demo project\n```\n');
  });

  test('backticks in the text: a longer fence', () => {
    assert.equal(selectionContext('doc.md', 2, 4, 'x\n```js\ny\n```', ''), '`doc.md` lines 2-4:\n````\nx\n```js\ny\n```\n````\n');
  });
});
