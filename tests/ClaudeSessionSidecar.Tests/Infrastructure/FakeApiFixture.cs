namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>One fake Messages API per test class (classes run in parallel; each sees only its own requests).</summary>
public sealed class FakeApiFixture : IAsyncLifetime
{
    public FakeMessagesApi Api { get; private set; } = null!;

    public async Task InitializeAsync() => Api = await FakeMessagesApi.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();
}
