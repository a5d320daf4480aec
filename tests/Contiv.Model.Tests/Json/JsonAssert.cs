using System.Text.Json.Nodes;

namespace Contiv.Model.Tests;

/// <summary>Compares JSON documents structurally (object member order does not matter, array order does).</summary>
internal static class JsonAssert
{
    public static void Equivalent(string expected, string actual)
    {
        var e = JsonNode.Parse(expected);
        var a = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(e, a), $"JSON differs.\nexpected: {e?.ToJsonString()}\nactual:   {a?.ToJsonString()}");
    }
}
