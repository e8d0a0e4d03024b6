// The VS Code side: settings, commands, the tree view, the conversation views, the output channels.
// Everything that talks to the server goes through SidecarClient (client.ts), which knows nothing of VS Code.
import * as path from 'path';
import * as vscode from 'vscode';
import { SidecarClient, SidecarError, TraceLevel, resolveServerCommand } from './client';
import { CONVERSATION_VIEW_TYPE, ConversationViews, prepareFolder } from './conversation';
import { escapeIcons, matchLine, selectionContext, statusText } from './format';
import { DeleteRequest, PermissionMode, RenameRequest, RequestPermissionParams, RequestPermissionResult, SearchHit, SearchRequest } from './protocol';
import { PROPOSED_SCHEME, ProposedEdits } from './proposed';
import { SESSION_SCHEME, SessionEntry, SessionNode, SessionsTreeProvider, age, listSessions } from './sessionsTree';
import { TRANSCRIPT_SCHEME, TranscriptProvider, transcriptUri } from './transcript';

const SECTION = 'claudeSessions';
/** How many sessions Search Sessions… asks for per folder (one page; the quick pick says when there were more). */
export const SEARCH_LIMIT = 50;

let client: SidecarClient | undefined;
let output: vscode.OutputChannel;
let serverLog: vscode.OutputChannel;
let tree: SessionsTreeProvider;
let conversations: ConversationViews | undefined;
/** The last query of Search Sessions…, offered again the next time. */
let lastQuery = '';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function getClient(): SidecarClient {
  if (client) return client;
  const created = new SidecarClient({
    server: () =>
      resolveServerCommand({
        serverPath: config().get<string>('server.path', ''),
        serverArgs: config().get<string[]>('server.args', []),
        claudePath: config().get<string>('claudePath', ''),
        environment: config().get<Record<string, string>>('environment', {}),
      }),
    trace: () => config().get<TraceLevel>('trace.server', 'off'),
    logger: {
      info: (m) => serverLog.appendLine(`[info] ${m}`),
      error: (m) => serverLog.appendLine(`[error] ${m}`),
      trace: (m) => serverLog.appendLine(m),
    },
    clientInfo: { name: 'vscode-claude-sessions', version: '0.1.0' },
    // Asked in the session's conversation view when one is open, else in a modal dialog.
    onRequestPermission: (params, signal) => conversations?.askPermission(params, signal) ?? askInDialog(params),
  });
  created.onDidExit((exit) => {
    if (exit.expected) return;
    const tail = exit.stderrTail.trim().split('\n').slice(-3).join(' ');
    void vscode.window
      .showErrorMessage(
        `The Claude Session Sidecar server stopped (code ${exit.code ?? exit.signal}). It restarts on the next command.${tail ? ` ${tail}` : ''}`,
        'Show Log',
      )
      .then((choice) => choice && serverLog.show(true));
  });
  client = created;
  return created;
}

function answerProposed(edits: ProposedEdits, uri: vscode.Uri | undefined, allow: boolean): void {
  if (!edits.answer(uri, allow)) void vscode.window.showWarningMessage('Claude Sessions: this change is no longer waiting for an answer.');
}

/**
 * Send Selection to Session: the active editor's selection, as a workspace-relative path, line range and fenced
 * text, into the prompt box of the conversation view last used (a new session's view when none is open). Not sent.
 */
async function sendSelection(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Claude Sessions: select some text in an editor first.');
    return;
  }
  const { document, selection } = editor;
  let end = selection.end.line;
  if (selection.end.character === 0 && end > selection.start.line) end--;
  const range = selection.isEmpty ? document.lineAt(selection.start.line).range : new vscode.Range(selection.start, selection.end);
  const text = document.getText(range);
  const relative = vscode.workspace.asRelativePath(document.uri, false);
  const extension = path.extname(document.uri.path).slice(1);
  const context = selectionContext(relative, selection.start.line + 1, end + 1, text, extension || (document.languageId === 'plaintext' ? '' : document.languageId));
  let view = conversations!.current();
  if (!view) {
    const folder = vscode.workspace.getWorkspaceFolder(document.uri) ?? (await pickFolder());
    if (!folder) return;
    view = conversations!.openNew(folder.uri.fsPath);
  }
  view.insertText(context);
}

