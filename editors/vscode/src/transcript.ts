// Show Transcript: a read-only Markdown document of a session, from session/messages when the server has it,
// else from the transcript file the server's status points at.
import * as fs from 'fs';
import * as vscode from 'vscode';
import { SidecarClient } from './client';
import { MessagesRequest, TranscriptMessage } from './protocol';

export const TRANSCRIPT_SCHEME = 'claude-transcript';

export function transcriptUri(sessionId: string, title: string): vscode.Uri {
  const safe = (title || sessionId).replace(/[\\/:*?"<>|\r\n]+/g, ' ').slice(0, 60).trim() || sessionId;
  return vscode.Uri.from({ scheme: TRANSCRIPT_SCHEME, path: `/${safe}.md`, query: `id=${sessionId}` });
}

export class TranscriptProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => SidecarClient) {}

  update(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const sessionId = new URLSearchParams(uri.query).get('id') ?? '';
    const client = this.client();
    await client.start();
    let messages: TranscriptMessage[];
    let source: string;
    if (client.supports(MessagesRequest.method)) {
      messages = [];
      for (let offset = 0; ; ) {
        const page = await client.messages({ sessionId, offset, limit: 500 });
        messages.push(...page.messages);
        if (page.messages.length < 500 || (page.total !== undefined && offset + page.messages.length >= page.total)) break;
        offset += page.messages.length;
      }
      source = 'session/messages';
    } else {
      const status = await client.status({ sessionId });
      if (!status.filePath) return `# Session ${sessionId}\n\nNo transcript: ${status.reason ?? 'the server gave no file'}.\n`;
      messages = readTranscriptFile(await fs.promises.readFile(status.filePath, 'utf8'));
      source = status.filePath;
    }
    return render(sessionId, messages, source);
  }
}

/** The user/assistant lines of a CLI transcript (JSONL), skipping sidechains and anything unreadable. */
export function readTranscriptFile(text: string): TranscriptMessage[] {
  const messages: TranscriptMessage[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line);
      if ((entry.type === 'user' || entry.type === 'assistant') && !entry.isSidechain) {
        messages.push({ uuid: entry.uuid, type: entry.type, timestamp: entry.timestamp, message: entry.message });
      }
    } catch {
      // a torn line: the CLI skips it too
    }
  }
  return messages;
}

function render(sessionId: string, messages: TranscriptMessage[], source: string): string {
  const out: string[] = [`# Session ${sessionId}`, '', `_${messages.length} messages, from ${source}_`, ''];
  for (const m of messages) {
    const body = contentText((m.message as { content?: unknown } | undefined)?.content);
    if (!body.trim()) continue;
    const when = m.timestamp ? ` · ${new Date(m.timestamp).toLocaleString()}` : '';
    out.push(`## ${m.type === 'user' ? 'You' : m.type === 'assistant' ? 'Claude' : m.type}${when}`, '', body, '');
  }
  return out.join('\n');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (!block || typeof block !== 'object') continue;
    const b = block as { type?: string; text?: string; name?: string; input?: unknown; content?: unknown };
    if (b.type === 'text' && typeof b.text === 'string') {
      if (!b.text.startsWith('<system-reminder>')) parts.push(b.text);
    } else if (b.type === 'tool_use') {
      parts.push(`\`tool: ${b.name ?? '?'}\`\n\n${'```'}json\n${JSON.stringify(b.input, null, 2)}\n${'```'}`);
    } else if (b.type === 'tool_result') {
      const inner = contentText(b.content);
      parts.push(`\`tool result\`\n\n${inner.length > 2000 ? `${inner.slice(0, 2000)}…` : inner}`);
    }
  }
  return parts.join('\n\n');
}
