#!/usr/bin/env node
// Resumes a session kept in the server's PostgreSQL store with the official Agent SDK (pinned in package.json):
//   node sdk-resume-from-store.mjs --connection <pg conn string> --session <id> --cwd <dir> --prompt <text>
// The SDK loads the transcript through PgSessionStore (key: projectKey = the CLI's project folder name for the real
// cwd, see FINDINGS.md), materializes it into a temporary config folder, runs the CLI there with --resume and
// --session-mirror, and appends the new turn's entries back through the same store.
// Prints one JSON line per SDK message on stdout; exit 0 on a successful result, else 1 with the error on stderr
// (2 for usage errors). The CLI is $CLAUDE_SIDECAR_CLAUDE_PATH (else the SDK's own); CLAUDE_CONFIG_DIR is passed on.
import { parseArgs } from 'node:util';
import { query } from '@anthropic-ai/claude-agent-sdk';
import { PgSessionStore } from './pg-session-store.mjs';

let args;
try {
  ({ values: args } = parseArgs({
    options: { connection: { type: 'string' }, session: { type: 'string' }, cwd: { type: 'string' }, prompt: { type: 'string' } },
  }));
  for (const k of ['connection', 'session', 'cwd', 'prompt']) if (!args[k]) throw new Error(`missing --${k}`);
} catch (e) {
  process.stderr.write(`${e.message}\nusage: node sdk-resume-from-store.mjs --connection <pg> --session <id> --cwd <dir> --prompt <text>\n`);
  process.exit(2);
}

const store = new PgSessionStore(args.connection);
let code = 1;
try {
  let result;
  for await (const message of query({
    prompt: args.prompt,
    options: {
      resume: args.session,
      sessionStore: store,
      cwd: args.cwd,
      pathToClaudeCodeExecutable: process.env.CLAUDE_SIDECAR_CLAUDE_PATH || undefined,
      env: { ...process.env },
      stderr: (text) => process.stderr.write(text),
    },
  })) {
    process.stdout.write(JSON.stringify(message) + '\n');
    if (message.type === 'system' && message.subtype === 'mirror_error')
      process.stderr.write(`mirror_error: ${message.error}\n`);
    if (message.type === 'result') result = message;
  }
  if (!result) throw new Error('the SDK ended without a result');
  if (result.is_error) throw new Error(`resume failed: ${result.subtype}: ${(result.errors ?? [result.result]).join('; ')}`);
  code = 0;
} catch (e) {
  process.stderr.write(`${e?.stack ?? e}\n`);
} finally {
  await store.close().catch(() => {});
}
// No process.exit: the SDK deletes its temporary config folder only after the CLI has exited.
process.exitCode = code;
