using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary>
/// The <c>session/*</c> methods, one file per method. Each handler takes its params object and returns its result:
/// it checks what only it knows, then calls the engine; <see cref="MethodDispatcher"/> does the rest.
/// </summary>
public sealed partial class SessionMethods(SidecarHost host)
{
    internal static readonly string[] PermissionModes = ["default", "acceptEdits", "auto", "bypassPermissions", "manual", "dontAsk", "plan"];

    /// <summary>Streams a turn's CLI messages to the client as <c>session/message</c> and asks it for permissions.</summary>
    private ITurnObserver Notifier { get; } = new NotifyingObserver(host.Rpc, host.ClientInputEnded, host.Log);

    private SessionService Sessions => host.Services;

    public void AddTo(MethodDispatcher methods)
    {
        methods.Add<CreateParams, CreateResult>(Create, CreateAsync);
        methods.Add<ResumeParams, ResumeResult>(Resume, ResumeAsync);
        methods.Add<PrepareParams, PrepareResult>(Prepare, PrepareAsync);
        methods.Add<CancelParams, CancelResult>(Cancel, CancelTurn);
        methods.Add<StatusParams, SessionStatusDto>(Status, GetStatus);
        methods.Add<ListResumableParams, ListResumableResult>(ListResumable, ListResumableSessions, paramsOptional: true);
        methods.Add<ListParams, ListResult>(List, ListSessions, paramsOptional: true);
        methods.Add<SearchParams, SearchResult>(Search, SearchSessions);
        methods.Add<InfoParams, InfoResult>(Info, GetInfo);
        methods.Add<MessagesParams, MessagesResult>(Messages, GetMessages);
        methods.Add<RenameParams, RenameResult>(Rename, RenameSession);
        methods.Add<TagParams, TagResult>(Tag, SetTag);
        methods.Add<ArchiveParams, ArchiveResult>(Archive, ArchiveSession);
        methods.Add<ArchiveParams, ArchiveResult>(Unarchive, UnarchiveSession);
        methods.Add<DeleteParams, DeleteResult>(Delete, DeleteAsync);
        methods.Add<ForkParams, ForkResult>(Fork, ForkAsync);
    }

    private string UserIdOrDefault(string? userId) => Require.OptionalToken(userId, "userId") ?? host.DefaultUserId;
}
