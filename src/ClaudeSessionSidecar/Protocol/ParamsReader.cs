using System.Collections.Concurrent;
using System.Reflection;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>
/// Reads a method's params object into its <c>...Params</c> type, strictly: a property of type string takes only
/// a JSON string, an int only an integer, a bool only true/false. (Newtonsoft alone would quietly turn 42 into "42",
/// and StreamJsonRpc reports its failures as -32000.) Every mismatch is a -32602 naming the parameter. Unknown
/// members are ignored, so newer clients still talk to older servers. A member given as null counts as left out,
/// except for a <see cref="JToken"/> property, which gets the null token: its method tells null from missing.
/// </summary>
public static class ParamsReader
{
    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> Properties = new();

    /// <param name="required">False for methods whose params may be left out entirely.</param>
    public static T Read<T>(JToken? parameters, bool required = true)
        where T : new()
    {
        if (parameters is null || parameters.Type == JTokenType.Null)
        {
            return required ? throw RpcErrors.InvalidParams("params", "params must be an object.") : new T();
        }

        if (parameters is not JObject members)
        {
            throw RpcErrors.InvalidParams("params", "params must be an object of named parameters.");
        }

        var result = new T();
        foreach (var (name, property) in Properties.GetOrAdd(typeof(T), Describe))
        {
            if (members.TryGetValue(name, StringComparison.Ordinal, out var token) && (token.Type != JTokenType.Null || property.PropertyType == typeof(JToken)))
            {
                property.SetValue(result, Convert(token, property.PropertyType, name));
            }
        }

        return result;
    }

    private static object Convert(JToken token, Type type, string name)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return token.Type == JTokenType.String ? (string)token! : throw RpcErrors.InvalidParams(name, $"{name} must be a string.");
        }

        if (type == typeof(int))
        {
            return token.Type == JTokenType.Integer && token.Value<long>() is >= int.MinValue and <= int.MaxValue
                ? token.Value<int>()
                : throw RpcErrors.InvalidParams(name, $"{name} must be an integer.");
        }

        if (type == typeof(bool))
        {
            return token.Type == JTokenType.Boolean ? (bool)token : throw RpcErrors.InvalidParams(name, $"{name} must be true or false.");
        }

        if (type == typeof(JToken))
        {
            return token;
        }

        throw new NotSupportedException($"{name}: params of type {type} are not supported.");
    }

    private static (string Name, PropertyInfo Property)[] Describe(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .Select(property => (char.ToLowerInvariant(property.Name[0]) + property.Name[1..], property))
            .ToArray();
}
