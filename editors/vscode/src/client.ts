// The JSON-RPC client of ClaudeSessionSidecar: starts the server, sends requests, routes `session/message`
// notifications to the turn that caused them, notices when the server dies and starts it again on the next call.
// No `vscode` API here, so it runs (and is tested) under plain Node.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CancellationTokenSource,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  Trace,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import {
  CreateParams,
  CreateRequest,
  CreateResult,
  DeleteParams,
  DeleteRequest,
  ExitNotification,
  InitializeRequest,
  InitializeResult,
  ListParams,
  ListRequest,
  ListResult,
  ListResumableParams,
  ListResumableRequest,
  ListResumableResult,
  MessagesParams,
  MessagesRequest,
  MessagesResult,
  PrepareParams,
  PrepareRequest,
  PrepareResult,
  RenameParams,
  RenameRequest,
  RequestPermissionParams,
  RequestPermissionRequest,
  RequestPermissionResult,
  ResumeParams,
  ResumeRequest,
  ResumeResult,
  SearchParams,
  SearchRequest,
  SearchResult,
  SessionMessageNotification,
  SessionMessageParams,
  SessionStatus,
  ShutdownRequest,
  StatusParams,
  StatusRequest,
  StreamJsonMessage,
} from './protocol';

export const DOTNET_TOOL_COMMAND = 'claude-session-sidecar';

export interface ServerCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ClientLogger {
  info(message: string): void;
  error(message: string): void;
  /** Server stderr lines and JSON-RPC traces. */
  trace(message: string): void;
}

export type TraceLevel = 'off' | 'messages' | 'verbose';

export interface ClientOptions {
  /** How to start the server; a function is asked again at every (re)start, so settings changes apply. */
  server: ServerCommand | (() => ServerCommand);
  logger?: ClientLogger;
  trace?: TraceLevel | (() => TraceLevel);
  clientInfo?: { name?: string; version?: string };
  /**
   * Answers the server's `session/requestPermission`; without it the client denies. `signal` aborts when the server
   * withdraws the question (`$/cancelRequest`: the turn was cancelled) or the server goes away.
   */
  onRequestPermission?: (params: RequestPermissionParams, signal: AbortSignal) => Promise<RequestPermissionResult>;
  /** How long `shutdown` + `exit` may take before the process is signalled. */
  stopTimeoutMs?: number;
}

export interface TurnOptions {
  /** Aborting sends `$/cancelRequest`; the server then answers with `result.cancelled = true`. */
  signal?: AbortSignal;
  /** Every `session/message` of this turn, in order. */
  onMessage?: (message: StreamJsonMessage, sessionId: string) => void;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the server wrote on stderr. */
  stderrTail: string;
  /** True when the client stopped it (stop()), false when it died on its own. */
  expected: boolean;
}

type Listener<T> = (value: T) => void;

interface Running {
  process: ChildProcess;
  connection: MessageConnection;
  initialized: Promise<InitializeResult>;
  exited: Promise<ServerExit>;
  stopping: boolean;
}

interface PendingCreate {
  workingDirectory: string;
  sessionId?: string;
  onMessage: (message: StreamJsonMessage, sessionId: string) => void;
}

/** A JSON-RPC error from the server, with its `data.reason` when it gave one. */
export class SidecarError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly data: { reason?: string; [key: string]: unknown } | undefined,
  ) {
    super(message);
    this.name = 'SidecarError';
  }
  get reason(): string | undefined {
    return this.data?.reason;
  }
}

function toSidecarError(error: unknown): unknown {
  if (error instanceof ResponseError) {
    return new SidecarError(error.message, error.code, error.data as SidecarError['data']);
  }
  return error;
}

export class SidecarClient {
  private running: Running | undefined;
  private starting: Promise<InitializeResult> | undefined;
  private initializeResult: InitializeResult | undefined;
  private readonly exitListeners = new Set<Listener<ServerExit>>();
  private readonly messageListeners = new Set<Listener<SessionMessageParams>>();
  private readonly turnListeners = new Map<string, (message: StreamJsonMessage, sessionId: string) => void>();
  private readonly pendingCreates: PendingCreate[] = [];
  private readonly logger: ClientLogger;

