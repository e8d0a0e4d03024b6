// The fake Anthropic Messages API for the clients' test suites (Node, no dependencies); the C# suite has its own
// twin in tests/ClaudeSessionSidecar.Tests/Infrastructure/FakeMessagesApi.cs. It listens on 127.0.0.1 (port 0 by
// default), prints `listening <port>` on stdout, answers POST /v1/messages (streamed or not) and count_tokens.
// The reply is "reply to: <first 60 chars of the prompt> (<length> chars)". A prompt containing [slow:MS] holds the
// stream open MS milliseconds before the text, for cancel tests.
// Usage: node server.js [port]
'use strict';
const http = require('http');

function promptOf(body) {
  const texts = [];
  for (const message of body.messages || []) {
    if (message.role !== 'user') continue;
    const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content || [];
    for (const block of content) {
      if (block && block.type === 'text' && typeof block.text === 'string' && !block.text.startsWith('<system-reminder>')) texts.push(block.text);
    }
  }
  return texts.length ? texts[texts.length - 1] : '';
}

function replyTo(prompt) {
  return `reply to: ${prompt.slice(0, 60)} (${prompt.length} chars)`;
}

let answers = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url.includes('count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"input_tokens":10}');
    }
    let body = {};
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* answer anyway */ }
    const prompt = promptOf(body);
    const text = replyTo(prompt);
    const model = body.model || 'fake-model';
    const usage = { input_tokens: 10, output_tokens: 5 };
    // A fresh id per answer: the CLI merges transcript entries that share a message id.
    const id = `msg_fake_${++answers}_${Date.now()}`;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const event = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    event('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } });
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const slow = /\[slow:(\d+)\]/.exec(prompt);
    const finish = () => {
      if (res.destroyed) return;
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      event('content_block_stop', { type: 'content_block_stop', index: 0 });
      event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
      event('message_stop', { type: 'message_stop' });
      res.end();
    };
    if (slow) setTimeout(finish, Number(slow[1])); else finish();
  });
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
