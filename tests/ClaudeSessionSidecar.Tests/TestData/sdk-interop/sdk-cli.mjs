#!/usr/bin/env node
// Oracle: runs one session function of @anthropic-ai/claude-agent-sdk (pinned in package.json) and prints one JSON
// result on stdout. Usage: node sdk-cli.mjs <command> '<json-args>'
//   list      {dir?, limit?, offset?, includeWorktrees?, includeProgrammatic?}  -> SDKSessionInfo[]
//   info      {sessionId, dir?}                                               -> SDKSessionInfo | null
//   messages  {sessionId, dir?, limit?, offset?, includeSystemMessages?}       -> SessionMessage[]
//   rename    {sessionId, title, dir?}                                        -> {ok:true}
//   tag       {sessionId, tag (string|null), dir?}                            -> {ok:true}
//   archive   {sessionId, dir?}                                               -> {ok:true}
//   unarchive {sessionId, dir?}                                               -> {ok:true}
//   delete    {sessionId, dir?}                                               -> {ok:true}
//   fork      {sessionId, dir?, upToMessageId?, title?}                       -> {sessionId}
//   subagents {sessionId, dir?}                                               -> string[]
// The SDK is imported from $SDK_MODULE_DIR (a node_modules folder, or the package folder itself); default: the
// node_modules next to this file. The SDK reads CLAUDE_CONFIG_DIR itself (projects dir = $CLAUDE_CONFIG_DIR/projects,
// else ~/.claude/projects): set it, never let the oracle touch a real ~/.claude.
// On failure: exit code 1 (2 for usage errors) and {"error": message, "name": ..., "code": ...} on stderr.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function fail(code, error) {
  const e = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(JSON.stringify({ error: e.message, name: e.name, ...(e.code !== undefined && { code: e.code }) }) + '\n');
  process.exit(code);
}

function sdkEntry() {
  const base = process.env.SDK_MODULE_DIR || path.join(here, 'node_modules');
  const candidates = [
    path.join(base, '@anthropic-ai', 'claude-agent-sdk', 'sdk.mjs'),
    path.join(base, 'node_modules', '@anthropic-ai', 'claude-agent-sdk', 'sdk.mjs'),
    path.join(base, 'sdk.mjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`claude-agent-sdk not found under ${base} (run: npm install --prefix ${here})`);
  return found;
}

const [command, rawArgs] = process.argv.slice(2);
if (!command) fail(2, new Error('usage: node sdk-cli.mjs <list|info|messages|rename|tag|archive|unarchive|delete|fork|subagents> <json-args>'));
if (!process.env.CLAUDE_CONFIG_DIR && process.env.SDK_ORACLE_ALLOW_HOME !== '1')
  fail(2, new Error('CLAUDE_CONFIG_DIR is not set: refusing to read or write ~/.claude (set SDK_ORACLE_ALLOW_HOME=1 to allow)'));

let args;
try {
  args = rawArgs ? JSON.parse(rawArgs) : {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new Error('json-args must be an object');
} catch (e) {
  fail(2, e);
}

// Only pass options that were given, so the SDK's own defaults apply.
const pick = (...keys) => Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
const need = (k) => {
  if (args[k] === undefined) throw new Error(`missing argument: ${k}`);
  return args[k];
};

try {
  const sdk = await import(pathToFileURL(sdkEntry()).href);
  let result;
  switch (command) {
    case 'list':
      result = await sdk.listSessions(pick('dir', 'limit', 'offset', 'includeWorktrees', 'includeProgrammatic'));
      break;
    case 'info':
      result = (await sdk.getSessionInfo(need('sessionId'), pick('dir'))) ?? null;
      break;
    case 'messages':
      result = await sdk.getSessionMessages(need('sessionId'), pick('dir', 'limit', 'offset', 'includeSystemMessages'));
      break;
    case 'rename':
      await sdk.renameSession(need('sessionId'), need('title'), pick('dir'));
      result = { ok: true };
      break;
    case 'tag':
      if (!('tag' in args)) throw new Error('missing argument: tag (use null to clear)');
      await sdk.tagSession(need('sessionId'), args.tag, pick('dir'));
      result = { ok: true };
      break;
    case 'archive':
      await sdk.archiveSession(need('sessionId'), pick('dir'));
      result = { ok: true };
      break;
    case 'unarchive':
      await sdk.unarchiveSession(need('sessionId'), pick('dir'));
      result = { ok: true };
      break;
    case 'delete':
      await sdk.deleteSession(need('sessionId'), pick('dir'));
      result = { ok: true };
      break;
    case 'fork':
      result = await sdk.forkSession(need('sessionId'), pick('dir', 'upToMessageId', 'title'));
      break;
    case 'subagents':
      result = await sdk.listSubagents(need('sessionId'), pick('dir'));
      break;
    default:
      fail(2, new Error(`unknown command: ${command}`));
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} catch (e) {
  fail(1, e);
}
