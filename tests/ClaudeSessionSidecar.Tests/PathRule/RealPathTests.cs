using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.PathRule;

public sealed class RealPathTests
{
    [Fact]
    public void Resolves_symlinks_in_every_component_not_only_the_last()
    {
        using var environment = new TestEnvironment();
        var target = environment.Create("real_mid/sub dir");
        var link = Path.Combine(environment.Root, "link-mid");
        Directory.CreateSymbolicLink(link, Path.Combine(environment.Root, "real_mid"));

        Assert.Equal(target, RealPath.Resolve(Path.Combine(link, "sub dir")));
    }

    [Fact]
    public void Gives_null_for_a_path_that_does_not_exist()
    {
        using var environment = new TestEnvironment();
        Assert.Null(RealPath.Resolve(Path.Combine(environment.Root, "missing")));
    }
}
