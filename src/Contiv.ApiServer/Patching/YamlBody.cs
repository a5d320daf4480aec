using System.Text.Json.Nodes;
using Contiv.Yaml;
using YamlDotNet.Core;

namespace Contiv.ApiServer.Patching;

/// <summary>A request body in YAML (server-side apply, or any body sent as YAML) as JSON.</summary>
internal static class YamlBody
{
    /// <summary>The first document of <paramref name="text"/>; 400 BadRequest when it is not valid YAML.</summary>
    public static JsonNode? Parse(string text)
    {
        try
        {
            return YamlJson.Parse(text);
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest($"body is not valid YAML: {e.Message}");
        }
    }
}
