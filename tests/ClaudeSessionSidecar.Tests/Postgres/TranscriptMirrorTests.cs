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

    [Fact]
    public void When_both_moved_on_the_store_wins_and_the_local_conversation_is_kept_beside_it()
    {
        var (mirror, shared, record) = Open();
        var path = mirror.TranscriptPath(record);
        WriteLines(path, Line("u1"));
        mirror.Reconcile(SessionId, path);

        shared.Write(ProjectKey, SessionId, "", [new MirrorEntry("there", Line("there"))], MirrorWrite.Append);
        File.AppendAllLines(path, [Line("here")]);
        mirror.Refresh(shared.Get(SessionId)!, path);

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

    private string ProjectKey => ProjectDirectoryName.Encode(environment.Workspace);

    private (TranscriptMirror Mirror, PostgresStore Shared, SessionRecord Record) Open()
    {
        var shared = PostgresStore.Open(server.CreateDatabase());
        shared.Insert(new SessionRecord(SessionId, "alice", environment.Workspace, environment.Workspace, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "title", "prompt"));
        var locator = new TranscriptLocator(new ClaudeConfigDirectory(environment.ConfigDirectory, IsCliDefault: false));
        var mirror = new TranscriptMirror(shared, SessionStore.Open(environment.StoreDirectory), locator, new TestLog(null), TimeProvider.System);
        return (mirror, shared, shared.Get(SessionId)!);
    }

    private static List<string> Stored(PostgresStore shared) => shared.Load(ProjectDirectoryName.Encode(shared.Get(SessionId)!.RealWorkingDirectory), SessionId, "");

    private static string Line(string uuid) => $$"""{"type":"user","uuid":"{{uuid}}","sessionId":"{{SessionId}}"}""";

    private static void WriteLines(string path, params string[] lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
    }
}
