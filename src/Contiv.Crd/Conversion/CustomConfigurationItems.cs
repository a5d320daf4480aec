using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Crd.Kube;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using Contiv.Yaml;
using Google.Protobuf.WellKnownTypes;

namespace Contiv.Crd.Conversion;

/// <summary>
/// CustomConfiguration → one etcd key-value per <c>configItems[]</c> entry (SPEC §1.4): the item's
/// <c>data</c> (YAML) becomes JSON under <c>/vnf-agent/{microservice}/{model key}</c>. Models whose
/// key is built from the data (vpp-agent v3 <c>vpp/route</c>, <c>vpp/arp</c>, <c>vpp.nat/nat44-global</c>)
/// get the vpp-agent key; every other item goes under
/// <c>config/{module with '.' → '/'}/{version or v1}/{type}/{name}</c>, which is also the
/// vpp-agent key of the name-keyed models (interfaces, bridge domains, ACLs, Linux interfaces, …).
/// The value is kept as the item's JSON (this tree has no vpp-agent northbound protos to re-encode it).
/// </summary>
internal static class CustomConfigurationItems
{
    /// <summary>The key-values of one CustomConfiguration.</summary>
    /// <param name="r">The custom resource.</param>
    /// <returns>etcd key → value (a protobuf <see cref="Value"/> holding the item's JSON).</returns>
    /// <exception cref="ConversionException">An item without microservice, module, type, data or name, or with data that is not a YAML mapping.</exception>
    public static IReadOnlyList<(string Key, Value Record)> KeyValues(CustomResource r)
    {
        var spec = CrdConversions.Spec(r);
        var defaultMicroservice = spec.String("microservice");
        var result = new List<(string, Value)>();
        foreach (var item in spec.Objects("configItems"))
        {
            var microservice = item.String("microservice") is { Length: > 0 } own ? own : defaultMicroservice;
            if (microservice.Length == 0)
            {
                throw new ConversionException($"{spec.Owner}: {item.Path} has no microservice (neither the item's nor spec.microservice)");
            }

            var module = Required(item, "module");
            var type = Required(item, "type");
            var dataText = Required(item, "data");
            JsonObject data;
            try
            {
                data = YamlJson.Parse(dataText) as JsonObject
                    ?? throw new ConversionException($"{spec.Owner}: {item.Path}.data must be a YAML mapping");
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                throw new ConversionException($"{spec.Owner}: {item.Path}.data is not valid YAML: {e.Message}", e);
            }

            var modelKey = ModelKey(spec.Owner, item, module, type, item.String("version"), data);
            string key;
            try
            {
                key = Keys.AgentConfig(microservice, modelKey);
            }
            catch (ArgumentException e)
            {
                throw new ConversionException($"{spec.Owner}: {item.Path}: {e.Message}", e);
            }

            result.Add((key, ProtoJson.Parse<Value>(data.ToJsonString())));
        }

        return result;
    }

    private static string ModelKey(string owner, SpecFields item, string module, string type, string version, JsonObject data)
    {
        switch (module, type)
        {
            case ("vpp", "route" or "routes"):
                return $"config/vpp/v2/route/vrf/{Field(data, "vrf_id", "0")}/dst/{Field(data, "dst_network", null, owner, item)}/gw/{Field(data, "next_hop_addr", string.Empty)}";
            case ("vpp", "arp" or "arps"):
                return $"config/vpp/v2/arp/{Field(data, "interface", null, owner, item)}/{Field(data, "ip_address", null, owner, item)}";
            case ("vpp.nat", "nat44-global"):
                return "config/vpp/nat/v2/nat44-global";
        }

        var name = item.String("name") is { Length: > 0 } n ? n : Field(data, "name", string.Empty);
        if (name.Length == 0)
        {
            throw new ConversionException($"{owner}: {item.Path} has no name (neither the item's name nor a name field in data)");
        }

        return $"config/{module.Replace('.', '/')}/{(version.Length > 0 ? version : "v1")}/{type}/{name}";
    }

    private static string Required(SpecFields item, string name) =>
        item.String(name) is { Length: > 0 } value ? value : throw new ConversionException($"{item.Owner}: {item.Path}.{name} is required");

    // A data field as text; snake_case first (vpp-agent's proto names), then lowerCamel.
    private static string Field(JsonObject data, string snake, string? fallback, string owner = "", SpecFields item = default)
    {
        var camel = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(string.Concat(snake.Split('_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..])));
        var node = data[snake] ?? data[camel];
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number)
        {
            return v.ToString();
        }

        return fallback ?? throw new ConversionException($"{owner}: {item.Path}.data needs the field {snake}");
    }
}
