using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Contiv.Model;

public static partial class Keys
{
    private const string NamespacedPattern = "k8s/{type}/{name}/namespace/{ns}";

    /// <summary>Parses a full Contiv etcd key into its kind and fields.</summary>
    /// <param name="key">A full key such as <c>/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default</c>.</param>
    /// <returns>The parsed key; <c>Build(result) == key</c>.</returns>
    /// <exception cref="FormatException">The key matches no pattern of SPEC §1.2; the message names the key and the problem.</exception>
    public static EtcdKey Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryParseCore(key, out var result, out var problem)
            ? result
            : throw new FormatException($"etcd key '{key}': {problem}");
    }

    /// <summary>Parses a full Contiv etcd key without throwing.</summary>
    /// <param name="key">The key.</param>
    /// <param name="result">The parsed key, or null when the key matches no pattern.</param>
    /// <returns>Whether the key matched a pattern.</returns>
    public static bool TryParse(string? key, [NotNullWhen(true)] out EtcdKey? result)
    {
        if (key is not null && TryParseCore(key, out var parsed, out _))
        {
            result = parsed;
            return true;
        }

        result = null;
        return false;
    }

    /// <summary>Parses a key relative to <see cref="KsrPrefix"/> (e.g. <c>k8s/pod/web-1/namespace/default</c>).</summary>
    /// <param name="relativeKey">The key without <c>/vnf-agent/contiv-ksr/</c>.</param>
    /// <returns>The parsed key.</returns>
    /// <exception cref="FormatException">The key matches no KSR pattern.</exception>
    public static EtcdKey ParseKsrRelative(string relativeKey)
    {
        ArgumentNullException.ThrowIfNull(relativeKey);
        return TryParseKsr(relativeKey, out var result, out var problem)
            ? result
            : throw new FormatException($"etcd key '{relativeKey}' (relative to {KsrPrefix}): {problem}");
    }

    private static bool TryParseCore(string key, [NotNullWhen(true)] out EtcdKey? result, [NotNullWhen(false)] out string? problem)
    {
        result = null;
        if (key == EtcdProbeKey)
        {
            result = new EtcdKey(KeyKind.EtcdProbe);
            problem = null;
            return true;
        }

        if (key == KsrElectionPrefix)
        {
            result = new EtcdKey(KeyKind.KsrElection);
            problem = null;
            return true;
        }

        if (key.StartsWith(KsrElectionPrefix + "/", StringComparison.Ordinal))
        {
            var candidate = key[(KsrElectionPrefix.Length + 1)..];
            if (!IsSegment(candidate))
            {
                problem = $"expected {KsrElectionPrefix}/{{candidate}} with one non-empty segment, got '{candidate}'";
                return false;
            }

            result = new EtcdKey(KeyKind.KsrElection) { Name = candidate };
            problem = null;
            return true;
        }

        if (!key.StartsWith(AgentRoot, StringComparison.Ordinal))
        {
            problem = $"does not start with {AgentRoot} (nor is it {KsrElectionPrefix} or {EtcdProbeKey})";
            return false;
        }

        var afterRoot = key[AgentRoot.Length..];
        var slash = afterRoot.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            problem = afterRoot.Length == 0 || slash == 0
                ? $"empty agent label after {AgentRoot}"
                : $"expected {AgentRoot}{{label}}/..., but there is nothing after the label '{afterRoot}'";
            return false;
        }

        var label = afterRoot[..slash];
        var rest = afterRoot[(slash + 1)..];
        if (rest.StartsWith(ConfigRelativePrefix, StringComparison.Ordinal))
        {
            var configProblem = ConfigPathProblem(rest);
            if (configProblem is not null)
            {
                problem = $"agent config model key '{rest}' {configProblem}";
                return false;
            }

            result = new EtcdKey(KeyKind.AgentConfig) { Label = label, Path = rest };
            problem = null;
            return true;
        }

        if (label != KsrLabel)
        {
            problem = $"under agent prefix {AgentRoot}{label}/ only 'config/...' keys exist, got '{rest}'";
            return false;
        }

        return TryParseKsr(rest, out result, out problem);
    }

    private static bool TryParseKsr(string rel, [NotNullWhen(true)] out EtcdKey? result, [NotNullWhen(false)] out string? problem)
    {
        result = null;
        var parts = rel.Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0)
            {
                problem = $"segment {i + 1} of '{rel}' is empty";
                return false;
            }
        }

        switch (parts[0])
        {
            case "k8s":
                return TryParseK8s(rel, parts, out result, out problem);

            case "allocatedIDs":
                if (!Expect(parts, 2, "allocatedIDs/{nodeID}", out problem))
                {
                    return false;
                }

                // Canonical decimal only ("07" would not round-trip), and IDs start at 1.
                if (!uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0 ||
                    id.ToString(CultureInfo.InvariantCulture) != parts[1])
                {
                    problem = $"node ID '{parts[1]}' is not a positive decimal integer";
                    return false;
                }

                result = new EtcdKey(KeyKind.VppNode) { NodeId = id };
                return true;

            case "custom-ipam":
                if (!Expect(parts, 3, "custom-ipam/{podName}/{podNamespace}", out problem))
                {
                    return false;
                }

                result = new EtcdKey(KeyKind.CustomIpam) { Name = parts[1], Namespace = parts[2] };
                return true;

            case "idalloc":
                if (!Expect(parts, 2, "idalloc/{pool}", out problem))
                {
                    return false;
                }

                result = new EtcdKey(KeyKind.IdAllocPool) { Name = parts[1] };
                return true;

            case "status":
                if (parts.Length != 2 || parts[1] != "gauges")
                {
                    problem = $"the only status key is status/gauges, got '{rel}'";
                    return false;
                }

                result = new EtcdKey(KeyKind.KsrStats);
                problem = null;
                return true;

            case "sfc-controller":
                return TryParseSfc(rel, parts, out result, out problem);

            default:
                problem = $"unknown resource '{parts[0]}' under {KsrPrefix} (expected k8s, allocatedIDs, custom-ipam, idalloc, status, sfc-controller or config)";
                return false;
        }
    }

    private static bool TryParseK8s(string rel, string[] parts, [NotNullWhen(true)] out EtcdKey? result, [NotNullWhen(false)] out string? problem)
    {
        result = null;
        if (parts.Length < 2)
        {
            problem = $"'{rel}' has no object type after k8s/";
            return false;
        }

        var type = parts[1];
        KeyKind kind;
        switch (type)
        {
            case "pod": kind = KeyKind.Pod; break;
            case "service": kind = KeyKind.Service; break;
            case "endpoints": kind = KeyKind.Endpoints; break;
            case "policy": kind = KeyKind.Policy; break;
            case "namespace": kind = KeyKind.Namespace; break;
            case "node": kind = KeyKind.Node; break;
            case "nodeconfig": kind = KeyKind.NodeConfig; break;
            case "customnetwork": kind = KeyKind.CustomNetwork; break;
            case "external-interface": kind = KeyKind.ExternalInterface; break;
            case "servicefunctionchain": kind = KeyKind.ServiceFunctionChain; break;
            default:
                problem = $"unknown k8s object type '{type}' (expected pod, service, endpoints, policy, namespace, node, nodeconfig, customnetwork, external-interface or servicefunctionchain)";
                return false;
        }

        if (kind is KeyKind.Pod or KeyKind.Service or KeyKind.Endpoints or KeyKind.Policy)
        {
            // The original helper requires exactly 5 '/'-separated parts.
            if (!Expect(parts, 5, NamespacedPattern.Replace("{type}", type, StringComparison.Ordinal), out problem))
            {
                return false;
            }

            if (parts[3] != NamespaceSegment)
            {
                problem = $"segment 4 of '{rel}' must be '{NamespaceSegment}', got '{parts[3]}'";
                return false;
            }

            result = new EtcdKey(kind) { Name = parts[2], Namespace = parts[4] };
            return true;
        }

        if (!Expect(parts, 3, $"k8s/{type}/{{name}}", out problem))
        {
            return false;
        }

        result = new EtcdKey(kind) { Name = parts[2] };
        return true;
    }

    private static bool TryParseSfc(string rel, string[] parts, [NotNullWhen(true)] out EtcdKey? result, [NotNullWhen(false)] out string? problem)
    {
        const string Pattern = "sfc-controller/v2/status/network-pod-to-node-map/{pod}-namespace-{ns}";
        result = null;
        if (!Expect(parts, 5, Pattern, out problem))
        {
            return false;
        }

        if (parts[1] != "v2" || parts[2] != "status" || parts[3] != "network-pod-to-node-map")
        {
            problem = $"expected {Pattern}, got '{rel}'";
            return false;
        }

        var leaf = parts[4];
        var sep = leaf.IndexOf(SfcNamespaceSeparator, StringComparison.Ordinal);
        if (sep <= 0 || sep + SfcNamespaceSeparator.Length >= leaf.Length)
        {
            problem = $"'{leaf}' is not of the form {{pod}}-namespace-{{ns}}";
            return false;
        }

        result = new EtcdKey(KeyKind.Sfc) { Name = leaf[..sep], Namespace = leaf[(sep + SfcNamespaceSeparator.Length)..] };
        return true;
    }

    private static bool Expect(string[] parts, int count, string pattern, [NotNullWhen(false)] out string? problem)
    {
        if (parts.Length == count)
        {
            problem = null;
            return true;
        }

        problem = $"expected {count} segments ({pattern}) but found {parts.Length}";
        return false;
    }

    private static bool IsSegment(string s) => s.Length > 0 && !s.Contains('/', StringComparison.Ordinal);
}
