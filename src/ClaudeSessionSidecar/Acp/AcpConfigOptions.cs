using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// A session's config options (<c>session/set_config_option</c>): the permission mode (the same choice as its modes)
/// and the model, as the CLI's own aliases (switched in a live CLI with its <c>set_model</c> control request).
/// </summary>
internal static class AcpConfigOptions
{
    public const string Mode = "mode";
    public const string Model = "model";
    public const string DefaultModel = "default";

    /// <summary>Value, name, description: the aliases <c>claude --model</c> takes, until the CLI has said its own models.</summary>
    public static readonly IReadOnlyList<(string Value, string Name, string Description)> FallbackModels =
    [
        (DefaultModel, "Default", "The model Claude Code's settings choose"),
        ("opus", "Opus", "The latest Opus"),
        ("sonnet", "Sonnet", "The latest Sonnet"),
        ("haiku", "Haiku", "The latest Haiku"),
    ];

    /// <summary>The engine's model for a model value: null for the CLI's default (a process started without the flag).</summary>
    public static string? ToModel(string value) => value == DefaultModel ? null : value;

    /// <summary>The session's models: the CLI's own (its <c>initialize</c> answer), with their descriptions, else the aliases.</summary>
    public static IReadOnlyList<(string Value, string Name, string Description)> ModelsOf(AcpSession session) =>
        session.Models is { Count: > 0 } reported && reported.Any(model => model.Value == DefaultModel)
            ? reported.Select(model => (model.Value, model.DisplayName, model.Description)).ToList()
            : FallbackModels;

    public static JArray Of(AcpSession session) =>
    [
        Select(Mode, "Permission mode", "mode", session.ModeId, AcpModes.Available),
        Select(Model, "Model", "model", session.ModelId, ModelsOf(session)),
    ];

    private static JObject Select(string id, string name, string category, string currentValue, IEnumerable<(string Value, string Name, string Description)> options) => new()
    {
        ["id"] = id,
        ["name"] = name,
        ["category"] = category,
        ["type"] = "select",
        ["currentValue"] = currentValue,
        ["options"] = new JArray(options.Select(option => new JObject { ["value"] = option.Value, ["name"] = option.Name, ["description"] = option.Description })),
    };
}
