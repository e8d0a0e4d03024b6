// The fake Anthropic Messages API of the clients' test suites and the benchmark, with tool calls as
// its C# twin tests/ClaudeSessionSidecar.Tests/Infrastructure/FakeMessagesApi.cs does them (Node, no dependencies).
// Listens on 127.0.0.1 (port 0 by default), prints `listening <port>` on stdout, answers POST /v1/messages (streamed
// or not) and count_tokens. Directives in the prompt:
//   (none)           "reply to: <first 60 chars of the prompt> (<length> chars)"
//   [slow:MS]        holds the stream open MS milliseconds before the text (cancel tests)
//   [think:TEXT]     streams a thinking block (thinking_delta TEXT, then a signature_delta) before the text
//                    (this twin only: the ACP suite's)
//   [task:write=/abs/p]  answers a tool_use block for the Task tool (a general-purpose subagent) whose prompt is
//                    [write:/abs/p], so the subagent writes the file; then, as for write, "tool said: ..." (once a
//                    conversation: the CLI 2.1.328 runs the agent in the background and reports it in a later message)
//   [stop:REASON]    ends every text answer of the conversation with stop_reason REASON (max_tokens, refusal)
//   [write:/abs/p]   answers a streamed tool_use block for the Write tool ({file_path, content: "written by the
//                    fake model"}, the input as one input_json_delta, stop_reason "tool_use"); once the next
//                    request carries the tool_result, answers text: "tool said: <the tool result>"
//   [edit:/abs/p|OLD|NEW]  the same, for the Edit tool ({file_path, old_string: OLD, new_string: NEW})
//   [bash:COMMAND]   the same, for the Bash tool ({command: COMMAND, description: "fake command"})
//   [tool:NAME|JSON] the same, for any tool NAME with the input JSON object (to the last "}]" of the prompt's line),
//                    e.g. [tool:ExitPlanMode|{"plan":"p"}]
// Usage: node server.js [port]
'use strict';
const http = require('http');

const WRITE_CONTENT = 'written by the fake model';
// Every answer gets its own message and tool_use id, as the real API gives: the CLI merges transcript entries that
// share a message id, so a fixed id would glue one turn's tool_use onto the next turn's reply on a resume.
let answers = 0;

function textsOf(message) {
  const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content || [];
  return content.filter((b) => b && b.type === 'text' && typeof b.text === 'string').map((b) => b.text);
}

/** The prompt a person sent: the last user text that is not a system reminder. */
function promptOf(body) {
  const texts = [];
  for (const message of body.messages || []) {
    if (message.role !== 'user') continue;
    for (const text of textsOf(message)) if (!text.startsWith('<system-reminder>')) texts.push(text);
  }
  return texts.length ? texts[texts.length - 1] : '';
}

/**
 * The text of the tool_result the model is waiting for, or null: the last tool_result of the request's last user
 * message, unless a prompt (a text that is not a system reminder) follows it there. (On a resume the CLI may put
 * the previous turn's tool_result and the new prompt into one user message; that is a new prompt.)
 */
function toolResultOf(body) {
  const users = (body.messages || []).filter((m) => m && m.role === 'user');
  const last = users[users.length - 1];
  if (!last || !Array.isArray(last.content)) return null;
  let result = null;
  for (const block of last.content) {
    if (!block) continue;
    if (block.type === 'tool_result') result = block;
    else if (block.type === 'text' && typeof block.text === 'string' && !block.text.startsWith('<system-reminder>')) result = null;
  }
  if (!result) return null;
  const content = result.content;
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b) => (b && typeof b.text === 'string' ? b.text : '')).join('');
  return JSON.stringify(content);
}

function replyTo(prompt) {
  return `reply to: ${prompt.slice(0, 60)} (${prompt.length} chars)`;
}

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
    const toolResult = toolResultOf(body);
    const write = toolResult === null ? /\[write:([^\]]+)\]/.exec(prompt) : null;
    const edit = toolResult === null ? /\[edit:([^\]|]+)\|([^\]|]*)\|([^\]|]*)\]/.exec(prompt) : null;
    const bash = toolResult === null ? /\[bash:([^\]]+)\]/.exec(prompt) : null;
    const tool = toolResult === null ? /\[tool:([A-Za-z]+)\|(\{.*\})\]/.exec(prompt) : null;
    // Once a conversation: the CLI reports a finished background agent with a new user message, not a prompt.
    const task = toolResult === null && !JSON.stringify(body.messages || []).includes('toolu_fake_task_') ? /\[task:write=([^\]]+)\]/.exec(prompt) : null;
    const text = toolResult !== null ? `tool said: ${toolResult}` : replyTo(prompt);
    const model = body.model || 'fake-model';
    const n = ++answers;
    const id = `msg_fake_${n}`;
    const usage = { input_tokens: 10, output_tokens: 5 };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const event = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    event('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } });
    /** The whole answer is one tool_use block (its input as one input_json_delta), stop_reason "tool_use". */
    const answerToolUse = (name, input) => {
      event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_fake_${name.toLowerCase()}_${n}`, name, input: {} } });
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } });
      event('content_block_stop', { type: 'content_block_stop', index: 0 });
      event('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } });
      event('message_stop', { type: 'message_stop' });
      res.end();
    };
    if (task) return answerToolUse('Task', { description: 'fake subtask', prompt: `[write:${task[1]}]`, subagent_type: 'general-purpose' });
    if (write) return answerToolUse('Write', { file_path: write[1], content: WRITE_CONTENT });
    if (edit) return answerToolUse('Edit', { file_path: edit[1], old_string: edit[2], new_string: edit[3] });
    if (bash) return answerToolUse('Bash', { command: bash[1], description: 'fake command' });
    if (tool) return answerToolUse(tool[1], JSON.parse(tool[2]));
    const think = toolResult === null ? /\[think:([^\]]+)\]/.exec(prompt) : null;
    const textIndex = think ? 1 : 0;
    if (think) {
      event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: think[1] } });
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'fake-signature' } });
      event('content_block_stop', { type: 'content_block_stop', index: 0 });
    }
    event('content_block_start', { type: 'content_block_start', index: textIndex, content_block: { type: 'text', text: '' } });
    const slow = /\[slow:(\d+)\]/.exec(prompt);
    const stop = /\[stop:(\w+)\]/.exec(JSON.stringify(body.messages || []));
    const finish = () => {
      if (res.destroyed) return;
      event('content_block_delta', { type: 'content_block_delta', index: textIndex, delta: { type: 'text_delta', text } });
      event('content_block_stop', { type: 'content_block_stop', index: textIndex });
      event('message_delta', { type: 'message_delta', delta: { stop_reason: stop ? stop[1] : 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
      event('message_stop', { type: 'message_stop' });
      res.end();
    };
    if (slow && toolResult === null) setTimeout(finish, Number(slow[1])); else finish();
  });
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
