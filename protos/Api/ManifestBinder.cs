using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Protos.Api;

/// <summary>
/// Binds a parsed YAML tree onto the API records, collecting every type error with its field path instead of
/// stopping at the first (like the API server's structural-schema validation reports all field errors).
/// Absent and null fields keep the record's default.
/// </summary>
internal sealed class ManifestBinder(List<ManifestError> errors, List<ManifestError> warnings, bool rejectUnknownFields)
{
    public T? BindRoot<T>(YamlNode node) where T : class
        => Bind(typeof(T), node, "", null) as T;

    private object? Bind(Type type, YamlNode node, string path, object? current)
    {
        if (IsNull(node)) return current;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string)) return BindString(node, path, current);
        if (underlying == typeof(int)) return BindInteger(node, path, current, v => v is >= int.MinValue and <= int.MaxValue ? (int)v : null);
        if (underlying == typeof(long)) return BindInteger(node, path, current, v => v);
        if (underlying == typeof(double)) return BindNumber(node, path, current);
        if (underlying == typeof(bool)) return BindBool(node, path, current);
        if (underlying == typeof(Dictionary<string, string>)) return BindStringMap(node, path, current);
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(List<>))
            return BindList(underlying, node, path, current);
        return BindRecord(underlying, node, path, current);
    }

    private object? BindRecord(Type type, YamlNode node, string path, object? current)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add(new(PathOrRoot(path), $"expected an object, got {Describe(node)}"));
            return current;
        }
        var instance = current ?? Activator.CreateInstance(type)!;
        var props = ApiSchema.Properties(type);
        var open = type.GetCustomAttribute<OpenFieldsAttribute>() is not null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            var fieldPath = Join(path, key);
            if (!seen.Add(key)) { errors.Add(new(fieldPath, "duplicate field")); continue; }
            if (!props.TryGetValue(key, out var prop))
            {
                if (open) continue;
                var hint = Suggest(key, props.Keys);
                var message = $"unknown field \"{key}\"" + (hint is null ? "" : $" (did you mean \"{hint}\"?)");
                (rejectUnknownFields ? errors : warnings).Add(new(fieldPath, message));
                continue;
            }
            var value = Bind(prop.PropertyType, valueNode, fieldPath, prop.GetValue(instance));
            if (!IsNull(valueNode)) prop.SetValue(instance, value);
        }
        foreach (var (name, prop) in props)
            if (!seen.Contains(name) && prop.GetCustomAttribute<RequiredFieldAttribute>() is not null)
                errors.Add(new(Join(path, name), "required field is missing"));
        return instance;
    }

    private string? BindString(YamlNode node, string path, object? current)
    {
        if (node is YamlScalarNode s) return s.Value ?? "";
        errors.Add(new(path, $"expected a string, got {Describe(node)}"));
        return current as string;
    }

    private object? BindInteger(YamlNode node, string path, object? current, Func<long, object?> convert)
    {
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s
            && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            var converted = convert(v);
            if (converted is not null) return converted;
            errors.Add(new(path, $"integer out of range, got {v}"));
            return current;
        }
        errors.Add(new(path, $"expected an integer, got {Describe(node)}"));
        return current;
    }

    private object? BindNumber(YamlNode node, string path, object? current)
    {
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s
            && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            return v;
        errors.Add(new(path, $"expected a number, got {Describe(node)}"));
        return current;
    }

    private object? BindBool(YamlNode node, string path, object? current)
    {
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s)
        {
            if (s.Value is "true" or "True" or "TRUE") return true;
            if (s.Value is "false" or "False" or "FALSE") return false;
        }
        errors.Add(new(path, $"expected a boolean (true or false), got {Describe(node)}"));
        return current;
    }

    private Dictionary<string, string>? BindStringMap(YamlNode node, string path, object? current)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add(new(path, $"expected a map of strings, got {Describe(node)}"));
            return current as Dictionary<string, string>;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? k.ToString();
            if (v is YamlScalarNode sv && !IsNull(v)) result[key] = sv.Value ?? "";
            else errors.Add(new(Join(path, key), $"expected a string, got {Describe(v)}"));
        }
        return result;
    }

    private object? BindList(Type listType, YamlNode node, string path, object? current)
    {
        if (node is not YamlSequenceNode seq)
        {
            errors.Add(new(path, $"expected a list, got {Describe(node)}"));
            return current;
        }
        var elementType = listType.GetGenericArguments()[0];
        var list = (System.Collections.IList)Activator.CreateInstance(listType)!;
        var i = 0;
        foreach (var item in seq.Children)
        {
            var bound = Bind(elementType, item, $"{path}[{i++}]", null);
            if (bound is not null) list.Add(bound);
        }
        return list;
    }

    internal static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s
        && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>How a wrong value is shown: scalars quoted as written, objects and lists by kind.</summary>
    internal static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"\"{s.Value}\"",
        YamlMappingNode => "an object",
        YamlSequenceNode => "a list",
        _ => node.NodeType.ToString(),
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    private static string PathOrRoot(string path) => path.Length == 0 ? "(root)" : path;

    /// <summary>The closest known field by edit distance, when it is close enough to be a typo.</summary>
    internal static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = EditDistance(key.ToLowerInvariant(), k.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
