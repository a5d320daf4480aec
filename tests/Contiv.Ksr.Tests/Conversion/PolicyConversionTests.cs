using System.Text.Json;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Tests.Conversion;

public sealed class PolicyConversionTests
{
    private static V1NetworkPolicy SamplePolicy() => new()
    {
        Metadata = new V1ObjectMeta { Name = "allow-web", NamespaceProperty = "shop", Labels = new Dictionary<string, string> { ["tier"] = "b", ["owner"] = "a" } },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector
            {
                MatchLabels = new Dictionary<string, string> { ["role"] = "db", ["app"] = "web" },
                MatchExpressions = [new V1LabelSelectorRequirement { Key = "env", OperatorProperty = "NotIn", Values = ["dev", "test"] }],
            },
            PolicyTypes = ["Ingress", "Egress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    Ports = [new V1NetworkPolicyPort { Port = 80 }, new V1NetworkPolicyPort { Protocol = "UDP", Port = "dns" }],
                    FromProperty =
                    [
                        new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["role"] = "frontend" } } },
                        new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector() },
                        new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "172.17.0.0/16", Except = ["172.17.1.0/24"] } },
                    ],
                },
            ],
            Egress = [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "x", OperatorProperty = "Exists" }] } }] }],
        },
    };

    [Fact]
    public void Policy_record_has_the_original_field_names_and_values()
    {
        using var doc = JsonDocument.Parse(ProtoJson.Format(PolicyConversion.ToProto(SamplePolicy())));
        var root = doc.RootElement;
        Assert.Equal("allow-web", root.GetProperty("name").GetString());
        Assert.Equal("shop", root.GetProperty("namespace").GetString());
        Assert.Equal(["owner", "tier"], root.GetProperty("label").EnumerateArray().Select(l => l.GetProperty("key").GetString()));
        Assert.Equal("INGRESS_AND_EGRESS", root.GetProperty("policy_type").GetString());

        var pods = root.GetProperty("pods");
        Assert.Equal(["app", "role"], pods.GetProperty("match_label").EnumerateArray().Select(l => l.GetProperty("key").GetString()));
        var expression = Assert.Single(pods.GetProperty("match_expression").EnumerateArray().ToList());
        Assert.Equal("env", expression.GetProperty("key").GetString());
        Assert.Equal("NOT_IN", expression.GetProperty("operator").GetString());
        Assert.Equal(["dev", "test"], expression.GetProperty("value").EnumerateArray().Select(v => v.GetString()));

        var ingress = Assert.Single(root.GetProperty("ingress_rule").EnumerateArray().ToList());
        var ports = ingress.GetProperty("port").EnumerateArray().ToList();
        Assert.False(ports[0].TryGetProperty("protocol", out _)); // TCP default
        Assert.Equal(80, ports[0].GetProperty("port").GetProperty("number").GetInt32());
        Assert.Equal("UDP", ports[1].GetProperty("protocol").GetString());
        Assert.Equal("NAME", ports[1].GetProperty("port").GetProperty("type").GetString());
        Assert.Equal("dns", ports[1].GetProperty("port").GetProperty("name").GetString());

        var from = ingress.GetProperty("from").EnumerateArray().ToList();
        Assert.Equal(3, from.Count);
        Assert.Equal("frontend", from[0].GetProperty("pods").GetProperty("match_label")[0].GetProperty("value").GetString());
        Assert.False(from[0].TryGetProperty("namespaces", out _));
        Assert.Equal(JsonValueKind.Object, from[1].GetProperty("namespaces").ValueKind); // empty selector kept = all namespaces
        Assert.False(from[1].TryGetProperty("pods", out _));
        Assert.Equal("172.17.0.0/16", from[2].GetProperty("ip_block").GetProperty("cidr").GetString());
        Assert.Equal(["172.17.1.0/24"], from[2].GetProperty("ip_block").GetProperty("except").EnumerateArray().Select(v => v.GetString()));

        var egress = Assert.Single(root.GetProperty("egress_rule").EnumerateArray().ToList());
        var to = Assert.Single(egress.GetProperty("to").EnumerateArray().ToList());
        Assert.Equal("EXISTS", to.GetProperty("pods").GetProperty("match_expression")[0].GetProperty("operator").GetString());
    }

    [Theory]
    [InlineData(null, Policy.Types.PolicyType.Default)]
    [InlineData(new[] { "Ingress" }, Policy.Types.PolicyType.Ingress)]
    [InlineData(new[] { "Egress" }, Policy.Types.PolicyType.Egress)]
    [InlineData(new[] { "Egress", "Ingress" }, Policy.Types.PolicyType.IngressAndEgress)]
    public void Policy_type_follows_policyTypes(string[]? types, Policy.Types.PolicyType expected)
    {
        var policy = SamplePolicy();
        policy.Spec.PolicyTypes = types;
        Assert.Equal(expected, PolicyConversion.ToProto(policy).PolicyType);
    }

    [Fact]
    public void Empty_pod_selector_stays_present_as_select_all()
    {
        var policy = SamplePolicy();
        policy.Spec.PodSelector = new V1LabelSelector();
        Assert.Contains("\"pods\":{}", ProtoJson.Format(PolicyConversion.ToProto(policy)), StringComparison.Ordinal);
    }

    [Fact]
    public void Sctp_ports_and_end_port_ranges_are_carried()
    {
        var policy = SamplePolicy();
        policy.Spec.Ingress[0].Ports =
        [
            new V1NetworkPolicyPort { Protocol = "SCTP", Port = 9 },
            new V1NetworkPolicyPort { Protocol = "TCP", Port = 32000, EndPort = 32768 },
        ];
        var json = ProtoJson.Format(PolicyConversion.ToProto(policy));
        Assert.Contains("{\"port\":{\"number\":9},\"protocol\":\"SCTP\"}", json, StringComparison.Ordinal);
        Assert.Contains("{\"port\":{\"number\":32000},\"end_port\":32768}", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http", 8080, "endPort 8080 needs a numeric port")]
    [InlineData("80", 79, "endPort 79 is not between port 80 and 65535")]
    [InlineData("80", 70000, "endPort 70000 is not between port 80 and 65535")]
    public void End_port_without_a_numeric_port_or_out_of_range_is_rejected(string port, int endPort, string message)
    {
        var policy = SamplePolicy();
        policy.Spec.Ingress[0].Ports = [new V1NetworkPolicyPort { Port = int.TryParse(port, out var n) ? n : port, EndPort = endPort }];
        var e = Assert.Throws<ConversionException>(() => PolicyConversion.ToProto(policy));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_operator_is_rejected_naming_policy_and_value()
    {
        var policy = SamplePolicy();
        policy.Spec.PodSelector.MatchExpressions[0].OperatorProperty = "Near";
        var e = Assert.Throws<ConversionException>(() => PolicyConversion.ToProto(policy));
        Assert.Contains("shop/allow-web", e.Message, StringComparison.Ordinal);
        Assert.Contains("Near", e.Message, StringComparison.Ordinal);
    }
}
