// A minimal stdio MCP server for the ACP suite: it records how it was started (its marker file gets the value of
// PROBE_VALUE), then answers initialize and tools/list (one tool, "echo") so that the CLI keeps it connected.
// Usage: node mcp-probe.mjs <marker file>
import fs from 'node:fs';
import readline from 'node:readline';

fs.writeFileSync(process.argv[2], JSON.stringify({ probeValue: process.env.PROBE_VALUE ?? null }));
const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let request;
  try { request = JSON.parse(line); } catch { return; }
  if (request.id === undefined) return;
  if (request.method === 'initialize') {
    send({ id: request.id, result: { protocolVersion: request.params?.protocolVersion ?? '2024-11-05', capabilities: { tools: {} }, serverInfo: { name: 'probe', version: '1.0.0' } } });
  } else if (request.method === 'tools/list') {
    send({ id: request.id, result: { tools: [{ name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }] } });
  } else {
    send({ id: request.id, error: { code: -32601, message: `not supported: ${request.method}` } });
  }
});
