// The ClaudeSessionSidecar stdio protocol (stdio-protocol.md at the repository root), mirrored for the client:
// method names and the shapes of their params and results. Keep this file free of the `vscode` API.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';

export type PermissionMode = 'default' | 'acceptEdits' | 'auto' | 'bypassPermissions' | 'manual' | 'dontAsk' | 'plan';

/** Why a session will not resume (stdio-protocol.md, "Resumability"). */
export type NotResumableReason =
  | 'metadata_not_found'
  | 'no_working_directory'
  | 'working_directory_missing'
  | 'session_file_missing'
  | 'session_file_too_small'
  | 'session_file_no_conversation'
  | 'session_file_unreadable'
  | string;

export interface SessionStatus {
  resumable: boolean;
  /** Present exactly when `resumable` is false. */
  reason?: NotResumableReason;
  fileSize?: number;
  filePath?: string;
  workingDirectory?: string;
}

export interface TurnResult {
  text: string | null;
  isError: boolean;
  subtype: string | null;
  numTurns: number | null;
  durationMs: number | null;
  totalCostUsd: number | null;
  /** The turn was stopped by `exit` or a `$/cancelRequest`. */
  cancelled?: true;
}

// ---- initialize / shutdown / exit ----

export interface InitializeParams {
  clientInfo?: { name?: string; version?: string };
}

export interface InitializeResult {
  serverInfo: { name: string; version: string };
  claude: { path: string | null; version: string | null; configDirectory: string };
  capabilities: { methods: string[]; notifications: string[]; serverRequests?: string[]; cancelRequest?: boolean; partialMessages?: boolean };
}

export namespace InitializeRequest {
  export const method = 'initialize';
  export const type = new RequestType<InitializeParams, InitializeResult, void>(method);
}

export namespace ShutdownRequest {
  export const method = 'shutdown';
  export const type = new RequestType0<null, void>(method);
}

export namespace ExitNotification {
  export const method = 'exit';
}

// ---- session/create ----

export interface CreateParams {
  workingDirectory: string;
  prompt?: string;
  title?: string;
  model?: string;
  permissionMode?: PermissionMode;
  userId?: string;
  /** Also forward the CLI's `stream_event` chunks (text deltas) as `session/message`. */
  includePartialMessages?: boolean;
}

export interface CreateResult {
  sessionId: string;
  userId: string;
  workingDirectory: string;
  createdAt: string;
  title: string;
  status: SessionStatus;
  result: TurnResult;
}

export namespace CreateRequest {
  export const method = 'session/create';
  export const type = new RequestType<CreateParams, CreateResult, void>(method);
}

// ---- session/resume ----

export interface ResumeParams {
  sessionId: string;
  prompt: string;
  userId?: string;
  model?: string;
  permissionMode?: PermissionMode;
  includePartialMessages?: boolean;
}

export interface ResumeResult {
  sessionId: string;
  status: SessionStatus;
  result: TurnResult;
}

export namespace ResumeRequest {
  export const method = 'session/resume';
  export const type = new RequestType<ResumeParams, ResumeResult, void>(method);
}

// ---- session/prepare ----

export interface PrepareParams {
  workingDirectory: string;
  model?: string;
  permissionMode?: PermissionMode;
  includePartialMessages?: boolean;
}

export interface PrepareResult {
  prepared: boolean;
}

export namespace PrepareRequest {
  export const method = 'session/prepare';
  export const type = new RequestType<PrepareParams, PrepareResult, void>(method);
}

// ---- session/listResumable ----

export interface ListResumableParams {
  userId?: string;
  workingDirectory?: string;
  limit?: number;
  includeExternal?: boolean;
}

export interface ResumableSession {
  sessionId: string;
  userId?: string;
  workingDirectory: string;
  createdAt: string;
  lastActiveAt: string;
  title: string;
  firstPrompt: string;
  fileSize: number;
  filePath: string;
  source: 'sidecar' | 'external';
}

export interface ListResumableResult {
  sessions: ResumableSession[];
}

export namespace ListResumableRequest {
  export const method = 'session/listResumable';
  export const type = new RequestType<ListResumableParams, ListResumableResult, void>(method);
}

// ---- session/status ----

export interface StatusParams {
  sessionId: string;
  workingDirectory?: string;
  userId?: string;
}

export namespace StatusRequest {
  export const method = 'session/status';
  export const type = new RequestType<StatusParams, SessionStatus, void>(method);
}

// ---- session/list (later server versions: check capabilities.methods) ----

export interface ListParams {
  workingDirectory?: string;
  includeExternal?: boolean;
  includeArchived?: boolean;
  limit?: number;
  cursor?: string;
}

/** The tokens a session's turns used, summed over its transcript (servers from issue 20 on). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

export interface SessionInfo {
  sessionId: string;
  title: string;
  firstPrompt?: string;
  workingDirectory?: string;
  createdAt?: string;
  lastActiveAt?: string;
  fileSize?: number;
  filePath?: string;
  source?: 'sidecar' | 'external';
  status: SessionStatus;
  /** Absent from servers that do not report it yet. */
  usage?: TokenUsage;
  /** What the turns run on this server cost; absent when none ran here. */
  costUsd?: number;
}

