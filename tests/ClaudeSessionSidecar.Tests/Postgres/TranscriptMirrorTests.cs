using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// The mirror between a local transcript and the PostgreSQL store's copy, on crafted lines (no CLI): which side wins
/// when one moved on, and when both did.
/// </summary>
public sealed class TranscriptMirrorTests(PostgresServer server) : IClassFixture<PostgresServer>, IDisposable
{
    private const string SessionId = "0c6f1d2a-7b3e-4f58-9e21-5a4c3b2d1e0f";

    private readonly TestEnvironment environment = new();

    public void Dispose() => environment.Dispose();

    [Fact]
    public void A_local_copy_that_is_missing_or_behind_is_written_from_the_store_and_one_ahead_is_mirrored_to_it()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"), Line("u2"));
        Assert.True(mirror.Reconcile(SessionId, path));
        Assert.Equal([Line("u1"), Line("u2")], Stored(shared));

        // Another machine's turn: the store moved on, the local copy is behind.
        shared.Write(ProjectKey, SessionId, "", [new MirrorEntry("u3", Line("u3"))], MirrorWrite.Append);
        record = shared.Get(SessionId)!;
        Assert.False(mirror.IsLocalCurrent(record, path));
        mirror.Refresh(record, path);
        Assert.Equal([Line("u1"), Line("u2"), Line("u3")], File.ReadAllLines(path));
        Assert.True(mirror.IsLocalCurrent(shared.Get(SessionId)!, path));

        // The bare CLI resumed it here: the local copy is ahead, and goes to the store.
        File.AppendAllLines(path, [Line("u4")]);
        mirror.Refresh(shared.Get(SessionId)!, path);
        Assert.Equal([Line("u1"), Line("u2"), Line("u3"), Line("u4")], Stored(shared));

