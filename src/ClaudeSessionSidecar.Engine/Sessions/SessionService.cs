using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// The engine's one surface for the protocol faces, transport-neutral: <see cref="Turns"/> runs turns,
/// <see cref="Catalog"/> says what there is (status, listings, conversations), <see cref="Edits"/> changes sessions.
/// </summary>
public sealed class SessionService : IAsyncDisposable
{
    private readonly ClaudeCli cli;

    /// <param name="store">The local store: the sessions' metadata, unless <paramref name="shared"/> is given; always the summary cache.</param>
    /// <param name="shared">A PostgreSQL store shared with other machines: the sessions' metadata, locks and transcripts' copies.</param>
    public SessionService(ClaudeCli cli, TranscriptLocator locator, SessionStore store, ISidecarLog log, TimeProvider? clock = null, LiveSessionOptions? liveSessions = null, PostgresStore? shared = null)
    {
        this.cli = cli;
        var time = clock ?? TimeProvider.System;
        var locks = new SessionLocks(store.Directory, shared);
        Mirror = shared is null ? null : new TranscriptMirror(shared, store, locator, log, time);
        Catalog = new SessionCatalog(locator, store, log, time, shared is null ? store : shared, Mirror);
        Turns = new SessionTurns(cli, Catalog, locks, log, time, liveSessions ?? new LiveSessionOptions());
        Edits = new SessionEdits(Catalog, Turns, locks, log, time);
        // Opened at the first search, not at start-up (a server never asked to search pays nothing), and tried again after a failure.
        Search = new SessionSearch(Catalog, new Lazy<SearchIndex>(() => SearchIndex.Open(store, log, time), LazyThreadSafetyMode.PublicationOnly));
    }

    /// <summary>The transcripts' mirror to a PostgreSQL store; null with the embedded store.</summary>
    public TranscriptMirror? Mirror { get; }

    /// <summary>create, resume, cancel, prepare.</summary>
    public SessionTurns Turns { get; }

    /// <summary>status, listings, info, messages.</summary>
    public SessionCatalog Catalog { get; }

    /// <summary>rename, tag, archive, delete, fork.</summary>
    public SessionEdits Edits { get; }

    /// <summary>full-text search over the conversations.</summary>
    public SessionSearch Search { get; }

    /// <summary>The CLI's executable; null when none was found (turns then fail with "not found").</summary>
    public string? ClaudePath => cli.Options.ExecutablePath;

    /// <summary>The CLI's config folder, where its transcripts are.</summary>
    public string ConfigDirectory => Catalog.Locator.ConfigDirectory.Path;

    /// <summary>The CLI's version (<c>claude --version</c>), asked again whenever the executable changes on disk.</summary>
    public Task<string?> GetClaudeVersionAsync() => cli.GetVersionAsync();

    /// <summary>Ends every live and spare CLI process the safe way (each session stays resumable), and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        await Turns.DisposeAsync();
        if (Mirror is not null)
        {
            await Mirror.DisposeAsync();
        }
    }
}