  constructor(private readonly options: ClientOptions) {
    this.logger = options.logger ?? { info: () => undefined, error: () => undefined, trace: () => undefined };
  }

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.running?.process.pid;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** The last `initialize` answer (undefined before the first start). */
  get serverInfo(): InitializeResult | undefined {
    return this.initializeResult;
  }

  /** Whether the running server answers `method` (from `initialize`'s capabilities). */
  supports(method: string): boolean {
    return this.initializeResult?.capabilities?.methods?.includes(method) ?? false;
  }

  /** Called when the server process ends, expectedly or not. */
  onDidExit(listener: Listener<ServerExit>): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Every `session/message` notification, whatever turn it belongs to. */
  onMessage(listener: Listener<SessionMessageParams>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Starts the server and sends `initialize`, unless it runs already. Safe to call before every request. */
  start(): Promise<InitializeResult> {
    if (this.running && !this.running.stopping) return this.running.initialized;
    if (this.starting) return this.starting;
    this.starting = this.launch().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async launch(): Promise<InitializeResult> {
    if (this.running) await this.running.exited; // a stop in progress
    const server = typeof this.options.server === 'function' ? this.options.server() : this.options.server;
    this.logger.info(`starting ${server.command} ${server.args.join(' ')}`);
    const child = spawn(server.command, server.args, {
      cwd: server.cwd,
      env: server.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });

    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => reject(new Error(`Cannot start the server '${server.command}': ${error.message}`)));
    });

