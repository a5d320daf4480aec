using System.Net;
using System.Text.Json;

namespace Contiv.Cni.Protocol;

/// <summary>
/// A CNI result (interfaces, IPs, routes, DNS) independent of spec version. <see cref="Write"/>
/// prints it in the shape of a given version; <see cref="Parse"/> reads any supported version's shape.
/// </summary>
public sealed class CniResult
{
    /// <summary>Interfaces, in order; <see cref="CniIpConfig.Interface"/> indexes this list.</summary>
    public List<CniInterface> Interfaces { get; } = [];

    /// <summary>Assigned addresses.</summary>
    public List<CniIpConfig> Ips { get; } = [];

    /// <summary>Routes installed in the container.</summary>
    public List<CniRoute> Routes { get; } = [];

    /// <summary>DNS settings (all parts optional).</summary>
    public CniDns Dns { get; set; } = new();

    /// <summary>
    /// Appends <paramref name="other"/> after this result's entries (interface indexes of its IPs
    /// shifted), as a plugin in a chain does with prevResult; DNS of <paramref name="other"/> wins when set.
    /// </summary>
    public CniResult Concat(CniResult other)
    {
        var merged = new CniResult();
        merged.Interfaces.AddRange(Interfaces);
        merged.Interfaces.AddRange(other.Interfaces);
        merged.Ips.AddRange(Ips);
        merged.Ips.AddRange(other.Ips.Select(ip => ip with { Interface = ip.Interface + Interfaces.Count }));
        merged.Routes.AddRange(Routes);
        merged.Routes.AddRange(other.Routes);
        merged.Dns = other.Dns.IsEmpty ? Dns : other.Dns;
        return merged;
    }

