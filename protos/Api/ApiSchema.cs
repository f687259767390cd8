using System.Collections.Concurrent;
using System.Reflection;

namespace AgentOps.Protos.Api;

/// <summary>Reflection view of the API records: camelCase field names (Kubernetes JSON convention) to properties.</summary>
public static class ApiSchema
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, PropertyInfo>> Cache = new();

    public static IReadOnlyDictionary<string, PropertyInfo> Properties(Type type) => Cache.GetOrAdd(type, t =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .ToDictionary(p => FieldName(p.Name), p => p, StringComparer.Ordinal));

    public static string FieldName(string propertyName) =>
        char.ToLowerInvariant(propertyName[0]) + propertyName[1..];
}
