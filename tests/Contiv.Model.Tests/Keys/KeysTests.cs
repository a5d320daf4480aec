namespace Contiv.Model.Tests;

public sealed class KeysTests
{
    // One sample per key pattern: the record and the exact key SPEC §1.2 prescribes.
    public static TheoryData<EtcdKey, string> Samples() => new()
    {
        { new EtcdKey(KeyKind.Namespace) { Name = "kube-system" }, "/vnf-agent/contiv-ksr/k8s/namespace/kube-system" },
        { new EtcdKey(KeyKind.Pod) { Name = "web-1", Namespace = "default" }, "/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default" },
        { new EtcdKey(KeyKind.Service) { Name = "kubernetes", Namespace = "default" }, "/vnf-agent/contiv-ksr/k8s/service/kubernetes/namespace/default" },
        { new EtcdKey(KeyKind.Endpoints) { Name = "kube-dns", Namespace = "kube-system" }, "/vnf-agent/contiv-ksr/k8s/endpoints/kube-dns/namespace/kube-system" },
        { new EtcdKey(KeyKind.Policy) { Name = "deny-all", Namespace = "prod" }, "/vnf-agent/contiv-ksr/k8s/policy/deny-all/namespace/prod" },
        { new EtcdKey(KeyKind.Node) { Name = "k8s-master" }, "/vnf-agent/contiv-ksr/k8s/node/k8s-master" },
        { new EtcdKey(KeyKind.Sfc) { Name = "vnf1", Namespace = "default" }, "/vnf-agent/contiv-ksr/sfc-controller/v2/status/network-pod-to-node-map/vnf1-namespace-default" },
        { new EtcdKey(KeyKind.KsrStats), "/vnf-agent/contiv-ksr/status/gauges" },
        { new EtcdKey(KeyKind.NodeConfig) { Name = "k8s-worker1" }, "/vnf-agent/contiv-ksr/k8s/nodeconfig/k8s-worker1" },
        { new EtcdKey(KeyKind.CustomNetwork) { Name = "l2net" }, "/vnf-agent/contiv-ksr/k8s/customnetwork/l2net" },
        { new EtcdKey(KeyKind.ExternalInterface) { Name = "vlan-if" }, "/vnf-agent/contiv-ksr/k8s/external-interface/vlan-if" },
        { new EtcdKey(KeyKind.ServiceFunctionChain) { Name = "chain1" }, "/vnf-agent/contiv-ksr/k8s/servicefunctionchain/chain1" },
        { new EtcdKey(KeyKind.VppNode) { NodeId = 3 }, "/vnf-agent/contiv-ksr/allocatedIDs/3" },
        { new EtcdKey(KeyKind.VppNode) { NodeId = uint.MaxValue }, "/vnf-agent/contiv-ksr/allocatedIDs/4294967295" },
        { new EtcdKey(KeyKind.CustomIpam) { Name = "cnf-1", Namespace = "default" }, "/vnf-agent/contiv-ksr/custom-ipam/cnf-1/default" },
        { new EtcdKey(KeyKind.IdAllocPool) { Name = "vni" }, "/vnf-agent/contiv-ksr/idalloc/vni" },
        { new EtcdKey(KeyKind.AgentConfig) { Label = "k8s-worker1", Path = "config/vpp/v2/interfaces/loop1" }, "/vnf-agent/k8s-worker1/config/vpp/v2/interfaces/loop1" },
        { new EtcdKey(KeyKind.AgentConfig) { Label = "cnf-label", Path = "config/vpp/nat/v2/nat44-global" }, "/vnf-agent/cnf-label/config/vpp/nat/v2/nat44-global" },
        { new EtcdKey(KeyKind.KsrElection), "/contiv-ksr/election" },
        { new EtcdKey(KeyKind.KsrElection) { Name = "694d7e1f2a3b4c01" }, "/contiv-ksr/election/694d7e1f2a3b4c01" },
        { new EtcdKey(KeyKind.EtcdProbe), "/probe-etcd-connection" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Build_produces_the_exact_spec_key(EtcdKey key, string expected)
    {
        Assert.Equal(expected, Keys.Build(key));
        Assert.Equal(expected, key.ToKey());
        Assert.Equal(expected, key.ToString());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_returns_the_same_fields_the_key_was_built_from(EtcdKey key, string text)
    {
        var parsed = Keys.Parse(text);

        Assert.Equal(key, parsed);
        Assert.Equal(text, parsed.ToKey());
        Assert.True(Keys.TryParse(text, out var tried));
        Assert.Equal(key, tried);
    }

    [Fact]
    public void Every_key_kind_has_a_round_trip_sample()
    {
        var covered = Samples().Select(row => ((EtcdKey)row[0]).Kind).ToHashSet();

        Assert.Equal(Enum.GetValues<KeyKind>().ToHashSet(), covered);
    }

    [Fact]
    public void Typed_builders_match_the_spec_patterns()
    {
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default", Keys.Pod("web-1", "default"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/service/web/namespace/default", Keys.Service("web", "default"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/endpoints/web/namespace/default", Keys.Endpoints("web", "default"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/policy/p1/namespace/default", Keys.Policy("p1", "default"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/namespace/default", Keys.Namespace("default"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/node/n1", Keys.Node("n1"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/nodeconfig/n1", Keys.NodeConfig("n1"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/customnetwork/net1", Keys.CustomNetwork("net1"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/external-interface/e1", Keys.ExternalInterface("e1"));
        Assert.Equal("/vnf-agent/contiv-ksr/k8s/servicefunctionchain/c1", Keys.ServiceFunctionChain("c1"));
        Assert.Equal("/vnf-agent/contiv-ksr/sfc-controller/v2/status/network-pod-to-node-map/p-namespace-ns", Keys.Sfc("p", "ns"));
        Assert.Equal("/vnf-agent/contiv-ksr/allocatedIDs/12", Keys.VppNode(12));
        Assert.Equal("/vnf-agent/contiv-ksr/custom-ipam/p/ns", Keys.CustomIpam("p", "ns"));
        Assert.Equal("/vnf-agent/contiv-ksr/idalloc/vrf", Keys.IdAllocPool(Keys.VrfPool));
        Assert.Equal("/vnf-agent/n1/", Keys.AgentPrefix("n1"));
        Assert.Equal("/vnf-agent/n1/config/", Keys.AgentConfigPrefix("n1"));
        Assert.Equal("/vnf-agent/n1/config/vpp/v2/route/x", Keys.AgentConfig("n1", "config/vpp/v2/route/x"));
        Assert.Equal("/vnf-agent/contiv-ksr/", Keys.KsrPrefix);
        Assert.Equal(Keys.KsrPrefix, Keys.AgentPrefix(Keys.KsrLabel));
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "/vnf-agent/contiv-ksr/k8s/pod/web-1", "expected 5 segments" },
        { "/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default/extra", "expected 5 segments" },
        { "/vnf-agent/contiv-ksr/k8s/pod/web-1/ns/default", "segment 4 of 'k8s/pod/web-1/ns/default' must be 'namespace', got 'ns'" },
        { "/vnf-agent/contiv-ksr/k8s/pod//namespace/default", "segment 3 of 'k8s/pod//namespace/default' is empty" },
        { "/vnf-agent/contiv-ksr/k8s/namespace/default/pod/web-1", "expected 3 segments (k8s/namespace/{name})" },
        { "/vnf-agent/contiv-ksr/k8s/widget/x", "unknown k8s object type 'widget'" },
        { "/vnf-agent/contiv-ksr/k8s", "has no object type" },
        { "/vnf-agent/contiv-ksr/k8s/node/", "is empty" },
        { "/vnf-agent/contiv-ksr/allocatedIDs/0", "node ID '0' is not a positive decimal integer" },
        { "/vnf-agent/contiv-ksr/allocatedIDs/07", "node ID '07' is not a positive decimal integer" },
        { "/vnf-agent/contiv-ksr/allocatedIDs/-1", "node ID '-1'" },
        { "/vnf-agent/contiv-ksr/allocatedIDs/4294967296", "node ID '4294967296'" },
        { "/vnf-agent/contiv-ksr/allocatedIDs/node1", "node ID 'node1'" },
        { "/vnf-agent/contiv-ksr/custom-ipam/pod-only", "expected 3 segments (custom-ipam/{podName}/{podNamespace})" },
        { "/vnf-agent/contiv-ksr/idalloc/vni/extra", "expected 2 segments (idalloc/{pool})" },
        { "/vnf-agent/contiv-ksr/status/other", "the only status key is status/gauges" },
        { "/vnf-agent/contiv-ksr/sfc-controller/v2/status/network-pod-to-node-map/vnf1", "'vnf1' is not of the form {pod}-namespace-{ns}" },
        { "/vnf-agent/contiv-ksr/sfc-controller/v1/status/network-pod-to-node-map/a-namespace-b", "expected sfc-controller/v2/" },
        { "/vnf-agent/contiv-ksr/bogus/x", "unknown resource 'bogus'" },
        { "/vnf-agent/node1/status", "only 'config/...' keys exist" },
        { "/vnf-agent/node1/config/", "has nothing after 'config/'" },
        { "/vnf-agent/node1/config/vpp//x", "has an empty segment" },
        { "/vnf-agent//config/vpp/v2/x", "empty agent label" },
        { "/vnf-agent/", "empty agent label" },
        { "/vnf-agent/node1", "nothing after the label 'node1'" },
        { "vnf-agent/contiv-ksr/k8s/node/n1", "does not start with /vnf-agent/" },
        { "/registry/pods/default/web-1", "does not start with /vnf-agent/" },
        { "", "does not start with /vnf-agent/" },
        { "/contiv-ksr/election/a/b", "one non-empty segment" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_rejects_a_malformed_key_naming_the_key_and_the_problem(string key, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => Keys.Parse(key));

        Assert.StartsWith($"etcd key '{key}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.False(Keys.TryParse(key, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void TryParse_of_null_is_false()
    {
        Assert.False(Keys.TryParse(null, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void Builders_reject_empty_and_slash_containing_segments()
    {
        var empty = Assert.Throws<ArgumentException>(() => Keys.Pod("", "default"));
        Assert.Equal("name", empty.ParamName);
        Assert.Contains("must not be empty", empty.Message, StringComparison.Ordinal);

        var slash = Assert.Throws<ArgumentException>(() => Keys.Pod("web-1", "a/b"));
        Assert.Equal("ns", slash.ParamName);
        Assert.Contains("'a/b' must not contain '/'", slash.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentNullException>(() => Keys.Node(null!));
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => Keys.VppNode(0));
        Assert.Contains("at least 1", zero.Message, StringComparison.Ordinal);

        var config = Assert.Throws<ArgumentException>(() => Keys.AgentConfig("node1", "vpp/v2/interfaces/x"));
        Assert.Contains("'vpp/v2/interfaces/x' does not start with 'config/'", config.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Keys.Build(new EtcdKey(KeyKind.Service) { Name = "web" }));
    }

    [Fact]
    public void ToString_of_an_invalid_record_describes_it_instead_of_throwing()
    {
        var text = new EtcdKey(KeyKind.Pod) { Name = "web-1" }.ToString();

        Assert.Contains("invalid Pod key", text, StringComparison.Ordinal);
        Assert.Contains("must not be empty", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ksr_relative_keys_parse_like_the_agent_sees_them()
    {
        var full = Keys.Pod("web-1", "default");
        var relative = Keys.KsrRelative(full);

        Assert.Equal("k8s/pod/web-1/namespace/default", relative);
        Assert.Equal(new EtcdKey(KeyKind.Pod) { Name = "web-1", Namespace = "default" }, Keys.ParseKsrRelative(relative));
        Assert.Equal(new EtcdKey(KeyKind.VppNode) { NodeId = 2 }, Keys.ParseKsrRelative("allocatedIDs/2"));

        var notKsr = Assert.Throws<FormatException>(() => Keys.KsrRelative("/vnf-agent/node1/config/x"));
        Assert.Contains("'/vnf-agent/node1/config/x' is not under the KSR prefix", notKsr.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<FormatException>(() => Keys.ParseKsrRelative("k8s/pod/web-1"));
        Assert.Contains("etcd key 'k8s/pod/web-1' (relative to /vnf-agent/contiv-ksr/)", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_prefixes_select_exactly_their_own_kind()
    {
        var prefixes = new (string Prefix, KeyKind Kind)[]
        {
            (Keys.NamespacePrefix, KeyKind.Namespace), (Keys.PodPrefix, KeyKind.Pod),
            (Keys.ServicePrefix, KeyKind.Service), (Keys.EndpointsPrefix, KeyKind.Endpoints),
            (Keys.PolicyPrefix, KeyKind.Policy), (Keys.NodePrefix, KeyKind.Node),
            (Keys.NodeConfigPrefix, KeyKind.NodeConfig), (Keys.CustomNetworkPrefix, KeyKind.CustomNetwork),
            (Keys.ExternalInterfacePrefix, KeyKind.ExternalInterface),
            (Keys.ServiceFunctionChainPrefix, KeyKind.ServiceFunctionChain), (Keys.SfcPrefix, KeyKind.Sfc),
            (Keys.VppNodePrefix, KeyKind.VppNode), (Keys.CustomIpamPrefix, KeyKind.CustomIpam),
            (Keys.IdAllocPrefix, KeyKind.IdAllocPool),
        };
        var keys = Samples().Select(row => (Key: (string)row[1], ((EtcdKey)row[0]).Kind)).ToList();

        foreach (var (prefix, kind) in prefixes)
        {
            var selected = keys.Where(k => k.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k.Kind).Distinct();
            Assert.Equal([kind], selected);
        }

        // k8s/node/ must not pick up k8s/nodeconfig/ (and vice versa).
        Assert.False(Keys.NodeConfig("n1").StartsWith(Keys.NodePrefix, StringComparison.Ordinal));
        Assert.StartsWith(Keys.KsrPrefix, Keys.Pod("a", "b"), StringComparison.Ordinal);
        Assert.StartsWith(Keys.AgentPrefix("n1"), Keys.AgentConfig("n1", "config/x"), StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_resources_map_keywords_to_prefixes_of_their_kind()
    {
        Assert.Equal(13, Keys.AgentResources.Count);
        foreach (var (keyword, relativePrefix, kind) in Keys.AgentResources)
        {
            var sample = Samples().Select(row => (EtcdKey)row[0]).First(k => k.Kind == kind);
            var key = sample.ToKey();

            Assert.StartsWith(Keys.KsrPrefix + relativePrefix, key, StringComparison.Ordinal);
            Assert.Equal(kind, Keys.ParseKsrRelative(Keys.KsrRelative(key)).Kind);
            Assert.False(string.IsNullOrEmpty(keyword));
        }
    }
}
