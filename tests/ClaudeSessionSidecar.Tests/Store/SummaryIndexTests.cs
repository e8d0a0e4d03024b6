using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Store;

/// <summary>
/// The summary index answers as reading every transcript would, whatever happened between two listings: a transcript
/// changed, appeared, was deleted, was archived beside it; in the same process and in a new one (the store's rows).
/// </summary>
public sealed class SummaryIndexTests : IDisposable
{
    private static readonly DateTime Settled = DateTime.UtcNow.AddHours(-1);

    private readonly TestEnvironment environment = new();
    private readonly string folder;

    public SummaryIndexTests()
    {
        folder = Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(environment.Workspace));
        Directory.CreateDirectory(folder);
    }

    public void Dispose() => environment.Dispose();

    [Fact]
    public void An_unchanged_transcript_is_read_once_in_this_process_and_never_again_in_the_next()
    {
        var a = Write(Guid.NewGuid(), "first question");
        var b = Write(Guid.NewGuid(), "second question");

        var index = NewIndex();
        Assert.Equal(["first question", "second question"], Prompts(ReadAll(index)).Order());
        Assert.Equal(2, index.TranscriptsRead);

        Assert.All(index.Scan(folder), transcript => Assert.NotNull(transcript.Entry));
        Assert.Equal(2, index.TranscriptsRead);

        // A new server process: the store's rows answer, nothing is read.
        var next = NewIndex();
        var scanned = next.Scan(folder);
        Assert.All(scanned, transcript => Assert.NotNull(transcript.Entry));
        Assert.Equal(0, next.TranscriptsRead);
        Assert.Equal(new[] { a, b }.Order(), scanned.Select(transcript => transcript.Path).Order());
        Assert.Equal(TranscriptSummary.Read(a), scanned.Single(transcript => transcript.Path == a).Entry!.Summary);
    }

    [Fact]
    public void A_transcript_that_grew_is_read_again_in_this_process_and_the_next()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "before");
        var index = NewIndex();
        ReadAll(index);

        File.AppendAllText(path, Line(id, "user", "after", parent: null, Guid.NewGuid()) + "\n" + """{"type":"custom-title","customTitle":"Renamed","sessionId":"x"}""" + "\n");
        File.SetLastWriteTimeUtc(path, Settled.AddMinutes(1));

        var stale = index.Scan(folder).Single();
        Assert.Null(stale.Entry);
        var fresh = index.Read([stale], [])[0]!;
        Assert.Equal("Renamed", fresh.Summary.CustomTitle);
        Assert.Equal(new FileInfo(path).Length, fresh.Stamp.Size);

        // The store still holds the old row until saved: a new process must not trust it.
        Assert.Null(NewIndex().Scan(folder).Single().Entry);
    }

    [Fact]
    public void A_rewrite_of_the_same_size_is_seen_by_its_modification_time()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "aaaa");
        var index = NewIndex();
        ReadAll(index);

        File.WriteAllText(path, File.ReadAllText(path).Replace("aaaa", "bbbb", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(path, Settled.AddSeconds(1));

        Assert.Equal(["bbbb"], Prompts(ReadAll(index)));
        Assert.Equal(["bbbb"], Prompts(ReadAll(NewIndex())));
    }

    [Fact]
    public void A_new_transcript_is_listed_and_a_deleted_one_leaves_the_index_and_the_store()
    {
        var gone = Write(Guid.NewGuid(), "to be deleted");
        var index = NewIndex();
        ReadAll(index);

        File.Delete(gone);
        var added = Write(Guid.NewGuid(), "new one");

        var scanned = index.Scan(folder);
        Assert.Equal([added], scanned.Select(transcript => transcript.Path));
        Assert.Null(scanned[0].Entry);
        Assert.Equal(["new one"], Prompts(ReadAll(index)));

        // The row of the deleted transcript is gone from the store too; if the file comes back it is read anew.
        var next = NewIndex();
        Assert.Equal([added], next.Scan(folder).Select(transcript => transcript.Path));
        Assert.Empty(environment.StoreRows(gone));
        File.WriteAllText(gone, File.ReadAllText(added));
        File.SetLastWriteTimeUtc(gone, Settled);
        Assert.Null(next.Scan(folder).Single(transcript => transcript.Path == gone).Entry);
    }

    [Fact]
    public void Archiving_beside_the_transcript_changes_the_stamp_though_the_transcript_does_not_change()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "keep me");
        var index = NewIndex();
        Assert.Null(ReadAll(index).Single().Summary.Archived);

        ArchiveState.Write(path, archived: true, DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.Null(index.Scan(folder).Single().Entry);
        Assert.True(ReadAll(index).Single().Summary.Archived);
        Assert.True(ReadAll(NewIndex()).Single().Summary.Archived);
    }

    [Fact]
    public void Archiving_a_session_whose_folder_was_there_already_is_seen_by_an_unchanged_folder_scan()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "keep me too");
        Directory.CreateDirectory(Path.Combine(folder, id.ToString(), "subagents"));
        var index = NewIndex();
        Assert.Null(ReadAll(index).Single().Summary.Archived);
        Assert.NotNull(index.Scan(folder).Single().Entry);

        // Nothing in the project folder itself changes: only the session's own folder.
        ArchiveState.Write(path, archived: true, DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.Null(index.Scan(folder).Single().Entry);
        Assert.True(ReadAll(index).Single().Summary.Archived);
    }

    [Fact]
    public void A_scan_of_a_folder_the_kernel_says_is_unchanged_is_reused_and_any_change_in_it_is_seen_at_once()
    {
        Assert.NotNull(FolderChanges.Shared);
        var id = Guid.NewGuid();
        var path = Write(id, "watched");
        var index = NewIndex();
        ReadAll(index);

        // The same file changed through a hard link in a folder not watched: the kernel reports it for that folder
        // only, so an unchanged scan of this one is reused (and the change unseen, as docs/benchmarks.md says).
        var elsewhere = Path.Combine(environment.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var link = Path.Combine(elsewhere, "link.jsonl");
        Assert.Equal(0, Link(path, link));
        File.AppendAllText(link, Line(id, "user", "through the link", parent: null, Guid.NewGuid()) + "\n");
        var reused = index.Scan(folder).Single();
        Assert.NotEqual(new FileInfo(path).Length, reused.Stamp!.Value.Size);

        // Through the folder's own path, the very next scan sees it, with no wait for any watcher thread.
        for (var i = 0; i < 20; i++)
        {
            File.AppendAllText(path, Line(id, "user", $"append {i}", parent: null, Guid.NewGuid()) + "\n");
            Assert.Equal(new FileInfo(path).Length, index.Scan(folder).Single().Stamp!.Value.Size);
        }

        File.SetLastWriteTimeUtc(path, Settled.AddMinutes(5));
        Assert.Equal(Settled.AddMinutes(5).Ticks, index.Scan(folder).Single().Stamp!.Value.ModifiedTicks);
        var added = Write(Guid.NewGuid(), "added");
        Assert.Equal(2, index.Scan(folder).Count);
        File.Delete(added);
        Assert.Single(index.Scan(folder));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link")]
    private static extern int Link(string existing, string created);

    [Fact]
    public void The_verdict_is_kept_with_the_summary_and_follows_the_file()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "question");
        var index = NewIndex();
        Assert.Null(ReadAll(index).Single().NotResumableReason);

        // Only sidechain entries left: the CLI would not resume it.
        File.WriteAllText(path, Line(id, "user", "side", parent: null, Guid.NewGuid()).Replace("\"isSidechain\":false", "\"isSidechain\":true", StringComparison.Ordinal) + "\n");
        File.SetLastWriteTimeUtc(path, Settled.AddMinutes(2));
        Assert.Equal(NotResumableReason.SessionFileNoConversation, ReadAll(index).Single().NotResumableReason);
        Assert.Equal(NotResumableReason.SessionFileNoConversation, ReadAll(NewIndex()).Single().NotResumableReason);
    }

    [Fact]
    public void A_transcript_written_just_now_is_not_remembered_until_it_settles()
    {
        var id = Guid.NewGuid();
        var path = Write(id, "fresh", settle: false);
        var index = NewIndex();
        ReadAll(index);
        ReadAll(index);
        Assert.Equal(2, index.TranscriptsRead);

        File.SetLastWriteTimeUtc(path, Settled);
        ReadAll(index);
        ReadAll(index);
        Assert.Equal(3, index.TranscriptsRead);
    }

    [Fact]
    public void Listing_through_the_service_follows_changes_between_listings()
    {
        var sessions = EngineFactory.Sessions(environment);
        var request = new ListResumableRequest(Environment.UserName, environment.Workspace, Limit: 100, IncludeExternal: true);
        var first = Guid.NewGuid();
        var firstPath = Write(first, "one");
        Assert.Equal(["one"], sessions.Catalog.ListResumable(request).Select(session => session.FirstPrompt));

        var second = Write(Guid.NewGuid(), "two");
        File.SetLastWriteTimeUtc(second, Settled.AddMinutes(5));
        Assert.Equal(["two", "one"], sessions.Catalog.ListResumable(request).Select(session => session.FirstPrompt));

        File.Delete(firstPath);
        File.AppendAllText(second, """{"type":"custom-title","customTitle":"Second","sessionId":"x"}""" + "\n");
        File.SetLastWriteTimeUtc(second, Settled.AddMinutes(6));
        var listed = Assert.Single(sessions.Catalog.ListResumable(request));
        Assert.Equal("Second", listed.Title);

        // A new server over the same store gives the same answer without reading.
        var again = EngineFactory.Sessions(environment);
        Assert.Equal("Second", Assert.Single(again.Catalog.ListResumable(request)).Title);
        Assert.Equal(0, again.Catalog.Summaries.TranscriptsRead);
    }

    [Fact]
    public void The_stores_own_sessions_are_read_once_a_batch_and_judged_as_one_by_one()
    {
        var store = SessionStore.Open(environment.StoreDirectory);
        var ids = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToList();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < ids.Count; i++)
        {
            Write(ids[i], $"own {i}");
            store.Insert(new SessionRecord(ids[i].ToString(), Environment.UserName, environment.Workspace, environment.Workspace, now.AddHours(-3), now.AddHours(-3).AddMinutes(i), $"title {i}", $"own {i}"));
        }

        // One that will not resume (its chain is cut: the judge's verdict), one whose transcript is gone, one newer by the store's time.
        var cut = Path.Combine(folder, ids[3] + ".jsonl");
        File.WriteAllText(cut, "{\"type\":\"summary\",\"summary\":\"only a summary\",\"leafUuid\":\"" + Guid.NewGuid() + "\"}\n");
        File.SetLastWriteTimeUtc(cut, Settled);
        File.Delete(Path.Combine(folder, ids[5] + ".jsonl"));
        store.TurnEnded(ids[7].ToString(), now, costUsd: null);
        var external = Write(Guid.NewGuid(), "not the store's");

        // A first page reads a batch of the newest, not every transcript of the store's sessions.
        var all = new ListSessionsRequest(Environment.UserName, environment.Workspace, Limit: 1000, IncludeExternal: true, IncludeArchived: true, IncludeProgrammatic: true, Cursor: null);
        var firstPage = EngineFactory.Sessions(environment);
        Assert.Equal(5, firstPage.Catalog.List(all with { Limit = 5 }).Sessions.Count);
        Assert.InRange(firstPage.Catalog.Summaries.TranscriptsRead, 5, 40);

        var sessions = EngineFactory.Sessions(environment);
        var listed = sessions.Catalog.List(all).Sessions;
        Assert.Equal(ids.Count + 1, listed.Count);
        // The store's 99 (one is gone) and the other one, less what the first page read and remembered.
        Assert.Equal(ids.Count - firstPage.Catalog.Summaries.TranscriptsRead, sessions.Catalog.Summaries.TranscriptsRead);
        Assert.Equal(ids[7].ToString(), listed[0].SessionId);
        Assert.Contains(listed, view => view.FilePath == external);

        // Each stored session as its own lookup (the transcript judged alone) shows it: verdict, title, prompt, time.
        foreach (var id in ids)
        {
            var view = Assert.Single(listed, view => view.SessionId == id.ToString());
            Assert.Equal(sessions.Catalog.Info(id.ToString(), Environment.UserName, null), view);
        }

        Assert.Equal(NotResumableReason.SessionFileMissing, listed.Single(view => view.SessionId == ids[5].ToString()).Status.Reason);
        Assert.False(listed.Single(view => view.SessionId == ids[3].ToString()).Status.Resumable);
        Assert.Equal(TranscriptJudge.Judge(cut).Reason, listed.Single(view => view.SessionId == ids[3].ToString()).Status.Reason);

        // Listed again, in this process and the next, and without the CLI's own sessions: nothing is read again.
        var read = sessions.Catalog.Summaries.TranscriptsRead;
        Assert.Equal(listed, sessions.Catalog.List(all).Sessions);
        var own = sessions.Catalog.List(all with { IncludeExternal = false }).Sessions;
        Assert.Equal(listed.Where(view => view.FilePath != external), own);
        Assert.Equal(read, sessions.Catalog.Summaries.TranscriptsRead);
        var next = EngineFactory.Sessions(environment);
        Assert.Equal(listed, next.Catalog.List(all).Sessions);
        Assert.Equal(0, next.Catalog.Summaries.TranscriptsRead);
    }

    [Fact]
    public void The_title_of_a_transcript_the_SDK_skips_is_kept_in_the_store()
    {
        var sessionId = Guid.NewGuid();
        var path = Path.Combine(folder, sessionId + ".jsonl");
        File.WriteAllText(path, Line(sessionId, "assistant", "only an answer", null, Guid.NewGuid()) + "\n");
        File.SetLastWriteTimeUtc(path, Settled);

        var read = Assert.Single(ReadAll(NewIndex())).Summary;
        Assert.Null(read.Summary);
        Assert.Equal("only an answer", read.FallbackTitle);
        Assert.Equal("only an answer", read.DisplayTitle);

        var next = NewIndex();
        Assert.Equal(read, Assert.Single(next.Scan(folder)).Entry!.Summary);
        Assert.Equal(0, next.TranscriptsRead);
    }

    private SummaryIndex NewIndex() => new(SessionStore.Open(environment.StoreDirectory), new TestLog(null));

    private List<IndexedTranscript> ReadAll(SummaryIndex index)
    {
        var toSave = new List<IndexedTranscript>();
        var entries = index.Read(index.Scan(folder), toSave);
        index.Save(toSave);
        return entries.Select(entry => entry!).ToList();
    }

    private static IEnumerable<string?> Prompts(IEnumerable<IndexedTranscript> entries) => entries.Select(entry => entry.Summary.FirstPrompt);

    /// <summary>A two-line transcript as the CLI writes one (user, then assistant), its time an hour ago unless asked.</summary>
    private string Write(Guid sessionId, string prompt, bool settle = true)
    {
        var path = Path.Combine(folder, sessionId + ".jsonl");
        var user = Guid.NewGuid();
        File.WriteAllText(path, Line(sessionId, "user", prompt, null, user) + "\n" + Line(sessionId, "assistant", "answer", user, Guid.NewGuid()) + "\n");
        if (settle)
        {
            File.SetLastWriteTimeUtc(path, Settled);
        }

        return path;
    }

    private string Line(Guid sessionId, string type, string text, Guid? parent, Guid uuid) =>
        $$"""{"parentUuid":{{(parent is null ? "null" : $"\"{parent}\"")}},"isSidechain":false,"type":"{{type}}","message":{"role":"{{type}}","content":"{{text}}"},"uuid":"{{uuid}}","timestamp":"2026-01-01T00:00:00.000Z","cwd":"{{environment.Workspace}}","sessionId":"{{sessionId}}"}""";
}

internal static class SummaryIndexStoreRows
{
    /// <summary>The store's index rows for one transcript path.</summary>
    public static List<string> StoreRows(this TestEnvironment environment, string path)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(environment.StoreDirectory, SessionStore.FileName)}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT path FROM transcript_summaries WHERE path = $path";
        command.Parameters.AddWithValue("$path", path);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