        // Missing here: written where the CLI's path rule looks.
        File.Delete(path);
        mirror.Refresh(shared.Get(SessionId)!, path);
        Assert.Equal(Stored(shared), File.ReadAllLines(path));
    }

    /// <param name="atTheEndOfATurn">Seen by the reconcile at the end of a turn (another writer did not take the lock), else by the refresh before one.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void When_both_moved_on_the_store_wins_and_the_local_conversation_is_kept_beside_it(bool atTheEndOfATurn)
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"));
        mirror.Reconcile(SessionId, path);

        shared.Write(ProjectKey, SessionId, "", [new MirrorEntry("there", Line("there"))], MirrorWrite.Append);
        File.AppendAllLines(path, [Line("here")]);
        if (atTheEndOfATurn)
        {
            // The turn's lines are not in the store: not mirrored, and nothing left pending either.
            Assert.False(mirror.Reconcile(SessionId, path, out var rewritten));
            Assert.True(rewritten);
            Assert.False(SessionStore.Open(environment.StoreDirectory).IsPendingMirror(Path.GetFullPath(path)));
        }
        else
        {
            mirror.Refresh(shared.Get(SessionId)!, path);
        }

        Assert.Equal([Line("u1"), Line("there")], Stored(shared));
        Assert.Equal([Line("u1"), Line("there")], File.ReadAllLines(path));
        var kept = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, SessionId + ".jsonl.diverged-*"));
        Assert.Equal([Line("u1"), Line("here")], File.ReadAllLines(kept));
    }

    [Fact]
    public void Subagent_files_and_their_metadata_travel_with_the_session_and_never_leave_its_folder()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"));
        var subagents = Path.Combine(Path.GetDirectoryName(path)!, SessionId, "subagents");
        WriteLines(Path.Combine(subagents, "agent-a1.jsonl"), Line("s1"), Line("s2"));
        File.WriteAllText(Path.Combine(subagents, "agent-a1.meta.json"), """{"agentType":"general-purpose","toolUseId":"toolu_1"}""");
        mirror.Reconcile(SessionId, path);
        Assert.Equal(["", "subagents/agent-a1", "subagents/agent-a1.meta.json"], shared.Subpaths(ProjectKey, SessionId));

        // A stored subpath that would leave the session's folder is never written.
        shared.Write(ProjectKey, SessionId, "../../escaped", [new MirrorEntry(null, Line("x"))], MirrorWrite.Append);
        Directory.Delete(Path.Combine(Path.GetDirectoryName(path)!, SessionId), recursive: true);
        File.Delete(path);
        mirror.Refresh(shared.Get(SessionId)!, path);

        Assert.Equal([Line("s1"), Line("s2")], File.ReadAllLines(Path.Combine(subagents, "agent-a1.jsonl")));
        Assert.Equal("toolu_1", (string?)TranscriptLines.Parse(File.ReadAllText(Path.Combine(subagents, "agent-a1.meta.json")))["toolUseId"]);
        Assert.Empty(Directory.GetFiles(environment.Root, "escaped*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Two_config_folders_on_one_local_store_keep_their_own_bookkeeping()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"));
        Assert.True(mirror.Reconcile(SessionId, path));

        // The other folder's server takes a turn: its copy is current, this one's is behind, and each knows which.
        var other = OpenMirror(shared, environment.Create("claude-config-b"));
        var otherPath = other.TranscriptPath(record);
        other.Refresh(shared.Get(SessionId)!, otherPath);
        File.AppendAllLines(otherPath, [Line("u2")]);
        Assert.True(other.Reconcile(SessionId, otherPath));

        record = shared.Get(SessionId)!;
        Assert.True(other.IsLocalCurrent(record, otherPath));
        Assert.False(mirror.IsLocalCurrent(record, path));
        Assert.False(mirror.IsLocalCurrent(record, path, mirror.ReadLocalState()));
        Assert.True(mirror.NeedsRefresh(record, path));
        mirror.Refresh(record, path);
        Assert.Equal([Line("u1"), Line("u2")], File.ReadAllLines(path));
        Assert.False(mirror.NeedsRefresh(shared.Get(SessionId)!, path));
    }

    [Fact]
    public void Bookkeeping_that_says_the_local_copy_is_current_cannot_hide_lines_the_store_has()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"));
        mirror.Reconcile(SessionId, path);
        shared.Write(ProjectKey, SessionId, "", [new MirrorEntry("u2", Line("u2"))], MirrorWrite.Append);

        // The bare CLI wrote here too: by its bookkeeping the local copy changed here, so it is current.
        File.AppendAllLines(path, [Line("here")]);
        record = shared.Get(SessionId)!;
        Assert.True(mirror.IsLocalCurrent(record, path));

        Assert.True(mirror.NeedsRefresh(record, path));
    }

    [Fact]
    public void A_reconcile_never_replaces_a_store_copy_with_lines_the_local_file_lacks()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"), Line("u2"));
        mirror.Reconcile(SessionId, path);

        // Another writer (one that did not take the session's lock) stored a line this file lacks.
        shared.Write(ProjectKey, SessionId, "", [new MirrorEntry("there", Line("there"))], MirrorWrite.Append);
        File.WriteAllLines(path, [Line("u1"), Line("u2")]);

        Assert.True(mirror.Reconcile(SessionId, path, out var rewritten));

        Assert.True(rewritten);
        Assert.Equal([Line("u1"), Line("u2"), Line("there")], Stored(shared));
        Assert.Equal(Stored(shared), File.ReadAllLines(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, SessionId + ".jsonl.diverged-*"));
    }

    private string ProjectKey => ProjectDirectoryName.Encode(environment.Workspace);

    private (TranscriptMirror Mirror, PostgresStore Shared, SessionRecord Record) Open()
    {
        var shared = PostgresStore.Open(server.CreateDatabase());
        shared.Insert(new SessionRecord(SessionId, "alice", environment.Workspace, environment.Workspace, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "title", "prompt"));
        return (OpenMirror(shared, environment.ConfigDirectory), shared, shared.Get(SessionId)!);
    }

    /// <summary>A mirror of a config folder, on the environment's one local store.</summary>
    private TranscriptMirror OpenMirror(PostgresStore shared, string configDirectory) =>
        new(shared, SessionStore.Open(environment.StoreDirectory), new TranscriptLocator(new ClaudeConfigDirectory(configDirectory, IsCliDefault: false)), new TestLog(null), TimeProvider.System);

    private static List<string> Stored(PostgresStore shared) => shared.Load(ProjectDirectoryName.Encode(shared.Get(SessionId)!.RealWorkingDirectory), SessionId, "");

    private static string Line(string uuid) => $$"""{"type":"user","uuid":"{{uuid}}","sessionId":"{{SessionId}}"}""";

    private static void WriteLines(string path, params string[] lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
    }
}
