using System.Text.Json;
using System.Text.Json.Serialization;
using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.PodManager;
using Contiv.Agent.Rest;

namespace Contiv.Agent;

// Source-generated JSON for everything the agent serialises (issue 21: the agent is published NativeAOT, where
// reflection-based System.Text.Json is off). Each context keeps the options the reflection-based code had.

/// <summary>State files (default options: property names as declared).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<LocalPod>))]
[JsonSerializable(typeof(string))]
internal sealed partial class AgentJson : JsonSerializerContext
{
}

/// <summary><c>contiv.conf</c> (after YAML → JSON): case-insensitive names, numbers from strings, comments skipped.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(ContivConfig))]
internal sealed partial class ConfigJson : JsonSerializerContext
{
}

/// <summary>REST bodies and item values: camelCase names, enums as strings.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IReadOnlyList<EventRecord>))]
[JsonSerializable(typeof(LinuxAddress))]
[JsonSerializable(typeof(LinuxRoute))]
[JsonSerializable(typeof(LinuxArp))]
[JsonSerializable(typeof(LinuxLinkUp))]
[JsonSerializable(typeof(LinuxInterfaceRecord))]
internal sealed partial class CamelJson : JsonSerializerContext
{
}
