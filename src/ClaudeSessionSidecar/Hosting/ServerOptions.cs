using System.Globalization;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>Which protocol the server speaks on stdio.</summary>
public enum Protocol
{
    /// <summary>This project's own JSON-RPC methods (stdio-protocol.md).</summary>
    Stdio,

    /// <summary>The Agent Client Protocol v1 (newline-delimited), for Zed, JetBrains and other ACP clients.</summary>
    Acp,
}

public enum Framing
{
    /// <summary>LSP-style <c>Content-Length</c> headers: what vscode-jsonrpc and Neovim's <c>vim.lsp.rpc</c> speak.</summary>
    ContentLength,

    /// <summary>One JSON message per line, for scripts.</summary>
    Newline,
}

/// <summary>The command line. Every option is optional; the defaults run against the user's own CLI and store.</summary>
public sealed class ServerOptions
{
    public const string Usage = """
        Usage: ClaudeSessionSidecar [options]
               ClaudeSessionSidecar call [--stream] <method> ['<json params>'] [options]
               ClaudeSessionSidecar acp [options]   (the same as --protocol acp)
               ClaudeSessionSidecar [acp] [options] --cli <claude arguments...>

        A stdio JSON-RPC server that manages Claude Code CLI sessions (see stdio-protocol.md).
        `call` runs one request in-process and prints its result (or error object, exit code 1) as JSON;
        with --stream, session/message notifications go to stderr as they arrive.
        `--cli` runs the Claude Code CLI the server would run (--claude-path, --claude-config-dir) with the
        arguments after it, in this terminal (ACP's terminal login runs `--cli auth login`).

        Options:
          --claude-path <path>         The claude executable (default: $CLAUDE_SIDECAR_CLAUDE_PATH, PATH, usual places)
          --claude-config-dir <dir>    The CLI's config folder (default: $CLAUDE_CONFIG_DIR, $CLAUDE_HOME, ~/.claude)
          --store <dir|postgres-url>   The metadata store: a folder for the embedded SQLite store (default:
                                       ~/.local/share/claude-session-sidecar), or PostgreSQL shared by several
                                       machines: postgres://user:password@host:port/database, or an Npgsql
                                       connection string (docs/postgres-store.md)
          --local-store <dir>          With PostgreSQL: this machine's own cache folder (default: the folder above)
          --protocol <stdio|acp>       stdio: this project's methods (default); acp: the Agent Client Protocol v1,
                                       newline-delimited (--framing does not apply)
          --framing <content-length|newline>
                                       Message framing on stdio (default: content-length)
          --turn-timeout <seconds>     The longest a turn may run before it is stopped (default: 1800)
          --live-sessions <n>          CLI processes kept running between turns, for fast follow-ups, and spares
                                       from session/prepare; least recently used closed first; 0 = off (default: 4,
                                       about 190 MB each)
          --live-idle-timeout <seconds>
                                       Close a live CLI process idle this long (default: 600)
          --entrypoint <interactive|programmatic>
                                       For clients that cannot say in initialize: interactive sessions are listed by
                                       `claude --resume` (entrypoint claude-session-sidecar...), programmatic ones are
                                       not (sdk-cli) (default: interactive; for `call`: programmatic)
          --log-file <path>            Write the log there instead of stderr
          --log-level <debug|info|warning|error|none>
                                       How much to log (default: info)
          --version                    Print the version and exit
          --help                       Print this help and exit
        """;

    public string? ClaudePath { get; private set; }

    public string? ClaudeConfigDirectory { get; private set; }

    public string? StoreDirectory { get; private set; }

    /// <summary>A PostgreSQL store (URL or connection string); null for the embedded one.</summary>
    public string? PostgresStore { get; private set; }

    public Protocol Protocol { get; private set; } = Protocol.Stdio;

    public Framing Framing { get; private set; } = Framing.ContentLength;

    public TimeSpan TurnTimeout { get; private set; } = TimeSpan.FromMinutes(30);

    /// <summary>Live CLI processes between turns: the cap (0 = off) and the idle timeout.</summary>
    public LiveSessionOptions LiveSessions { get; private set; } = new();

    /// <summary><c>--entrypoint</c>; null when not given (each mode has its default).</summary>
    public SessionKind? Entrypoint { get; private set; }

    public string? LogFile { get; private set; }

    public LogLevel LogLevel { get; private set; } = LogLevel.Info;

    public bool ShowVersion { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <exception cref="ArgumentException">An unknown option or a bad value; the message says which.</exception>
    public static ServerOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ServerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--claude-path": options.ClaudePath = Value(); break;
                case "--claude-config-dir": options.ClaudeConfigDirectory = Value(); break;
                case "--store":
                    var store = Value();
                    if (Engine.Store.PostgresStore.IsPostgres(store))
                    {
                        options.PostgresStore = store;
                    }
                    else
                    {
                        options.StoreDirectory = store;
                    }

                    break;
                case "--local-store": options.StoreDirectory = Value(); break;
                case "--protocol":
                    options.Protocol = Value() switch
                    {
                        "stdio" => Protocol.Stdio,
                        "acp" => Protocol.Acp,
                        var other => throw new ArgumentException($"--protocol must be stdio or acp, not {ClientText.Quote(other)}."),
                    };
                    break;
                case "--framing":
                    options.Framing = Value() switch
                    {
                        "content-length" => Framing.ContentLength,
                        "newline" => Framing.Newline,
                        var other => throw new ArgumentException($"--framing must be content-length or newline, not {ClientText.Quote(other)}."),
                    };
                    break;
                case "--turn-timeout":
                    var text = Value();
                    options.TurnTimeout = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 7 * 24 * 3600
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new ArgumentException($"--turn-timeout must be a number of seconds above 0, not {ClientText.Quote(text)}.");
                    break;
                case "--live-sessions":
                    var count = Value();
                    options.LiveSessions = options.LiveSessions with
                    {
                        MaxProcesses = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var cap) && cap <= 1000
                            ? cap
                            : throw new ArgumentException($"--live-sessions must be a whole number from 0 to 1000, not {ClientText.Quote(count)}."),
                    };
                    break;
                case "--live-idle-timeout":
                    var idle = Value();
                    options.LiveSessions = options.LiveSessions with
                    {
                        IdleTimeout = double.TryParse(idle, NumberStyles.Float, CultureInfo.InvariantCulture, out var idleSeconds) && idleSeconds > 0 && idleSeconds <= 7 * 24 * 3600
                            ? TimeSpan.FromSeconds(idleSeconds)
                            : throw new ArgumentException($"--live-idle-timeout must be a number of seconds above 0, not {ClientText.Quote(idle)}."),
                    };
                    break;
                case "--entrypoint":
                    var kind = Value();
                    options.Entrypoint = SessionEntrypoint.ParseKind(kind) ?? throw new ArgumentException($"--entrypoint must be interactive or programmatic, not '{kind}'.");
                    break;
                case "--log-file": options.LogFile = Value(); break;
                case "--log-level":
                    var level = Value();
                    options.LogLevel = Enum.TryParse<LogLevel>(level, ignoreCase: true, out var parsed) && !int.TryParse(level, out _)
                        ? parsed
                        : throw new ArgumentException($"--log-level must be debug, info, warning, error or none, not {ClientText.Quote(level)}.");
                    break;
                case "--version": options.ShowVersion = true; break;
                case "--help" or "-h": options.ShowHelp = true; break;
                default: throw new ArgumentException($"Unknown option {ClientText.Quote(name)}.");
            }
        }

        return options;
    }
}
