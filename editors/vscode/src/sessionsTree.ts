// The "Claude Sessions" tree view: the sessions of the workspace folder(s), newest first.
import * as vscode from 'vscode';
import { SidecarClient } from './client';
import { usageLines } from './format';
import { ListRequest, SessionStatus, TokenUsage } from './protocol';

export const SESSION_SCHEME = 'claude-session';

/** One session as the tree shows it, from session/list or session/listResumable. */
export interface SessionEntry {
  sessionId: string;
  title: string;
  firstPrompt?: string;
  workingDirectory: string;
  lastActiveAt?: string;
  fileSize?: number;
  filePath?: string;
  source?: string;
  status: SessionStatus;
  /** session/list's token counts and cost, from servers that report them. */
  usage?: TokenUsage;
  costUsd?: number;
}

export class FolderNode {
  constructor(readonly folder: vscode.WorkspaceFolder) {}
}

export class SessionNode {
  constructor(readonly session: SessionEntry) {}
}

export class MessageNode {
  constructor(readonly text: string, readonly tooltip?: string) {}
}

type Node = FolderNode | SessionNode | MessageNode;

export class SessionsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.FileDecorationProvider {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;
  /** The last listing of each folder, for quick picks. */
  private readonly cache = new Map<string, SessionEntry[]>();
  /** Sessions with a turn in flight: their listed status is transient (no transcript yet, the size before the turn). */
  private readonly running = new Set<string>();
  /** Sessions with a conversation view open. */
  private openViews = new Set<string>();

  constructor(
    private readonly client: () => SidecarClient,
    private readonly includeExternal: () => boolean,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Marks a session as running a turn (or done) and refreshes the tree. */
  setRunning(sessionId: string, running: boolean): void {
    if (running) this.running.add(sessionId);
    else this.running.delete(sessionId);
    this.refresh();
  }

  /** The sessions whose conversation view is open; the tree marks them. */
  setOpenViews(sessionIds: Set<string>): void {
    const same = sessionIds.size === this.openViews.size && [...sessionIds].every((id) => this.openViews.has(id));
    this.openViews = new Set(sessionIds);
    if (!same) this.refresh();
  }

  cachedSessions(): SessionEntry[] {
    return [...this.cache.values()].flat();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node instanceof FolderNode) {
      const item = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      item.contextValue = 'folder';
      return item;
    }
    if (node instanceof MessageNode) {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.tooltip = node.tooltip;
      item.contextValue = 'message';
      return item;
    }
    const s = node.session;
    const label = s.title || s.firstPrompt || s.sessionId;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = s.sessionId;
    const open = this.openViews.has(s.sessionId) ? 'open · ' : '';
    const openCommand = { command: 'claudeSessions.openSession', title: 'Open Session', arguments: [node] };
    if (this.running.has(s.sessionId)) {
      // Mid-turn, session/list sees the transcript as the CLI left it so far (a new session's is not written yet).
      item.description = `${open}running…`;
      item.accessibilityInformation = { label: `${label}, ${item.description}` };
      item.resourceUri = vscode.Uri.from({ scheme: SESSION_SCHEME, path: `/${s.sessionId}`, query: 'resumable' });
      item.contextValue = 'session.running';
      item.iconPath = new vscode.ThemeIcon('sync~spin');
      item.tooltip = `A turn of this session is running.\n${s.sessionId}`;
      item.command = openCommand;
      return item;
    }
    const parts = [s.lastActiveAt ? age(s.lastActiveAt) : undefined, s.fileSize !== undefined ? size(s.fileSize) : undefined];
    if (!s.status.resumable) parts.push(`not resumable: ${s.status.reason ?? 'unknown'}`);
    item.description = open + parts.filter(Boolean).join(' · ');
    // Without this, VS Code reads a plain-string tooltip as the whole accessible name, and the title would be lost.
    item.accessibilityInformation = { label: `${label}, ${item.description}` };
    // The label is greyed out through a file decoration on this URI (see provideFileDecoration).
    item.resourceUri = vscode.Uri.from({ scheme: SESSION_SCHEME, path: `/${s.sessionId}`, query: s.status.resumable ? 'resumable' : `reason=${s.status.reason ?? ''}` });
    item.contextValue = s.status.resumable ? 'session.resumable' : 'session.notResumable';
    item.iconPath = s.status.resumable
      ? new vscode.ThemeIcon('comment-discussion', open ? new vscode.ThemeColor('charts.blue') : undefined)
      : new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
    if (s.status.resumable) {
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**${escape(s.title)}**\n\n`);
      if (s.firstPrompt) md.appendMarkdown(`${escape(s.firstPrompt.slice(0, 300))}\n\n`);
      md.appendMarkdown(`Last active ${s.lastActiveAt ? new Date(s.lastActiveAt).toLocaleString() : '?'} · ${s.fileSize !== undefined ? size(s.fileSize) : '?'}`);
      md.appendMarkdown(`${s.source === 'external' ? ' · made by the CLI' : ''}\n\n`);
      for (const line of usageLines(s.usage, s.costUsd)) md.appendMarkdown(`${escape(line)}\n\n`);
      md.appendMarkdown(`\`${s.sessionId}\``);
      item.tooltip = md;
    } else {
      item.tooltip = [`Not resumable: ${s.status.reason ?? 'unknown reason'}`, ...usageLines(s.usage, s.costUsd)].join('\n');
    }
    item.command = openCommand;
    return item;
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== SESSION_SCHEME || uri.query === 'resumable') return undefined;
    // Colour only: the tree item's own tooltip already gives the reason (VS Code would show both, joined).
    return { color: new vscode.ThemeColor('disabledForeground') };
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!node) {
      if (folders.length === 0) return [];
      if (folders.length > 1) return folders.map((f) => new FolderNode(f));
      return this.sessionsOf(folders[0]);
    }
    if (node instanceof FolderNode) return this.sessionsOf(node.folder);
    return [];
  }

  private async sessionsOf(folder: vscode.WorkspaceFolder): Promise<Node[]> {
    try {
      const sessions = await listSessions(this.client(), folder.uri.fsPath, this.includeExternal());
      this.cache.set(folder.uri.fsPath, sessions);
      return sessions.map((s) => new SessionNode(s));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return [new MessageNode(`Cannot list sessions: ${message.split('\n')[0]}`, message)];
    }
  }
}

/** The folder's sessions, newest first: session/list when the server has it (with non-resumable ones), else listResumable. */
export async function listSessions(client: SidecarClient, workingDirectory: string, includeExternal: boolean): Promise<SessionEntry[]> {
  await client.start();
  let sessions: SessionEntry[];
  if (client.supports(ListRequest.method)) {
    const result = await client.list({ workingDirectory, includeExternal, limit: 200 });
    sessions = result.sessions.map((s) => ({
      ...s,
      workingDirectory: s.workingDirectory ?? workingDirectory,
      title: s.title,
    }));
  } else {
    const result = await client.listResumable({ workingDirectory, includeExternal, limit: 200 });
    sessions = result.sessions.map((s) => ({ ...s, status: { resumable: true, fileSize: s.fileSize, filePath: s.filePath, workingDirectory: s.workingDirectory } }));
  }
  const time = (s: SessionEntry) => (s.lastActiveAt ? Date.parse(s.lastActiveAt) : 0);
  // Resumable first, each group newest first.
  return sessions.sort((a, b) => Number(b.status.resumable) - Number(a.status.resumable) || time(b) - time(a));
}

export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return '';
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} days ago`;
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