async function askInDialog({ toolName, input, proposedEdit }: RequestPermissionParams): Promise<RequestPermissionResult> {
  const detail = proposedEdit
    ? `${proposedEdit.path}${proposedEdit.unshown ? ` (${proposedEdit.unshown.replace(/_/g, ' ')}: not shown)` : ''}\n\n${(proposedEdit.hunks ?? []).flatMap((h) => h.lines).join('\n')}`
    : typeof input === 'string'
      ? input
      : JSON.stringify(input, null, 2);
  const answer = await vscode.window.showInformationMessage(
    `Claude wants to use the tool "${toolName}".`,
    { modal: true, detail: detail.length > 1500 ? `${detail.slice(0, 1500)}…` : detail },
    'Allow',
    'Deny',
  );
  return answer === 'Allow' ? { allow: true } : { allow: false, message: 'Denied in VS Code.' };
}

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('Claude Sessions');
  serverLog = vscode.window.createOutputChannel('Claude Sessions (server)');
  tree = new SessionsTreeProvider(getClient, () => config().get<boolean>('includeExternal', true));
  const transcripts = new TranscriptProvider(getClient);
  const proposedEdits = new ProposedEdits();
  const commandsKey = (folder: string) => `slashCommands:${folder}`;
  const views = new ConversationViews({
    extensionUri: context.extensionUri,
    client: getClient,
    permissionMode,
    proposedEdits,
    slashCommands: (folder) => context.globalState.get<string[]>(commandsKey(folder), []),
    rememberSlashCommands: (folder, list) => void context.globalState.update(commandsKey(folder), list),
    setRunning: (sessionId, running) => tree.setRunning(sessionId, running),
    openViewsChanged: () => tree.setOpenViews(views.openSessionIds()),
    log: (line) => output.appendLine(line),
  });
  conversations = views;

  context.subscriptions.push(
    output,
    serverLog,
    vscode.window.createTreeView('claudeSessions.sessions', { treeDataProvider: tree, showCollapseAll: false }),
    vscode.window.registerFileDecorationProvider(tree),
    vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, transcripts),
    vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, proposedEdits),
    command('claudeSessions.allowProposedEdit', async (uri?: vscode.Uri) => answerProposed(proposedEdits, uri, true)),
    command('claudeSessions.denyProposedEdit', async (uri?: vscode.Uri) => answerProposed(proposedEdits, uri, false)),
    command('claudeSessions.sendSelection', sendSelection),
    vscode.window.registerWebviewPanelSerializer(CONVERSATION_VIEW_TYPE, views),
    command('claudeSessions.newSession', newSession),
    command('claudeSessions.resumeSession', (node?: SessionNode) => openSession(node, true)),
    command('claudeSessions.openSession', (node?: SessionNode) => openSession(node, false)),
    command('claudeSessions.searchSessions', searchSessions),
    command('claudeSessions.showTranscript', async (node?: SessionNode) => {
      const session = await sessionArgument(node, 'Show the transcript of which session?', false);
      if (!session) return;
      const uri = transcriptUri(session.sessionId, session.title);
      transcripts.update(uri);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(document, 'markdown');
      await vscode.window.showTextDocument(document, { preview: true });
    }),
    command('claudeSessions.rename', renameSession),
    command('claudeSessions.delete', deleteSession),
    command('claudeSessions.refresh', async () => tree.refresh()),
    command('claudeSessions.showOutput', async () => output.show()),
    command('claudeSessions.restartServer', async () => {
      await client?.stop();
      await getClient().start();
      tree.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (['server', 'claudePath', 'environment', 'trace'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        await client?.stop(); // the next command starts it with the new settings
      }
      tree.refresh();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => tree.refresh()),
  );
  // A spare CLI for the folder, so the first reply of a new session comes sooner.
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder) void prepareFolder(getClient(), folder.uri.fsPath, permissionMode(), (line) => serverLog.appendLine(line));
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** Registers a command whose failures end up as an error message instead of a silent rejection. */
function command(id: string, run: (...args: any[]) => Promise<unknown>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: any[]) => {
    try {
      await run(...args);
    } catch (error) {
      await showError(error);
    }
  });
}

