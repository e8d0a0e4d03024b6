// The conversation view: one webview panel per session (several at once), showing its history (session/messages,
// paged from the end), a prompt box that continues it (session/resume; session/create for a view opened on a
// folder), the reply as it streams (includePartialMessages), a stop button ($/cancelRequest), permission questions
// inline (an edit's proposed change as a diff, also openable in VS Code's diff editor: proposed.ts), the model and
// permission mode of the next turn, and the session's slash commands. The webview's own script is
// media/conversation.js; this side does every request.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { SidecarClient, SidecarError } from './client';
import {
  ErrorCodes,
  MessagesRequest,
  MessagesResult,
  PermissionMode,
  PrepareRequest,
  RequestPermissionParams,
  RequestPermissionResult,
  StreamJsonMessage,
  TranscriptMessage,
  TurnResult,
} from './protocol';
import { ProposedEdits } from './proposed';

export const CONVERSATION_VIEW_TYPE = 'claudeSessions.conversation';
/** How many messages a view loads at first, and per "load earlier". */
export const PAGE_SIZE = 50;

/** What the webview keeps (vscode.setState) so a reload can bring the view back. */
export interface ConversationState {
  sessionId?: string;
  folder?: string;
  title?: string;
  /** The model and permission mode picked in the view's header for its next turns; none: the defaults. */
  model?: string;
  permissionMode?: PermissionMode;
}

export interface ConversationHost {
  extensionUri: vscode.Uri;
  client(): SidecarClient;
  permissionMode(): PermissionMode | undefined;
  proposedEdits: ProposedEdits;
  /** The slash commands the CLI last reported for a working directory (cached across sessions and reloads). */
  slashCommands(folder: string): string[];
  rememberSlashCommands(folder: string, commands: string[]): void;
  /** A turn of the session starts or ends. */
  setRunning(sessionId: string, running: boolean): void;
  /** The set of sessions with an open view changed. */
  openViewsChanged(): void;
  log(line: string): void;
}

const REASONS: Record<string, string> = {
  metadata_not_found: 'Neither the server nor the CLI knows this session.',
  no_working_directory: 'Its transcript names no working folder.',
  working_directory_missing: 'The folder it ran in no longer exists.',
  session_file_missing: 'Its transcript is gone (deleted, or the CLI was stopped before writing it).',
  session_file_too_small: 'Its transcript is empty.',
  session_file_no_conversation: 'Its transcript holds nothing the CLI would continue.',
  session_file_unreadable: 'Its transcript cannot be read.',
};

/** Every open conversation view; also the serializer that brings them back after a reload. */
export class ConversationViews implements vscode.WebviewPanelSerializer<ConversationState> {
  private readonly views = new Set<ConversationView>();
  private lastActive: ConversationView | undefined;

  constructor(private readonly host: ConversationHost) {}

  /**
   * The view of a session: the open one, revealed, or a new one. With `messageUuid` (a search match), the view
   * scrolls to that message and marks it, loading the earlier pages it is on when needed.
   */
  open(session: { sessionId: string; title?: string; workingDirectory?: string }, messageUuid?: string): ConversationView {
    let view = this.viewOf(session.sessionId);
    if (view) {
      view.panel.reveal();
      if (!messageUuid) view.focusPrompt();
    } else {
      view = this.create({ sessionId: session.sessionId, title: session.title, folder: session.workingDirectory });
    }
    if (messageUuid) void view.revealMessage(messageUuid);
    return view;
  }