    const stderrLines: string[] = [];
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderrLines.push(line);
        if (stderrLines.length > 40) stderrLines.shift();
        this.logger.trace(`[server] ${line}`);
      }
    });

    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
      { error: (m) => this.logger.error(m), warn: (m) => this.logger.info(m), info: (m) => this.logger.info(m), log: (m) => this.logger.trace(m) },
    );
    // A write to a dead server's stdin must not become an unhandled 'error'.
    child.stdin!.on('error', (error) => this.logger.trace(`server stdin: ${error.message}`));
    connection.onNotification(SessionMessageNotification.type, (params) => this.dispatchMessage(params));
    connection.onRequest(RequestPermissionRequest.type, async (params, token) => {
      if (!this.options.onRequestPermission) return { allow: false, message: 'This client does not grant permissions.' };
      const withdrawn = new AbortController();
      const subscription = token.onCancellationRequested(() => withdrawn.abort());
      const onExit = () => withdrawn.abort();
      child.once('exit', onExit);
      try {
        return await this.options.onRequestPermission(params, withdrawn.signal);
      } catch (error) {
        return { allow: false, message: `Permission prompt failed: ${String(error)}` };
      } finally {
        subscription.dispose();
        child.off('exit', onExit);
      }
    });
    connection.onError(([error]) => this.logger.error(`connection: ${error.message}`));

    const running: Running = {
      process: child,
      connection,
      initialized: undefined as unknown as Promise<InitializeResult>,
      exited: new Promise<ServerExit>((resolve) => {
        child.once('exit', (code, signal) => {
          if (partial) stderrLines.push(partial);
          const exit: ServerExit = { code, signal, stderrTail: stderrLines.join('\n'), expected: running.stopping };
          if (this.running === running) this.running = undefined;
          connection.dispose(); // rejects every request still waiting for an answer
          this.pendingCreates.length = 0;
          this.turnListeners.clear();
          if (!exit.expected) this.logger.error(`the server exited (code ${code}, signal ${signal})`);
          for (const listener of this.exitListeners) listener(exit);
          resolve(exit);
        });
      }),
      stopping: false,
    };
    this.running = running;

    const trace = typeof this.options.trace === 'function' ? this.options.trace() : this.options.trace ?? 'off';
    if (trace !== 'off') {
      void connection.trace(Trace.fromString(trace), { log: (message: string, data?: string) => this.logger.trace(data ? `${message}\n${data}` : message) });
    }
    connection.listen();

    running.initialized = (async () => {
      try {
        await spawned;
      } catch (error) {
        if (this.running === running) this.running = undefined;
        connection.dispose();
        throw error;
      }
      const died = running.exited.then((exit) => {
        throw new Error(`The server exited during initialize (code ${exit.code}). ${exit.stderrTail}`.trim());
      });
      const result = await Promise.race([connection.sendRequest(InitializeRequest.type, { clientInfo: this.options.clientInfo }), died]);
      this.initializeResult = result;
      this.logger.info(
        `server ${result.serverInfo.name} ${result.serverInfo.version}, claude ${result.claude.path ?? '(not found)'} ${result.claude.version ?? ''}, methods: ${result.capabilities.methods.join(', ')}`,
      );
      return result;
    })();
    running.initialized.catch(() => undefined);
    return running.initialized;
  }

  private dispatchMessage(params: SessionMessageParams): void {
    for (const listener of this.messageListeners) listener(params);
    let listener = this.turnListeners.get(params.sessionId);
    if (!listener) {
      // A new session's first messages: give it to the oldest create still waiting for its id, preferring one
      // started in the folder the CLI announces.
      const cwd = typeof params.message.cwd === 'string' ? params.message.cwd : undefined;
      const waiting = this.pendingCreates.filter((p) => p.sessionId === undefined);
      const pending = waiting.find((p) => cwd !== undefined && samePath(p.workingDirectory, cwd)) ?? waiting[0];
      if (pending) {
        pending.sessionId = params.sessionId;
        listener = pending.onMessage;
        this.turnListeners.set(params.sessionId, listener);
      }
    }
    listener?.(params.message, params.sessionId);
  }

  private async connection(): Promise<MessageConnection> {
    await this.start();
    return this.running!.connection;
  }

  private async request<P, R>(type: import('vscode-jsonrpc').RequestType<P, R, void>, params: P, signal?: AbortSignal): Promise<R> {
    const connection = await this.connection();
    const source = new CancellationTokenSource();
    const abort = () => source.cancel();
    if (signal) {
      if (signal.aborted) source.cancel();
      else signal.addEventListener('abort', abort, { once: true });
    }
    try {
      return await connection.sendRequest(type, params, source.token);
    } catch (error) {
      throw toSidecarError(error);
    } finally {
      signal?.removeEventListener('abort', abort);
      source.dispose();
    }
  }

  /** `session/create`: runs the first turn; `onMessage` gets its stream as it arrives. */
  async create(params: CreateParams, options: TurnOptions = {}): Promise<CreateResult> {
    await this.start();
    const pending: PendingCreate = { workingDirectory: params.workingDirectory, onMessage: options.onMessage ?? (() => undefined) };
    this.pendingCreates.push(pending);
    try {
      return await this.request(CreateRequest.type, params, options.signal);
    } finally {
      const index = this.pendingCreates.indexOf(pending);
      if (index >= 0) this.pendingCreates.splice(index, 1);
      if (pending.sessionId) this.turnListeners.delete(pending.sessionId);
    }
  }

  /** `session/resume`: one more turn of a session. */
  async resume(params: ResumeParams, options: TurnOptions = {}): Promise<ResumeResult> {
    await this.start();
    if (options.onMessage) this.turnListeners.set(params.sessionId, options.onMessage);
    try {
      return await this.request(ResumeRequest.type, params, options.signal);
    } finally {
      if (this.turnListeners.get(params.sessionId) === options.onMessage) this.turnListeners.delete(params.sessionId);
    }
  }

  /** `session/prepare`: a spare CLI for the folder, so the next create there starts sooner (check `supports` first). */
  prepare(params: PrepareParams): Promise<PrepareResult> {
    return this.request(PrepareRequest.type, params);
  }

  listResumable(params: ListResumableParams = {}): Promise<ListResumableResult> {
    return this.request(ListResumableRequest.type, params);
  }

  status(params: StatusParams): Promise<SessionStatus> {
    return this.request(StatusRequest.type, params);
  }

  /** `session/list` (check `supports('session/list')` first). */
  list(params: ListParams = {}): Promise<ListResult> {
    return this.request(ListRequest.type, params);
  }

  /** `session/search`: the sessions whose conversation holds the query, with their matching messages (check `supports('session/search')` first). */
  search(params: SearchParams): Promise<SearchResult> {
    return this.request(SearchRequest.type, params);
  }

  /** `session/messages` (check `supports('session/messages')` first). */
  messages(params: MessagesParams): Promise<MessagesResult> {
    return this.request(MessagesRequest.type, params);
  }

  rename(params: RenameParams): Promise<unknown> {
    return this.request(RenameRequest.type, params);
  }

  delete(params: DeleteParams): Promise<unknown> {
    return this.request(DeleteRequest.type, params);
  }

  /** `shutdown` then `exit`; signals the process when it does not end in time. Harmless when not running. */
  async stop(): Promise<ServerExit | undefined> {
    if (this.starting) await this.starting.catch(() => undefined);
    const running = this.running;
    if (!running) return undefined;
    running.stopping = true;
    const timeout = this.options.stopTimeoutMs ?? 20000;
    const timer = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    try {
      await Promise.race([running.connection.sendRequest(ShutdownRequest.type), running.exited, timer(3000)]);
      await running.connection.sendNotification(ExitNotification.method);
    } catch (error) {
      this.logger.trace(`stop: ${String(error)}`);
    }
    if ((await Promise.race([running.exited, timer(timeout)])) === 'timeout') {
      this.logger.error('the server did not exit after shutdown + exit; sending SIGTERM');
      running.process.kill('SIGTERM');
      if ((await Promise.race([running.exited, timer(5000)])) === 'timeout') running.process.kill('SIGKILL');
    }
    return running.exited;
  }
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return a === b || real(a) === real(b);
}

