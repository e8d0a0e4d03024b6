// Text the tree and the quick picks show for a session: usage and cost, status, a search match. No `vscode` API
// here, so it is unit-tested under plain Node (test/format.test.mjs).
import { SearchMatch, SessionStatus, TokenUsage } from './protocol';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1,234`: grouped, whatever the machine's locale, as the rest of the English UI. */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** `$0.0123`: four decimals below a dollar (a turn costs cents or less), two from there on. */
export function formatCost(usd: number): string {
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(4)}`;
}

/**
 * The tooltip lines for a session's usage and cost: `Tokens: 1,234 in · 567 out · 89 cache write · 10 cache read`
 * and `Cost: $0.0123`. A field the server did not send is left out, and so is the tokens line when every count is
 * 0 (nothing ran, or the CLI reported nothing); no usage and no cost: no lines.
 */
export function usageLines(usage: Partial<TokenUsage> | undefined, costUsd: number | undefined): string[] {
  const lines: string[] = [];
  if (usage && typeof usage === 'object') {
    const parts: [unknown, string][] = [
      [usage.inputTokens, 'in'],
      [usage.outputTokens, 'out'],
      [usage.cacheCreationInputTokens, 'cache write'],
      [usage.cacheReadInputTokens, 'cache read'],
    ];
    const present = parts.filter((p): p is [number, string] => typeof p[0] === 'number' && Number.isFinite(p[0]));
    if (present.some(([n]) => n > 0)) lines.push(`Tokens: ${present.map(([n, what]) => `${formatCount(n)} ${what}`).join(' · ')}`);
  }
  if (typeof costUsd === 'number' && Number.isFinite(costUsd)) lines.push(`Cost: ${formatCost(costUsd)}`);
  return lines;
}

/** Text for a quick pick's label, description or detail, which read `$(name)` as an icon: kept as typed. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** `resumable`, or `not resumable: <reason>` as the tree's description says it. */
export function statusText(status: SessionStatus): string {
  return status.resumable ? 'resumable' : `not resumable: ${status.reason ?? 'unknown'}`;
}

/**
 * The snippet cut to start shortly before the first whole word of the query in it, so that a one-line display (a
 * quick pick's detail) shows the match: the server's snippet has up to 120 characters before it. Case is ignored,
 * as the server does; a snippet where no word is found (a phrase across punctuation, a symbol query) is kept whole.
 */
export function nearMatch(snippet: string, query: string, before = 40): string {
  let at = -1;
  for (const word of query.split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
    const found = new RegExp(`(?<![\\p{L}\\p{N}])${word}(?![\\p{L}\\p{N}])`, 'iu').exec(snippet);
    if (found && (at < 0 || found.index < at)) at = found.index;
  }
  if (at < before + 10) return snippet;
  const space = snippet.lastIndexOf(' ', at - before);
  let start = space > 0 && at - space < before * 2 ? space + 1 : at - before;
  const code = snippet.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start--; // not inside a surrogate pair
  return `…${snippet.slice(start).replace(/^…/, '')}`;
}

/** The most matches session/search gives per session: with that many, more messages may match. */
export const MATCHES_PER_SESSION = 5;

/**
 * A session's search matches as one line: who wrote the first, the server's snippet, and how many other messages
 * matched (`You: … the zebrafish module  (+2 messages)`; `+4 or more messages` when the server's 5 were all used).
 */
export function matchLine(matches: SearchMatch[], query?: string): string {
  const first = matches[0];
  if (!first) return '';
  const who = first.type === 'assistant' ? 'Claude' : 'You';
  const flat = first.snippet.replace(/\s+/g, ' ').trim();
  const snippet = query ? nearMatch(flat, query) : flat;
  const more = matches.length - 1;
  const capped = matches.length >= MATCHES_PER_SESSION;
  const suffix = more <= 0 ? '' : `  (+${more}${capped ? ' or more' : ''} message${more === 1 && !capped ? '' : 's'})`;
  return `${who}: ${snippet}${suffix}`;
}

/**
 * An editor selection as context for a prompt: `` `src/a.ts` lines 3-7: `` (or `line 3`) and the text in a fenced
 * block tagged with the file's extension; the fence is longer than any backtick run in the text. A selection that
 * ends at the start of a line does not count that line.
 */
export function selectionContext(relativePath: string, startLine: number, endLine: number, text: string, language = ''): string {
  const lines = startLine === endLine ? `line ${startLine}` : `lines ${startLine}-${endLine}`;
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `\`${relativePath}\` ${lines}:\n${fence}${language}\n${body}${fence}\n`;
}
