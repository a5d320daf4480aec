namespace Contiv.Lab.Controllers;

/// <summary>Work queue keys: <c>namespace/name</c>.</summary>
internal static class Keys
{
    /// <summary>The key of a namespaced object.</summary>
    public static string Of(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    /// <summary>Splits a key into namespace and name.</summary>
    public static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (string.Empty, key) : (key[..slash], key[(slash + 1)..]);
    }
}