export interface ServerSettings {
  /** Empty: the dotnet tool on PATH. `*.dll`: run with dotnet. `dotnet <dll>` is accepted too. */
  serverPath?: string;
  serverArgs?: string[];
  claudePath?: string;
  environment?: Record<string, string>;
  baseEnv?: NodeJS.ProcessEnv;
}

/** Finds an executable on PATH (and in ~/.dotnet/tools, where `dotnet tool install -g` puts tools). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  dirs.push(path.join(os.homedir(), '.dotnet', 'tools'));
  const names = process.platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  for (const dir of dirs) {
    for (const n of names) {
      const candidate = path.join(dir, n);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The command line that starts the server, from the extension's settings. Throws when nothing is found. */
export function resolveServerCommand(settings: ServerSettings): ServerCommand {
  const env: NodeJS.ProcessEnv = { ...(settings.baseEnv ?? process.env), ...(settings.environment ?? {}) };
  let command: string;
  let args: string[] = [];
  const configured = settings.serverPath?.trim();
  if (configured) {
    const dotnetPrefix = /^dotnet\s+(.+)$/.exec(configured);
    if (dotnetPrefix) {
      command = 'dotnet';
      args = [dotnetPrefix[1].trim()];
    } else if (configured.toLowerCase().endsWith('.dll')) {
      command = 'dotnet';
      args = [configured];
    } else {
      command = configured;
    }
  } else {
    const tool = findOnPath(DOTNET_TOOL_COMMAND, env);
    if (!tool) {
      throw new Error(
        `The server '${DOTNET_TOOL_COMMAND}' was not found on PATH. Install it (dotnet tool install -g ClaudeSessionSidecar) or set 'claudeSessions.server.path'.`,
      );
    }
    command = tool;
  }
  if (settings.claudePath?.trim()) args.push('--claude-path', settings.claudePath.trim());
  args.push(...(settings.serverArgs ?? []));
  return { command, args, env };
}
