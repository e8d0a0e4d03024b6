using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>Start a session: run a first turn in an existing folder.</summary>
/// <param name="SessionId">The id the new session takes, chosen by the face ahead of the turn (as ACP's <c>session/new</c> does);
/// null for a fresh one. It takes the spare that <see cref="SessionTurns.PrepareAsync"/> started with that id, when one waits.</param>
/// <param name="McpConfig">MCP servers the CLI starts for this session's process (<c>--mcp-config</c> JSON); null for none beyond the CLI's own settings.</param>
/// <param name="PromptContent">The prompt as the CLI's content blocks (text and image blocks of the Messages API), when
/// it is more than text; <paramref name="Prompt"/> is then its text, for the title. Null: the prompt is <paramref name="Prompt"/>.</param>
/// <param name="Entrypoint">The CLI's <c>entrypoint</c> for the turn (<see cref="Cli.CliEntrypoint"/>); null for the programmatic <c>sdk-cli</c>.</param>
public sealed record CreateSessionRequest(
    string WorkingDirectory,
    string Prompt,
    string UserId,
    string? Model = null,
    string? PermissionMode = null,
    string? Title = null,
    bool IncludePartialMessages = false,
    string? SessionId = null,
    string? McpConfig = null,
    JArray? PromptContent = null,
    string? Entrypoint = null);

/// <summary>Continue a session with one more turn.</summary>
/// <param name="McpConfig">As in <see cref="CreateSessionRequest"/>; a live process started with other MCP servers is not reused.</param>
/// <param name="PromptContent">As in <see cref="CreateSessionRequest"/>.</param>
/// <param name="Entrypoint">As in <see cref="CreateSessionRequest"/>; the session's first turn decides how it is listed, later ones do not change it.</param>
/// <param name="WorkingDirectory">Where to resume a session the store does not know, as <c>session/status</c> judges it
/// (a listing shows a transcript of a moved project with the folder whose project folder holds it); null: where its transcript says.</param>
public sealed record ResumeSessionRequest(
    string SessionId,
    string Prompt,
    string UserId,
    string? Model = null,
    string? PermissionMode = null,
    bool IncludePartialMessages = false,
    string? McpConfig = null,
    JArray? PromptContent = null,
    string? Entrypoint = null,
    string? WorkingDirectory = null);

/// <summary>Which sessions to list as resumable.</summary>
/// <param name="WorkingDirectory">Only this folder's sessions (compared by real path); null for all.</param>
/// <param name="IncludeExternal">Also the sessions the CLI made without the sidecar, found in its projects folder.</param>
/// <param name="IncludeArchived">Also archived sessions (hidden by default, as in <c>session/list</c>).</param>
/// <param name="Cursor">For a page of them: where the previous page ended (opaque, from <see cref="SessionPage.NextCursor"/>).</param>
/// <param name="IncludeWorktrees">With a <paramref name="WorkingDirectory"/>, also the sessions of every git worktree of its repository (the SDK's default).</param>
public sealed record ListResumableRequest(
    string UserId,
    string? WorkingDirectory,
    int Limit,
    bool IncludeExternal,
    bool IncludeArchived = false,
    string? Cursor = null,
    bool IncludeWorktrees = true)
{
    /// <summary>Only the archived ones (ACP's <c>archived: "only"</c>); before the page is cut, as every filter.</summary>
    public bool OnlyArchived { get; init; }
}

/// <summary>Which sessions to list, resumable or not.</summary>
/// <param name="Cursor">Where the previous page ended (opaque, from <see cref="SessionPage.NextCursor"/>).</param>
/// <param name="IncludeWorktrees">As in <see cref="ListResumableRequest"/>.</param>
public sealed record ListSessionsRequest(
    string UserId,
    string? WorkingDirectory,
    int Limit,
    bool IncludeExternal,
    bool IncludeArchived,
    bool IncludeProgrammatic,
    string? Cursor,
    bool IncludeWorktrees = true);

/// <summary>A full-text search over the conversations of the sessions a listing would show.</summary>
/// <param name="Query">As the user typed it (see <see cref="Store.SearchQuery"/>).</param>
/// <param name="Cursor">Where the previous page ended (opaque, from <see cref="SearchPage.NextCursor"/>).</param>
/// <param name="IncludeWorktrees">As in <see cref="ListResumableRequest"/>.</param>
public sealed record SearchSessionsRequest(
    string Query,
    string UserId,
    string? WorkingDirectory,
    int Limit,
    bool IncludeExternal,
    bool IncludeArchived,
    string? Cursor,
    bool IncludeWorktrees = true);
