// The conversation view's Markdown renderer (media/markdown.js), under plain Node: what it formats, and that
// nothing in the source becomes HTML of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { renderMarkdown } = createRequire(import.meta.url)('../media/markdown.js');

test('formats headings, paragraphs, lists, code, quotes and inline marks', () => {
  const html = renderMarkdown('# Title\n\nSome **bold**, *italic* and `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n```js\nconst a = 1 < 2;\n```\n\n---');
  assert.match(html, /<h1>Title<\/h1>/);
  assert.match(html, /<p>Some <strong>bold<\/strong>, <em>italic<\/em> and <code>code<\/code>\.<\/p>/);
  assert.match(html, /<ul><li>one<\/li><li>two<\/li><\/ul>/);
  assert.match(html, /<ol><li>first<\/li><li>second<\/li><\/ol>/);
  assert.match(html, /<blockquote><p>quoted<\/p><\/blockquote>/);
  assert.match(html, /<pre><code class="language-js">const a = 1 &lt; 2;<\/code><\/pre>/);
  assert.match(html, /<hr>/);
});

test('escapes every HTML tag and attribute in the source', () => {
  const html = renderMarkdown('<img src=x onerror="alert(1)"> **<script>alert(2)</script>** `<b>` [x](javascript:alert(3)) [ok](https://example.com/"onmouseover=")');
  assert.doesNotMatch(html, /<img|<script|<b>|href="javascript/i);
  assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
  assert.match(html, /<strong>&lt;script&gt;alert\(2\)&lt;\/script&gt;<\/strong>/);
  assert.match(html, /<code>&lt;b&gt;<\/code>/);
  assert.match(html, /\[x\]\(javascript:alert\(3\)\)/);
  assert.match(html, /<a href="https:\/\/example\.com\/&quot;onmouseover=&quot;">ok<\/a>/);
});

test('an unclosed code fence (a reply still streaming) renders as code', () => {
  assert.equal(renderMarkdown('```\nlet x = "<y>";'), '<pre><code>let x = &quot;&lt;y&gt;&quot;;</code></pre>');
});

test('text that looks like a placeholder of a code span or link stays text', () => {
  assert.equal(renderMarkdown('\uE0000\uE000 and \uE0010\uE001'), '<p>\uFFFD0\uFFFD and \uFFFD0\uFFFD</p>');
});
