using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Sessions;

/// <summary>A listing's cursor is good for the listing that gave it, on every server of the store that gave it, and nowhere else.</summary>
public sealed class ListingCursorTests : IDisposable
{
    private static readonly SessionView Last = new(
        "6e1028e2-081d-487e-b408-6efd13d41c3e", "me", "/w", DateTimeOffset.UnixEpoch, DateTimeOffset.Parse("2026-11-26T12:20:02.0004567Z"), "title", null, null, null,
        Archived: false, null, null, null, SessionSource.Sidecar, SessionStatus.NotResumable(NotResumableReason.SessionFileMissing), IsProgrammatic: true);

    private readonly TestEnvironment environment = new();

    public void Dispose() => environment.Dispose();

    [Fact]
    public void A_cursor_gives_its_key_to_the_same_listing_on_any_server_of_the_store_only()
    {
        var cursor = new ListingCursor(SessionStore.Open(environment.StoreDirectory)).Encode(ListingCursor.Listing.All, Last);

        // Another server process on the same store.
        var sameStore = new ListingCursor(SessionStore.Open(environment.StoreDirectory));
        Assert.Equal((Last.LastActiveAt.ToUnixTimeMilliseconds(), Last.SessionId), sameStore.TryDecode(ListingCursor.Listing.All, cursor));
        Assert.Null(sameStore.TryDecode(ListingCursor.Listing.Resumable, cursor));
        Assert.Null(new ListingCursor(SessionStore.Open(environment.Create("another-store"))).TryDecode(ListingCursor.Listing.All, cursor));
    }

    [Fact]
    public void Each_listing_takes_only_its_own_cursors()
    {
        var cursors = new ListingCursor(SessionStore.Open(environment.StoreDirectory));
        foreach (var given in Enum.GetValues<ListingCursor.Listing>())
        {
            var cursor = cursors.Encode(given, Last);
            foreach (var asked in Enum.GetValues<ListingCursor.Listing>())
            {
                Assert.Equal(asked == given, cursors.TryDecode(asked, cursor) is not null);
            }
        }
    }

    [Fact]
    public void The_order_is_the_cursors_key_milliseconds_then_the_higher_id()
    {
        var at = Last.LastActiveAt;
        var sameMillisecondLater = at.AddTicks(2000);

        // A later tick in the same millisecond is a tie, decided by the id; a later millisecond comes first.
        Assert.True(ListingCursor.Compare(sameMillisecondLater, "a", at, "b") > 0);
        Assert.True(ListingCursor.Compare(at, "b", sameMillisecondLater, "a") < 0);
        Assert.True(ListingCursor.Compare(at.AddMilliseconds(1), "a", at, "b") < 0);
        Assert.True(ListingCursor.IsAfter(Last with { SessionId = "6e1028e2-081d-487e-b408-6efd13d41c3d", LastActiveAt = sameMillisecondLater }, (at.ToUnixTimeMilliseconds(), Last.SessionId)));
    }
}
