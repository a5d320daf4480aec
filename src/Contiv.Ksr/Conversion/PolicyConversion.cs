using System.Globalization;
using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>Kubernetes NetworkPolicy (networking.k8s.io/v1) → KSR <c>policy.Policy</c> record (SPEC §1.3).</summary>
internal static class PolicyConversion
{
    /// <summary>
    /// Converts a network policy: labels sorted by key, the pod selector (match labels sorted by
    /// key, match expressions with their operator), the policy type from <c>spec.policyTypes</c>
    /// (DEFAULT when absent), and the ingress/egress rules with ports (protocol TCP when absent,
    /// number or name) and peers (pods, namespaces, IP block).
    /// </summary>
    /// <remarks>
    /// A selector that is present but empty (<c>{}</c>, "everything") stays present in the record
    /// (<c>"pods":{}</c>); an absent one stays absent. A port whose protocol the record cannot
    /// express (SCTP) is left out; a rule all of whose ports are such is left out entirely, because
    /// a rule without ports would allow every port.
    /// </remarks>
    /// <param name="policy">The Kubernetes network policy.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">No name or namespace, or a selector operator or port that is not valid.</exception>
    public static Policy ToProto(V1NetworkPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var name = Metadata.Name(policy.Metadata, "networkpolicy");
        var ns = Metadata.Namespace(policy.Metadata, "networkpolicy");
        var what = $"networkpolicy {ns}/{name}";
        var result = new Policy { Name = name, Namespace = ns };
        foreach (var (key, value) in Metadata.SortedLabels(policy.Metadata.Labels))
        {
            result.Label.Add(new Policy.Types.Label { Key = key, Value = value });
        }

        var spec = policy.Spec;
        result.Pods = Selector(spec?.PodSelector, what + " podSelector") ?? new Policy.Types.LabelSelector();
        result.PolicyType = PolicyType(spec?.PolicyTypes, what);

        foreach (var rule in spec?.Ingress ?? [])
        {
            var ports = Ports(rule.Ports, what + " ingress");
            var r = new Policy.Types.IngressRule();
            r.Port.AddRange(ports);
            foreach (var peer in rule.FromProperty ?? [])
            {
                r.From.Add(Peer(peer, what + " ingress from"));
            }

            result.IngressRule.Add(r);
        }

        foreach (var rule in spec?.Egress ?? [])
        {
            var ports = Ports(rule.Ports, what + " egress");
            var r = new Policy.Types.EgressRule();
            r.Port.AddRange(ports);
            foreach (var peer in rule.To ?? [])
            {
                r.To.Add(Peer(peer, what + " egress to"));
            }

            result.EgressRule.Add(r);
        }

        return result;
    }

    private static Policy.Types.PolicyType PolicyType(IList<string>? types, string what)
    {
        if (types is null || types.Count == 0)
        {
            return Policy.Types.PolicyType.Default;
        }

        bool ingress = false, egress = false;
        foreach (var t in types)
        {
            switch (t)
            {
                case "Ingress":
                    ingress = true;
                    break;
                case "Egress":
                    egress = true;
                    break;
                default:
                    throw new ConversionException($"{what}: policyTypes entry \"{t}\" is neither Ingress nor Egress");
            }
        }

        return (ingress, egress) switch
        {
            (true, true) => Policy.Types.PolicyType.IngressAndEgress,
            (true, false) => Policy.Types.PolicyType.Ingress,
            _ => Policy.Types.PolicyType.Egress,
        };
    }

    private static Policy.Types.LabelSelector? Selector(V1LabelSelector? selector, string what)
    {
        if (selector is null)
        {
            return null;
        }

        var result = new Policy.Types.LabelSelector();
        foreach (var (key, value) in Metadata.SortedLabels(selector.MatchLabels))
        {
            result.MatchLabel.Add(new Policy.Types.Label { Key = key, Value = value });
        }

        foreach (var e in selector.MatchExpressions ?? [])
        {
            var expression = new Policy.Types.LabelSelector.Types.LabelExpression
            {
                Key = e.Key ?? string.Empty,
                Operator = e.OperatorProperty switch
                {
                    "In" => Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.In,
                    "NotIn" => Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.NotIn,
                    "Exists" => Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.Exists,
                    "DoesNotExist" => Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.DoesNotExist,
                    _ => throw new ConversionException($"{what}: matchExpressions operator \"{e.OperatorProperty}\" (key {e.Key}) is not In, NotIn, Exists or DoesNotExist"),
                },
            };
            expression.Value.AddRange(e.Values ?? []);
            result.MatchExpression.Add(expression);
        }

        return result;
    }

    private static List<Policy.Types.Port> Ports(IList<V1NetworkPolicyPort>? ports, string what)
    {
        var result = new List<Policy.Types.Port>();
        if (ports is null || ports.Count == 0)
        {
            return result;
        }

        foreach (var p in ports)
        {
            Policy.Types.Port.Types.Protocol protocol;
            switch (p.Protocol)
            {
                case null or "" or "TCP":
                    protocol = Policy.Types.Port.Types.Protocol.Tcp;
                    break;
                case "UDP":
                    protocol = Policy.Types.Port.Types.Protocol.Udp;
                    break;
                case "SCTP":
                    protocol = Policy.Types.Port.Types.Protocol.Sctp;
                    break;
                default:
                    throw new ConversionException($"{what}: port protocol \"{p.Protocol}\" is not TCP, UDP or SCTP");
            }

            var port = new Policy.Types.Port { Protocol = protocol };
            if (p.Port?.Value is { Length: > 0 } value)
            {
                port.Port_ = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                    ? number is >= 0 and <= 65535
                        ? new Policy.Types.Port.Types.PortNameOrNumber { Type = Policy.Types.Port.Types.PortNameOrNumber.Types.Type.Number, Number = (int)number }
                        : throw new ConversionException($"{what}: port {value} is outside 0-65535")
                    : new Policy.Types.Port.Types.PortNameOrNumber { Type = Policy.Types.Port.Types.PortNameOrNumber.Types.Type.Name, Name = value };
            }

            if (p.EndPort is { } end)
            {
                if (port.Port_ is not { Type: Policy.Types.Port.Types.PortNameOrNumber.Types.Type.Number } start)
                {
                    throw new ConversionException($"{what}: endPort {end} needs a numeric port");
                }

                if (end < start.Number || end > 65535)
                {
                    throw new ConversionException($"{what}: endPort {end} is not between port {start.Number} and 65535");
                }

                port.EndPort = end;
            }

            result.Add(port);
        }

        return result;
    }

    private static Policy.Types.Peer Peer(V1NetworkPolicyPeer peer, string what)
    {
        var result = new Policy.Types.Peer
        {
            Pods = Selector(peer.PodSelector, what + " podSelector"),
            Namespaces = Selector(peer.NamespaceSelector, what + " namespaceSelector"),
        };
        if (peer.IpBlock is { } block)
        {
            result.IpBlock = new Policy.Types.Peer.Types.IPBlock { Cidr = block.Cidr ?? string.Empty };
            result.IpBlock.Except.AddRange(block.Except ?? []);
        }

        return result;
    }
}
