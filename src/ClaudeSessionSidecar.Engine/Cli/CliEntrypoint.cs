namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// The name the CLI writes as every transcript line's <c>entrypoint</c>, taken from <c>CLAUDE_CODE_ENTRYPOINT</c>
/// (measured on 2.1.328: any name is written as given, except <c>cli</c>, which <c>-p</c> rewrites to <c>sdk-cli</c>).
/// The CLI's own <c>--resume</c> picker and the SDK's <c>listSessions({includeProgrammatic: false})</c> hide a session
/// whose first entrypoint is one of <see cref="ProgrammaticNames"/>, so the name decides whether a person finds it there.
/// </summary>
public static class CliEntrypoint
{
    /// <summary>What the CLI writes under <c>-p</c> when nobody names an entrypoint: a programmatic session.</summary>
    public const string Programmatic = "sdk-cli";

    public const int MaxLength = 64;

    /// <summary>The entrypoints both the SDK (0.3.328) and the CLI's picker (2.1.328) take for programmatic: exactly these, case-sensitive.</summary>
    public static IReadOnlyList<string> ProgrammaticNames => Transcripts.TranscriptSummary.ProgrammaticEntrypoints;

    /// <summary>A name safe to hand the CLI: 1 to <see cref="MaxLength"/> ASCII letters, digits and dashes, starting with a letter.</summary>
    public static bool IsSafe(string? name) =>
        name is { Length: > 0 and <= MaxLength } && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    public static bool IsProgrammatic(string? name) => name is not null && ProgrammaticNames.Contains(name);
}