  /** A view for a new session in `folder`: its first prompt does session/create. */
  openNew(folder: string): ConversationView {
    return this.create({ folder });
  }

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ConversationState | undefined): Thenable<void> {
    this.add(new ConversationView(this.host, panel, state ?? {}, () => this.removed()));
    return Promise.resolve();
  }

  viewOf(sessionId: string): ConversationView | undefined {
    for (const view of this.views) if (view.sessionId === sessionId) return view;
    return undefined;
  }

  /** The view last focused (the active one, else the most recent), for Send Selection to Session. */
  current(): ConversationView | undefined {
    for (const view of this.views) if (view.panel.active) return view;
    return this.lastActive && this.views.has(this.lastActive) ? this.lastActive : [...this.views].pop();
  }

  openSessionIds(): Set<string> {
    return new Set([...this.views].map((v) => v.sessionId).filter((id): id is string => id !== undefined));
  }

  /** A permission question for a session with an open view is asked there; undefined when there is none. */
  askPermission(params: RequestPermissionParams, signal: AbortSignal): Promise<RequestPermissionResult> | undefined {
    return this.viewOf(params.sessionId)?.askPermission(params, signal);
  }

  private create(state: ConversationState): ConversationView {
    const panel = vscode.window.createWebviewPanel(CONVERSATION_VIEW_TYPE, panelTitle(state), vscode.ViewColumn.Active, {
      enableScripts: true,
      // A running turn keeps streaming into a view in a background tab.
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.host.extensionUri, 'media')],
    });
    return this.add(new ConversationView(this.host, panel, state, () => this.removed()));
  }

  private add(view: ConversationView): ConversationView {
    this.views.add(view);
    this.lastActive = view;
    view.panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastActive = view;
    });
    view.panel.onDidDispose(() => {
      this.views.delete(view);
      this.host.openViewsChanged();
    });
    this.host.openViewsChanged();
    return view;
  }

  private removed(): void {
    this.host.openViewsChanged();
  }
}

function panelTitle(state: ConversationState): string {
  const title = state.title?.trim() || (state.sessionId ? `Session ${state.sessionId.slice(0, 8)}` : 'New Claude session');
  return title.length > 40 ? `${title.slice(0, 39)}…` : title;
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'loadEarlier' }
  | { type: 'permission'; id: number; allow: boolean }
  | { type: 'openDiff'; id: number }
  | { type: 'settings'; model?: string; permissionMode?: PermissionMode };

/** Question ids are unique across views, so the diff editor's Allow and Deny name one (proposed.ts). */
let nextQuestion = 1;

export class ConversationView {
  private state: ConversationState;
  /** The first message loaded (older ones come with "load earlier"). */
  private offset = 0;
  /** Whether the history has been posted to the webview (a message to reveal waits for it in `target`). */
  private historyLoaded = false;
  private target: string | undefined;
  /** The uuids of the history messages the webview has, to know when a message to reveal needs earlier pages. */
  private readonly loadedUuids = new Set<string>();
  private turn: AbortController | undefined;
  private readonly questions = new Map<number, (allow: boolean) => void>();
  private disposed = false;
  /** Text for the prompt box that came before the webview was ready. */
  private pendingInsert: string | undefined;
  private ready = false;
  /** uuid of a transcript user line → its `toolUseResult`, for the applied diffs of replayed tool calls. */
  private toolResults = new Map<string, unknown>();

  constructor(
    private readonly host: ConversationHost,
    readonly panel: vscode.WebviewPanel,
    state: ConversationState,
    private readonly changed: () => void,
  ) {
    this.state = { ...state };
    const media = vscode.Uri.joinPath(host.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'sessions.svg');
    panel.title = panelTitle(this.state);
    panel.webview.html = this.html(panel.webview, media);
    panel.webview.onDidReceiveMessage((m: FromWebview) => void this.receive(m));
    panel.onDidDispose(() => {
      this.disposed = true;
      // A running turn goes on (the tree still shows it); open questions fall back to deny.
      for (const answer of this.questions.values()) answer(false);
      this.questions.clear();
    });
  }

  get sessionId(): string | undefined {
    return this.state.sessionId;
  }

  focusPrompt(): void {
    this.post({ type: 'focus' });
  }