    /// <summary>Prints the result as JSON in the shape of <paramref name="cniVersion"/>.</summary>
    /// <remarks>
    /// 0.3.x and 0.4.0 carry <c>ips[].version</c>; 1.0.0 dropped it. Interface <c>mtu</c>,
    /// <c>socketPath</c>, <c>pciID</c> and route <c>mtu</c>/<c>advmss</c>/<c>priority</c>/<c>table</c>/<c>scope</c>
    /// exist from 1.1.0 on. <c>dns</c> is always present (as in the reference library).
    /// </remarks>
    public void Write(Utf8JsonWriter w, string cniVersion)
    {
        var withIpVersion = !CniVersions.AtLeast(cniVersion, "1.0.0");
        var v11 = CniVersions.AtLeast(cniVersion, "1.1.0");
        w.WriteStartObject();
        w.WriteString("cniVersion", cniVersion);
        if (Interfaces.Count > 0)
        {
            w.WriteStartArray("interfaces");
            foreach (var i in Interfaces)
            {
                w.WriteStartObject();
                w.WriteString("name", i.Name);
                WriteIfSet(w, "mac", i.Mac);
                if (v11 && i.Mtu is > 0)
                {
                    w.WriteNumber("mtu", i.Mtu.Value);
                }

                WriteIfSet(w, "sandbox", i.Sandbox);
                if (v11)
                {
                    WriteIfSet(w, "socketPath", i.SocketPath);
                    WriteIfSet(w, "pciID", i.PciId);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (Ips.Count > 0)
        {
            w.WriteStartArray("ips");
            foreach (var ip in Ips)
            {
                w.WriteStartObject();
                if (withIpVersion)
                {
                    w.WriteString("version", ip.IsIPv6 ? "6" : "4");
                }

                if (ip.Interface is { } index)
                {
                    w.WriteNumber("interface", index);
                }

                w.WriteString("address", ip.Address);
                WriteIfSet(w, "gateway", ip.Gateway);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (Routes.Count > 0)
        {
            w.WriteStartArray("routes");
            foreach (var r in Routes)
            {
                w.WriteStartObject();
                w.WriteString("dst", r.Dst);
                WriteIfSet(w, "gw", r.Gw);
                if (v11)
                {
                    WriteIfSet(w, "mtu", r.Mtu);
                    WriteIfSet(w, "advmss", r.AdvMss);
                    WriteIfSet(w, "priority", r.Priority);
                    WriteIfSet(w, "table", r.Table);
                    WriteIfSet(w, "scope", r.Scope);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartObject("dns");
        WriteList(w, "nameservers", Dns.Nameservers);
        WriteIfSet(w, "domain", Dns.Domain);
        WriteList(w, "search", Dns.Search);
        WriteList(w, "options", Dns.Options);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The result as a JSON string in the shape of <paramref name="cniVersion"/>.</summary>
    public string ToJson(string cniVersion, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(w, cniVersion);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Reads a result of any supported version (<c>ips[].version</c> optional), e.g. prevResult or
    /// an IPAM plugin's output. <paramref name="what"/> names the value in error messages.
    /// </summary>
    /// <exception cref="CniException">Code 6 naming the malformed field.</exception>
    public static CniResult Parse(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Malformed(what, $"must be an object, got {NetworkConfig.Shorten(e)}");
        }

        var result = new CniResult();
        foreach (var (item, i) in Items(e, "interfaces", what))
        {
            var p = $"interfaces[{i}]";
            result.Interfaces.Add(new CniInterface(
                Str(item, "name", what, p) ?? throw Malformed(what, $"{p}.name is missing"),
                Str(item, "mac", what, p),
                Int(item, "mtu", what, p),
                Str(item, "sandbox", what, p),
                Str(item, "socketPath", what, p),
                Str(item, "pciID", what, p)));
        }

        foreach (var (item, i) in Items(e, "ips", what))
        {
            var p = $"ips[{i}]";
            var address = Str(item, "address", what, p) ?? throw Malformed(what, $"{p}.address is missing");
            if (!IPNetwork.TryParse(address, out _) || !address.Contains('/', StringComparison.Ordinal))
            {
                throw Malformed(what, $"{p}.address \"{address}\" is not an address in CIDR notation");
            }

            var index = Int(item, "interface", what, p);
            if (index is { } idx && (idx < 0 || (result.Interfaces.Count > 0 && idx >= result.Interfaces.Count)))
            {
                throw Malformed(what, $"{p}.interface {idx} does not index interfaces (count {result.Interfaces.Count})");
            }

            result.Ips.Add(new CniIpConfig(address, Str(item, "gateway", what, p), index));
        }

        foreach (var (item, i) in Items(e, "routes", what))
        {
            var p = $"routes[{i}]";
            result.Routes.Add(new CniRoute(
                Str(item, "dst", what, p) ?? throw Malformed(what, $"{p}.dst is missing"),
                Str(item, "gw", what, p),
                Int(item, "mtu", what, p),
                Int(item, "advmss", what, p),
                Int(item, "priority", what, p),
                Int(item, "table", what, p),
                Int(item, "scope", what, p)));
        }

        if (e.TryGetProperty("dns", out var dns) && dns.ValueKind == JsonValueKind.Object)
        {
            result.Dns = ParseDns(dns, what);
        }

        return result;
    }

    /// <summary>Reads a <c>dns</c> object (of a result or of the network configuration).</summary>
    /// <exception cref="CniException">Code 6 naming the malformed field.</exception>
    internal static CniDns ParseDns(JsonElement dns, string what) => new()
    {
        Nameservers = Strings(dns, "nameservers", what),
        Domain = Str(dns, "domain", what, "dns"),
        Search = Strings(dns, "search", what),
        Options = Strings(dns, "options", what),
    };

    private static CniException Malformed(string what, string problem)
        => new(CniErrorCode.DecodingFailure, $"{what}: {problem}");

    private static IEnumerable<(JsonElement Item, int Index)> Items(JsonElement e, string key, string what)
    {
        if (!e.TryGetProperty(key, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            yield break;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw Malformed(what, $"{key} must be a list, got {NetworkConfig.Shorten(list)}");
        }

        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(what, $"{key}[{i}] must be an object, got {NetworkConfig.Shorten(item)}");
            }

            yield return (item, i++);
        }
    }

    private static string? Str(JsonElement e, string key, string what, string path)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw Malformed(what, $"{path}.{key} must be a string, got {NetworkConfig.Shorten(v)}");
    }

    private static int? Int(JsonElement e, string key, string what, string path)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)
            ? n
            : throw Malformed(what, $"{path}.{key} must be an integer, got {NetworkConfig.Shorten(v)}");
    }

    private static List<string> Strings(JsonElement e, string key, string what)
    {
        var list = new List<string>();
        if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            throw Malformed(what, $"dns.{key} must be a list of strings, got {NetworkConfig.Shorten(v)}");
        }

        list.AddRange(v.EnumerateArray().Select(x => x.GetString()!));
        return list;
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void WriteList(Utf8JsonWriter w, string name, List<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var s in values)
        {
            w.WriteStringValue(s);
        }

        w.WriteEndArray();
    }
}

/// <summary>An interface of a CNI result. <see cref="Sandbox"/> is the netns path (empty on the host).</summary>
public sealed record CniInterface(string Name, string? Mac = null, int? Mtu = null, string? Sandbox = null,
    string? SocketPath = null, string? PciId = null);

/// <summary>An address of a CNI result: CIDR <see cref="Address"/>, optional gateway and interface index.</summary>
public sealed record CniIpConfig(string Address, string? Gateway = null, int? Interface = null)
{
    /// <summary>True for an IPv6 address.</summary>
    public bool IsIPv6 => Address.Contains(':', StringComparison.Ordinal);
}

/// <summary>A route of a CNI result (<see cref="Gw"/> empty = the default gateway).</summary>
public sealed record CniRoute(string Dst, string? Gw = null, int? Mtu = null, int? AdvMss = null, int? Priority = null,
    int? Table = null, int? Scope = null);

/// <summary>DNS settings of a CNI result.</summary>
public sealed class CniDns
{
    /// <summary>Name servers, in priority order.</summary>
    public List<string> Nameservers { get; init; } = [];

    /// <summary>Local domain.</summary>
    public string? Domain { get; init; }

    /// <summary>Search domains.</summary>
    public List<string> Search { get; init; } = [];

    /// <summary>resolver options.</summary>
    public List<string> Options { get; init; } = [];

    /// <summary>True when nothing is set.</summary>
    public bool IsEmpty => Nameservers.Count == 0 && string.IsNullOrEmpty(Domain) && Search.Count == 0 && Options.Count == 0;
}