export interface ListResult {
  sessions: SessionInfo[];
  nextCursor?: string;
}

export namespace ListRequest {
  export const method = 'session/list';
  export const type = new RequestType<ListParams, ListResult, void>(method);
}

// ---- session/search (check capabilities.methods) ----

export interface SearchParams {
  /** Words and "quoted phrases"; every one must appear in the session. 1 to 1000 characters. */
  query: string;
  workingDirectory?: string;
  userId?: string;
  includeExternal?: boolean;
  includeArchived?: boolean;
  /** 1..1000, default 20. */
  limit?: number;
  cursor?: string;
}

/** A message of the session that holds a word or phrase of the query. */
export interface SearchMatch {
  /** The message's uuid, as session/messages gives it. */
  uuid: string;
  type: 'user' | 'assistant';
  timestamp: string | null;
  /** Up to 120 characters on each side of the first match ("…" where cut, new lines as spaces). */
  snippet: string;
}

export interface SearchHit extends SessionInfo {
  /** Up to 5, in conversation order. */
  matches: SearchMatch[];
}

export interface SearchResult {
  sessions: SearchHit[];
  nextCursor?: string;
}

export namespace SearchRequest {
  export const method = 'session/search';
  export const type = new RequestType<SearchParams, SearchResult, void>(method);
}

// ---- session/messages (later) ----

export interface MessagesParams {
  sessionId: string;
  limit?: number;
  offset?: number;
}

export interface TranscriptMessage {
  uuid?: string;
  type: string;
  timestamp?: string;
  message?: unknown;
  /** Not from session/messages: the transcript line's record of a file tool's change, added by the view. */
  toolUseResult?: unknown;
}

export interface MessagesResult {
  messages: TranscriptMessage[];
  total?: number;
}

export namespace MessagesRequest {
  export const method = 'session/messages';
  export const type = new RequestType<MessagesParams, MessagesResult, void>(method);
}

// ---- session/rename, session/delete (later) ----

export interface RenameParams {
  sessionId: string;
  title: string;
}

export namespace RenameRequest {
  export const method = 'session/rename';
  export const type = new RequestType<RenameParams, unknown, void>(method);
}

export interface DeleteParams {
  sessionId: string;
  workingDirectory?: string;
}

export namespace DeleteRequest {
  export const method = 'session/delete';
  export const type = new RequestType<DeleteParams, unknown, void>(method);
}

// ---- notifications and server → client requests ----

export interface SessionMessageParams {
  sessionId: string;
  /** The CLI's stream-json object, verbatim. */
  message: StreamJsonMessage;
}

/** The parts of the CLI's stream-json messages this client reads; everything else passes through untouched. */
export interface StreamJsonMessage {
  type: string;
  subtype?: string;
  session_id?: string;
  cwd?: string;
  message?: { role?: string; content?: unknown };
  [key: string]: unknown;
}

export namespace SessionMessageNotification {
  export const method = 'session/message';
  export const type = new NotificationType<SessionMessageParams>(method);
}

/** One hunk of a unified diff, in the shape of the CLI's `structuredPatch`: lines start with " ", "-", "+" or "\\". */
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

export type UnshownReason = 'outside_workspace' | 'symlink' | 'too_large' | 'binary' | 'unreadable' | 'does_not_apply';

/** A file tool's change, read by the server from the file as it is (stdio-protocol.md, "The proposed change"). */
export interface ProposedEdit {
  path: string;
  /** The text now; null for a new file. Absent when `unshown`. */
  oldText?: string | null;
  newText?: string;
  hunks?: DiffHunk[];
  line?: number;
  notebookCell?: string;
  unshown?: UnshownReason | string;
}

export interface RequestPermissionParams {
  sessionId: string;
  toolName: string;
  input: unknown;
  toolUseId?: string;
  description?: string;
  /** Write, Edit, MultiEdit and NotebookEdit on an absolute path. */
  proposedEdit?: ProposedEdit;
}

export interface RequestPermissionResult {
  allow: boolean;
  message?: string;
  updatedInput?: Record<string, unknown>;
}

export namespace RequestPermissionRequest {
  export const method = 'session/requestPermission';
  export const type = new RequestType<RequestPermissionParams, RequestPermissionResult, void>(method);
}

/**
 * Error codes the server raises (stdio-protocol.md, "Errors"): the JSON-RPC standard ones, and the server's own
 * block -31001..-31099, outside JSON-RPC's reserved -32768..-32000. `data.reason` is the stable key.
 */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  RequestCancelled: -32800,
  NotResumable: -31001,
  CliFailed: -31002,
  CliNotFound: -31003,
  SessionBusy: -31004,
  SessionNotFound: -31005,
} as const;

/** The assistant text blocks of a stream-json message (empty for anything else). */
export function assistantText(message: StreamJsonMessage): string[] {
  if (message.type !== 'assistant') return [];
  const content = message.message?.content;
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const block of content) {
    if (block && typeof block === 'object' && (block as { type?: unknown }).type === 'text') {
      const text = (block as { text?: unknown }).text;
      if (typeof text === 'string') texts.push(text);
    }
  }
  return texts;
}