  private post(message: Record<string, unknown>): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }

  private async receive(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          if (this.pendingInsert !== undefined) {
            this.post({ type: 'insert', text: this.pendingInsert });
            this.pendingInsert = undefined;
          }
          await this.load();
          break;
        case 'send':
          await this.send(m.text);
          break;
        case 'stop':
          this.turn?.abort();
          break;
        case 'loadEarlier':
          await this.loadEarlier();
          break;
        case 'permission':
          this.questions.get(m.id)?.(m.allow);
          break;
        case 'openDiff':
          await this.host.proposedEdits.open(m.id);
          break;
        case 'settings':
          this.state.model = m.model || undefined;
          this.state.permissionMode = m.permissionMode || undefined;
          break;
      }
    } catch (error) {
      this.postError(error);
    }
  }

  private postError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.host.log(`[conversation] ${message}`);
    this.post({ type: 'error', message, reason: error instanceof SidecarError ? error.reason : undefined });
  }

  /** The webview is (re)loaded: its state, the session's status and its last page of history. */
  private async load(): Promise<void> {
    this.historyLoaded = false;
    this.loadedUuids.clear();
    try {
      await this.loadHistory();
    } finally {
      this.historyLoaded = true;
    }
    const target = this.target;
    if (target) await this.revealMessage(target);
  }

  /** Puts text into the prompt box (Send Selection to Session), once the webview is ready. */
  insertText(text: string): void {
    if (!this.disposed) this.panel.reveal();
    if (this.ready) this.post({ type: 'insert', text });
    else this.pendingInsert = (this.pendingInsert ?? '') + text;
  }

  private postCommands(): void {
    if (this.state.folder) this.post({ type: 'commands', commands: this.host.slashCommands(this.state.folder) });
  }

  private async loadHistory(): Promise<void> {
    this.post({ type: 'init', ...this.state });
    this.postCommands();
    const client = this.host.client();
    await client.start();
    const sessionId = this.state.sessionId;
    if (!sessionId) {
      this.post({ type: 'history', messages: [], offset: 0, total: 0, mode: 'replace', emptyText: `A new session in ${this.state.folder}. Type the first prompt below.` });
      this.post({ type: 'status', resumable: true });
      // A spare CLI for the folder, so the first reply comes sooner.
      if (this.state.folder) void prepareFolder(client, this.state.folder, this.host.permissionMode(), (line) => this.host.log(line));
      return;
    }
    const status = await client.status({ sessionId });
    if (!this.state.folder && status.workingDirectory) {
      this.state.folder = status.workingDirectory;
      this.postCommands();
    }
    this.postStatus(status.resumable, status.reason);
    this.toolResults = status.filePath ? await readToolResults(status.filePath, (line) => this.host.log(line)) : new Map();
    if (!client.supports(MessagesRequest.method)) {
      this.post({ type: 'history', messages: [], offset: 0, total: 0, mode: 'replace', emptyText: 'This server version cannot show the history (no session/messages).' });
      return;
    }
    try {
      let page = await client.messages({ sessionId, offset: 0, limit: PAGE_SIZE });
      const total = page.total ?? page.messages.length;
      this.offset = 0;
      if (total > PAGE_SIZE) {
        this.offset = total - PAGE_SIZE;
        page = await client.messages({ sessionId, offset: this.offset, limit: PAGE_SIZE });
      }
      this.remember(page.messages);
      this.post({ type: 'history', messages: this.withToolResults(page.messages), offset: this.offset, total, mode: 'replace' });
    } catch (error) {
      if (error instanceof SidecarError && error.code === ErrorCodes.SessionNotFound) {
        this.post({ type: 'history', messages: [], offset: 0, total: 0, mode: 'replace', emptyText: 'No history: the server has no transcript of this session.' });
      } else throw error;
    }
  }

  private async loadEarlier(): Promise<void> {
    await this.loadEarlierUntil(() => true);
  }

  /**
   * Loads the pages before the loaded history, PAGE_SIZE at a time, until one satisfies `enough` or the first
   * message is in; posts them to the webview at once.
   */
  private async loadEarlierUntil(enough: (page: MessagesResult) => boolean): Promise<void> {
    const sessionId = this.state.sessionId;
    if (!sessionId || this.offset <= 0) return;
    const messages: TranscriptMessage[] = [];
    let from = this.offset;
    let total: number | undefined;
    while (from > 0) {
      const start = Math.max(0, from - PAGE_SIZE);
      const page = await this.host.client().messages({ sessionId, offset: start, limit: from - start });
      messages.unshift(...page.messages);
      total = page.total;
      from = start;
      if (enough(page)) break;
    }
    this.offset = from;
    this.remember(messages);
    this.post({ type: 'history', messages: this.withToolResults(messages), offset: from, total, mode: 'prepend' });
  }

  /** session/messages gives a line's `message` only: the file tools' records come from the transcript itself. */
  private withToolResults(messages: TranscriptMessage[]): TranscriptMessage[] {
    return messages.map((m) => (m.uuid && this.toolResults.has(m.uuid) ? { ...m, toolUseResult: this.toolResults.get(m.uuid) } : m));
  }

  private remember(messages: TranscriptMessage[]): void {
    for (const m of messages) if (m.uuid) this.loadedUuids.add(m.uuid);
  }

  /**
   * Scrolls to the message `uuid` (a search match) and marks it. Waits for the history when it is not loaded yet;
   * loads earlier pages when the message is on one; loads the history again when the message is newer than it (a
   * turn ran in this view since). Not found at all: the webview says so.
   */
  async revealMessage(uuid: string, reloaded = false): Promise<void> {
    if (!this.historyLoaded) {
      this.target = uuid; // load() reveals it
      return;
    }
    this.target = undefined;
    try {
      if (!this.loadedUuids.has(uuid) && this.offset > 0) {
        await this.loadEarlierUntil((page) => page.messages.some((m) => m.uuid === uuid));
      }
      if (!this.loadedUuids.has(uuid) && !reloaded && !this.turn && this.state.sessionId) {
        await this.load();
        return this.revealMessage(uuid, true);
      }
      this.post({ type: 'reveal', uuid });
    } catch (error) {
      this.postError(error);
    }
  }

  private postStatus(resumable: boolean, reason?: string): void {
    this.post({ type: 'status', resumable, reason, explanation: reason ? REASONS[reason] ?? '' : undefined });
  }

  private setSession(sessionId: string, title?: string): void {
    this.state.sessionId = sessionId;
    if (title) this.state.title = title;
    if (!this.disposed) this.panel.title = panelTitle(this.state);
    this.post({ type: 'session', ...this.state });
    this.changed();
  }

  /** One turn: session/resume, or session/create for a new session; streamed into the view. */
  private async send(prompt: string): Promise<void> {
    if (this.turn || !prompt.trim()) return;
    const controller = new AbortController();
    this.turn = controller;
    this.post({ type: 'turnStart', prompt });
    const client = this.host.client();
    let running = this.state.sessionId;
    if (running) this.host.setRunning(running, true);
    const onMessage = (message: StreamJsonMessage, sessionId: string) => {
      if (!this.state.sessionId) {
        const firstLine = prompt.trim().split('\n')[0];
        this.setSession(sessionId, firstLine.length > 80 ? `${firstLine.slice(0, 80).trim()}…` : firstLine);
      }
      if (!running) {
        running = sessionId;
        this.host.setRunning(sessionId, true);
      }
      if (message.type === 'system' && message.subtype === 'init') {
        const commands = Array.isArray(message.slash_commands) ? message.slash_commands.filter((c): c is string => typeof c === 'string') : undefined;
        const folder = typeof message.cwd === 'string' ? message.cwd : this.state.folder;
        if (commands && folder) this.host.rememberSlashCommands(folder, commands);
      }
      this.post({ type: 'message', message });
    };
    const options = {
      model: this.state.model,
      permissionMode: this.state.permissionMode ?? this.host.permissionMode(),
      includePartialMessages: true,
    };
    try {
      let result: TurnResult;
      if (this.state.sessionId) {
        const answer = await client.resume({ sessionId: this.state.sessionId, prompt, ...options }, { signal: controller.signal, onMessage });
        result = answer.result;
        this.postStatus(answer.status.resumable, answer.status.reason);
      } else {
        if (!this.state.folder) throw new Error('This view has neither a session nor a folder.');
        const answer = await client.create({ workingDirectory: this.state.folder, prompt, ...options }, { signal: controller.signal, onMessage });
        if (this.state.sessionId !== answer.sessionId) this.setSession(answer.sessionId, answer.title);
        else if (answer.title && answer.title !== this.state.title) this.setSession(answer.sessionId, answer.title);
        result = answer.result;
      }
      this.post({ type: 'turnEnd', result });
      this.host.log(`${result.cancelled ? '■ cancelled' : result.isError ? `✖ ${result.subtype}` : '✔ done'} (session ${this.state.sessionId})`);
    } catch (error) {
      this.postError(error);
      if (error instanceof SidecarError && error.code === ErrorCodes.NotResumable) this.postStatus(false, error.reason);
    } finally {
      this.turn = undefined;
      if (running) this.host.setRunning(running, false);
    }
  }

  /** Asks in the view; the answer comes from its Allow / Deny buttons. Withdrawn (the turn ended): deny. */
  askPermission(params: RequestPermissionParams, signal: AbortSignal): Promise<RequestPermissionResult> {
    const id = nextQuestion++;
    if (!this.disposed) this.panel.reveal(undefined, true);
    return new Promise<RequestPermissionResult>((resolve) => {
      const finish = (allow: boolean, outcome: 'allowed' | 'denied' | 'withdrawn') => {
        if (!this.questions.delete(id)) return;
        signal.removeEventListener('abort', onAbort);
        void this.host.proposedEdits.forget(id);
        this.post({ type: 'permissionClosed', id, outcome });
        resolve(allow ? { allow: true } : { allow: false, message: outcome === 'withdrawn' ? 'The turn ended.' : 'Denied in VS Code.' });
      };
      const onAbort = () => finish(false, 'withdrawn');
      const answer = (allow: boolean) => finish(allow, allow ? 'allowed' : 'denied');
      this.questions.set(id, answer);
      if (params.proposedEdit && !params.proposedEdit.unshown) this.host.proposedEdits.add(id, params.toolName, params.proposedEdit, answer);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.post({ type: 'permission', id, toolName: params.toolName, input: params.input, description: params.description, proposedEdit: params.proposedEdit });
    });
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(media, file)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('conversation.css')}">
<title>Claude session</title>
</head>
<body>
<header id="header">
<div id="heading" role="heading" aria-level="1"></div>
<div id="settings">
<label>Model <select id="model" title="The model of the next turn">
<option value="">default</option><option value="opus">opus</option><option value="sonnet">sonnet</option><option value="haiku">haiku</option>
</select></label>
<label>Mode <select id="permission-mode" title="The permission mode of the next turn">
<option value="">as in settings</option><option value="default">default</option><option value="acceptEdits">acceptEdits</option><option value="plan">plan</option><option value="auto">auto</option><option value="dontAsk">dontAsk</option><option value="manual">manual</option><option value="bypassPermissions">bypassPermissions</option>
</select></label>
</div>
</header>
<main>
<button id="load-earlier" type="button" hidden>Load earlier messages</button>
<div id="log" role="log" aria-label="Conversation" aria-live="polite"></div>
</main>
<div id="not-resumable" role="alert" hidden></div>
<form id="composer">
<ul id="slash-commands" role="listbox" aria-label="Slash commands" hidden></ul>
<textarea id="prompt" rows="3" aria-label="Prompt" aria-autocomplete="list" aria-controls="slash-commands" aria-expanded="false" placeholder="Ask Claude… (Enter sends, Shift+Enter starts a new line, / for commands, Escape stops)"></textarea>
<div class="actions">
<span id="turn-state" aria-live="polite"></span>
<button id="stop" type="button" class="secondary" hidden>Stop</button>
<button id="send" type="submit">Send</button>
</div>
</form>
<script nonce="${nonce}" src="${uri('markdown.js')}"></script>
<script nonce="${nonce}" src="${uri('diff.js')}"></script>
<script nonce="${nonce}" src="${uri('conversation.js')}"></script>
</body>
</html>`;
  }
}

/** Starts a spare CLI for a folder (session/prepare), when the server offers it; errors only go to the log. */
export async function prepareFolder(client: SidecarClient, folder: string, permissionMode: PermissionMode | undefined, log: (line: string) => void): Promise<void> {
  try {
    await client.start();
    if (!client.supports(PrepareRequest.method)) return;
    const { prepared } = await client.prepare({ workingDirectory: folder, permissionMode, includePartialMessages: true });
    log(`[prepare] ${folder}: ${prepared ? 'a spare CLI is ready' : 'not prepared'}`);
  } catch (error) {
    log(`[prepare] ${folder}: ${String(error)}`);
  }
}

/** The `toolUseResult` of each user line of a transcript that has one with a file change (the CLI's record of an edit). */
export async function readToolResults(file: string, log: (line: string) => void): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    log(`[conversation] the transcript ${file} cannot be read: ${String(error)}`);
    return results;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"toolUseResult"')) continue;
    try {
      const entry = JSON.parse(line);
      const result = entry?.toolUseResult;
      if (entry?.type === 'user' && typeof entry.uuid === 'string' && result && typeof result === 'object' && typeof result.filePath === 'string') {
        results.set(entry.uuid, result);
      }
    } catch {
      // a torn line: the CLI skips it too
    }
  }
  return results;
}