async function showError(error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  serverLog.appendLine(`[error] ${message}`);
  if (/not found on PATH/.test(message)) {
    const choice = await vscode.window.showErrorMessage(message, 'Open Settings');
    if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
    return;
  }
  const reason = error instanceof SidecarError && error.reason ? ` (${error.reason})` : '';
  void vscode.window.showErrorMessage(`Claude Sessions: ${message}${reason}`);
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showErrorMessage('Claude Sessions: open a folder first; sessions run in a workspace folder.');
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Start the session in which folder?' });
}

async function newSession(): Promise<void> {
  const folder = await pickFolder();
  if (!folder) return;
  conversations!.openNew(folder.uri.fsPath);
}

/** Opens the conversation view of a session (Resume Session: only resumable ones are offered). */
async function openSession(node: SessionNode | undefined, resumableOnly: boolean): Promise<void> {
  const session = await sessionArgument(node, resumableOnly ? 'Resume which session?' : 'Open which session?', resumableOnly);
  if (!session) return;
  conversations!.open(session);
}

function permissionMode(): PermissionMode | undefined {
  return (config().get<string>('permissionMode', '') || undefined) as PermissionMode | undefined;
}

/** The session a command acts on: the tree node it was invoked on, else a quick pick. */
async function sessionArgument(node: SessionNode | undefined, placeHolder: string, resumableOnly: boolean): Promise<SessionEntry | undefined> {
  if (node instanceof SessionNode) return node.session;
  if (node && typeof node === 'object' && 'session' in node) return (node as SessionNode).session;
  const folder = await pickFolder();
  if (!folder) return undefined;
  const sessions = (await listSessions(getClient(), folder.uri.fsPath, config().get<boolean>('includeExternal', true))).filter(
    (s) => s.status.resumable || !resumableOnly,
  );
  if (sessions.length === 0) {
    void vscode.window.showInformationMessage(`No ${resumableOnly ? 'resumable ' : ''}Claude sessions in ${folder.name}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    sessions.map((s) => ({
      label: s.title || s.sessionId,
      description: [s.lastActiveAt ? new Date(s.lastActiveAt).toLocaleString() : '', s.status.resumable ? '' : `not resumable: ${s.status.reason}`]
        .filter(Boolean)
        .join(' · '),
      detail: s.firstPrompt && s.firstPrompt !== s.title ? s.firstPrompt.slice(0, 120) : s.sessionId,
      session: s,
    })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.session;
}

interface SearchPick extends vscode.QuickPickItem {
  hit: SearchHit;
  folder: vscode.WorkspaceFolder;
}

/**
 * Search Sessions…: asks for words or "quoted phrases", sends session/search for each workspace folder with the
 * tree's scope (its folder and includeExternal), and offers the sessions found in a quick pick: title, status, and
 * the first match's snippet. The one picked opens in its conversation view, scrolled to that message.
 */
async function searchSessions(): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showErrorMessage('Claude Sessions: open a folder first; the search looks at its sessions.');
    return;
  }
  if (!(await requireMethod(SearchRequest.method))) return;
  const typed = await vscode.window.showInputBox({
    title: 'Search Claude Sessions',
    prompt: 'Words and "quoted phrases": a session is found when its prompts and replies hold every one (case ignored, whole words).',
    placeHolder: 'e.g. zebrafish "task number 814"',
    value: lastQuery,
    valueSelection: [0, lastQuery.length],
    ignoreFocusOut: true,
    validateInput: (v) => (!v.trim() ? 'Type what to look for' : [...v].length > 1000 ? 'At most 1000 characters' : undefined),
  });
  const query = typed?.trim();
  if (!query) return;
  lastQuery = query;
  // Quoted for messages, unless it has quotes of its own (a phrase).
  const shown = query.includes('"') ? query : `"${query}"`;
  const includeExternal = config().get<boolean>('includeExternal', true);
  let results: { folder: vscode.WorkspaceFolder; sessions: SearchHit[]; more: boolean }[];
  try {
    results = await vscode.window.withProgress({ location: { viewId: 'claudeSessions.sessions' }, title: 'Searching' }, () =>
      Promise.all(
        folders.map(async (folder) => {
          const result = await getClient().search({ query, workingDirectory: folder.uri.fsPath, includeExternal, limit: SEARCH_LIMIT });
          return { folder, sessions: result.sessions, more: result.nextCursor !== undefined };
        }),
      ),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = error instanceof SidecarError && error.reason ? ` (${error.reason})` : '';
    serverLog.appendLine(`[error] session/search ${JSON.stringify(query)}: ${message}`);
    void vscode.window.showErrorMessage(`Claude Sessions: the search for ${shown} failed: ${message}${reason}`);
    return;
  }
  const where = folders.length === 1 ? folders[0].name : 'the workspace folders';
  const items: SearchPick[] = results.flatMap(({ folder, sessions }) =>
    sessions.map((hit) => ({
      label: escapeIcons(hit.title || hit.firstPrompt || hit.sessionId),
      description: escapeIcons(
        [statusText(hit.status), hit.lastActiveAt ? age(hit.lastActiveAt) : '', folders.length > 1 ? folder.name : ''].filter(Boolean).join(' · '),
      ),
      detail: escapeIcons(matchLine(hit.matches, query) || hit.firstPrompt || hit.sessionId),
      iconPath: new vscode.ThemeIcon(hit.status.resumable ? 'comment-discussion' : 'circle-slash'),
      hit,
      folder,
    })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No Claude session in ${where} holds ${shown}.`);
    return;
  }
  const more = results.some((r) => r.more);
  const count = `${items.length} session${items.length === 1 ? '' : 's'}`;
  const picked = await vscode.window.showQuickPick(items, {
    title: more ? `${shown}: the first ${count}; there are more (add words to narrow the search)` : `${shown}: ${count}`,
    placeHolder: 'Open which session? (it opens at the matching message)',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return;
  const { hit, folder } = picked;
  conversations!.open({ sessionId: hit.sessionId, title: hit.title, workingDirectory: hit.workingDirectory ?? folder.uri.fsPath }, hit.matches[0]?.uuid);
}

async function requireMethod(method: string): Promise<boolean> {
  const c = getClient();
  await c.start();
  if (c.supports(method)) return true;
  void vscode.window.showWarningMessage(`Claude Sessions: this server version does not offer ${method} yet; update ClaudeSessionSidecar.`);
  return false;
}

async function renameSession(node?: SessionNode): Promise<void> {
  if (!(await requireMethod(RenameRequest.method))) return;
  const session = await sessionArgument(node, 'Rename which session?', false);
  if (!session) return;
  const title = await vscode.window.showInputBox({ title: 'Rename Claude Session', value: session.title, validateInput: (v) => (v.trim() ? undefined : 'Type a title') });
  if (!title?.trim() || title === session.title) return;
  await getClient().rename({ sessionId: session.sessionId, title: title.trim() });
  tree.refresh();
}

async function deleteSession(node?: SessionNode): Promise<void> {
  if (!(await requireMethod(DeleteRequest.method))) return;
  const session = await sessionArgument(node, 'Delete which session?', false);
  if (!session) return;
  const choice = await vscode.window.showWarningMessage(
    `Delete the Claude session "${session.title}"?`,
    { modal: true, detail: 'Its transcript is removed and it can no longer be resumed.' },
    'Delete',
  );
  if (choice !== 'Delete') return;
  await getClient().delete({ sessionId: session.sessionId });
  tree.refresh();
}

export { SESSION_SCHEME };
