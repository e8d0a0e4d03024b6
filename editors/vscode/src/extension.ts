// The VS Code side: settings, commands, the tree view, progress with cancel, the output channels.
// Everything that talks to the server goes through SidecarClient (client.ts), which knows nothing of VS Code.
import * as vscode from 'vscode';
import { SidecarClient, SidecarError, TraceLevel, resolveServerCommand } from './client';
import { DeleteRequest, PermissionMode, RenameRequest, StreamJsonMessage, TurnResult, assistantText } from './protocol';
import { SESSION_SCHEME, SessionEntry, SessionNode, SessionsTreeProvider, listSessions } from './sessionsTree';
import { TRANSCRIPT_SCHEME, TranscriptProvider, transcriptUri } from './transcript';

const SECTION = 'claudeSessions';

let client: SidecarClient | undefined;
let output: vscode.OutputChannel;
let serverLog: vscode.OutputChannel;
let tree: SessionsTreeProvider;

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
    onRequestPermission: async ({ toolName, input }) => {
      const detail = typeof input === 'string' ? input : JSON.stringify(input, null, 2);
      const answer = await vscode.window.showInformationMessage(
        `Claude wants to use the tool "${toolName}".`,
        { modal: true, detail: detail.length > 1500 ? `${detail.slice(0, 1500)}…` : detail },
        'Allow',
        'Deny',
      );
      return answer === 'Allow' ? { allow: true } : { allow: false, message: 'Denied in VS Code.' };
    },
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

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('Claude Sessions');
  serverLog = vscode.window.createOutputChannel('Claude Sessions (server)');
  tree = new SessionsTreeProvider(getClient, () => config().get<boolean>('includeExternal', true));
  const transcripts = new TranscriptProvider(getClient);

  context.subscriptions.push(
    output,
    serverLog,
    vscode.window.createTreeView('claudeSessions.sessions', { treeDataProvider: tree, showCollapseAll: false }),
    vscode.window.registerFileDecorationProvider(tree),
    vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, transcripts),
    command('claudeSessions.newSession', newSession),
    command('claudeSessions.resumeSession', resumeSession),
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
  const prompt = await vscode.window.showInputBox({
    title: 'New Claude Session',
    prompt: `First prompt for a new session in ${folder.name}`,
    placeHolder: 'What should Claude do?',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Type a prompt'),
  });
  if (!prompt?.trim()) return;
  const title = prompt.split('\n')[0].slice(0, 80);
  await runTurn(`New session: ${title}`, (signal, onMessage) =>
    getClient().create({ workingDirectory: folder.uri.fsPath, prompt, permissionMode: permissionMode() }, { signal, onMessage }),
  );
}

async function resumeSession(node?: SessionNode): Promise<void> {
  const session = await sessionArgument(node, 'Resume which session?', true);
  if (!session) return;
  const prompt = await vscode.window.showInputBox({
    title: `Resume: ${session.title}`,
    prompt: 'Next prompt',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Type a prompt'),
  });
  if (!prompt?.trim()) return;
  await runTurn(
    `Resume: ${session.title}`,
    (signal, onMessage) => getClient().resume({ sessionId: session.sessionId, prompt, permissionMode: permissionMode() }, { signal, onMessage }),
    session.sessionId,
  );
}

function permissionMode(): PermissionMode | undefined {
  return (config().get<string>('permissionMode', '') || undefined) as PermissionMode | undefined;
}

/** Runs one turn under a cancellable progress notification, streaming its text to the output channel. */
async function runTurn(
  title: string,
  start: (signal: AbortSignal, onMessage: (m: StreamJsonMessage, sessionId: string) => void) => Promise<{ sessionId: string; result: TurnResult }>,
  knownSessionId?: string,
): Promise<void> {
  output.show(true);
  output.appendLine(`\n▶ ${title}`);
  // The tree shows the session as running from the moment it is known (a new one: when the CLI announces it) until
  // the answer; then one refresh lists it as the turn left it (new size, resumable).
  let running = knownSessionId;
  if (running) tree.setRunning(running, true);
  let answer: { sessionId: string; result: TurnResult };
  try {
    answer = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Claude: ${title}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => {
          output.appendLine('… cancelling');
          controller.abort();
        });
        try {
          return await start(controller.signal, (message, sessionId) => {
            if (message.type === 'system' && message.subtype === 'init' && !running) {
              running = sessionId;
              progress.report({ message: 'running…' });
              tree.setRunning(sessionId, true); // the session is stored as soon as the CLI announces it
            } else if (message.type === 'system' && message.subtype === 'init') {
              progress.report({ message: 'running…' });
            }
            for (const text of assistantText(message)) {
              output.appendLine(text);
              progress.report({ message: text.split('\n')[0].slice(0, 80) });
            }
          });
        } finally {
          subscription.dispose();
        }
      },
    );
  } finally {
    if (running) tree.setRunning(running, false);
    else tree.refresh();
  }
  const r = answer.result;
  const cost = r.totalCostUsd != null ? ` · $${r.totalCostUsd.toFixed(4)}` : '';
  const took = r.durationMs != null ? ` · ${(r.durationMs / 1000).toFixed(1)} s` : '';
  if (r.cancelled) {
    output.appendLine('■ cancelled');
    void vscode.window.showInformationMessage(`Claude: ${title} — cancelled.`);
  } else if (r.isError) {
    output.appendLine(`✖ ${r.subtype ?? 'error'}: ${r.text ?? ''}`);
    void vscode.window.showErrorMessage(`Claude: the turn failed (${r.subtype ?? 'error'}): ${r.text ?? ''}`);
  } else {
    output.appendLine(`✔ done${took}${cost} (session ${answer.sessionId})`);
    vscode.window.setStatusBarMessage(`Claude: ${title} — done`, 5000);
  }
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
