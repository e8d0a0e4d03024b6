using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Discovery;

/// <summary>Where the server looks for the CLI and for its config folder, in the documented order.</summary>
public sealed class DiscoveryTests : IDisposable
{
    private readonly TestEnvironment environment = new();

    public void Dispose() => environment.Dispose();

    [Fact]
    public void The_config_folder_is_the_option_else_CLAUDE_CONFIG_DIR_else_CLAUDE_HOME_else_the_home_default()
    {
        var variables = new Dictionary<string, string?> { ["HOME"] = "/home/me", ["CLAUDE_CONFIG_DIR"] = "/cfg", ["CLAUDE_HOME"] = "/seed" };
        string? Get(string name) => variables.GetValueOrDefault(name);

        Assert.Equal("/opt/option", ClaudeConfigDirectory.Resolve("/opt/option", Get).Path);
        Assert.Equal("/cfg", ClaudeConfigDirectory.Resolve(null, Get).Path);
        variables["CLAUDE_CONFIG_DIR"] = null;
        Assert.Equal("/seed", ClaudeConfigDirectory.Resolve(null, Get).Path);
        variables["CLAUDE_HOME"] = "";
        var fallback = ClaudeConfigDirectory.Resolve(null, Get);
        Assert.Equal("/home/me/.claude", fallback.Path);
        Assert.True(fallback.IsCliDefault);
        Assert.Equal("/home/me/.claude/projects", fallback.ProjectsPath);
        Assert.Equal("/home/me/work/.claude-alt", ClaudeConfigDirectory.Resolve("~/work/.claude-alt", Get).Path);
        Assert.False(ClaudeConfigDirectory.Resolve("/cfg", Get).IsCliDefault);
    }

    [Fact]
    public void The_CLI_is_the_option_else_the_variable_else_PATH_else_the_usual_places()
    {
        var explicitCli = Touch("explicit/claude");
        var variableCli = Touch("variable/claude");
        var pathCli = Touch("on-path/claude");
        var homeCli = Touch("home/.local/bin/claude");
        var variables = new Dictionary<string, string?>
        {
            [ClaudeCliLocator.PathVariable] = variableCli,
            ["PATH"] = $"/nonexistent:{Path.GetDirectoryName(pathCli)}",
            ["HOME"] = Path.Combine(environment.Root, "home"),
        };
        string? Get(string name) => variables.GetValueOrDefault(name);

        Assert.Equal(explicitCli, ClaudeCliLocator.Locate(explicitCli, Get));
        Assert.Null(ClaudeCliLocator.Locate(Path.Combine(environment.Root, "missing"), Get));
        Assert.Equal(variableCli, ClaudeCliLocator.Locate(null, Get));
        variables[ClaudeCliLocator.PathVariable] = null;
        Assert.Equal(pathCli, ClaudeCliLocator.Locate(null, Get));
        variables["PATH"] = "/nonexistent";
        Assert.Equal(homeCli, ClaudeCliLocator.Locate(null, Get));
    }

    [Fact]
    public void The_prompt_is_never_an_argument()
    {
        var arguments = ClaudeCli.BuildArguments(new CliTurnRequest("/w", "--help", ResumeSessionId: "5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b", Model: "sonnet", PermissionMode: "plan").Launch);

        Assert.DoesNotContain("--help", arguments);
        Assert.Equal(["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--permission-prompt-tool", "stdio",
            "--resume", "5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b", "--model", "sonnet", "--permission-mode", "plan"], arguments);
    }

    private string Touch(string relativePath)
    {
        var path = Path.Combine(environment.Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n");
        return path;
    }
}
