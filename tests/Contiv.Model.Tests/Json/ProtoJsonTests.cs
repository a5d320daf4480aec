using System.Text;
using Contiv.Model.Cni;
using Contiv.Model.Crd;
using Contiv.Model.IdAlloc;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Google.Protobuf;

namespace Contiv.Model.Tests;

public sealed class ProtoJsonTests
{
    // Hand-written from SPEC §1.3's Pod field list: snake_case names, enum names, TCP (=0) omitted.
    private const string PodJson = """
        {
          "name": "web-1",
          "namespace": "default",
          "label": [ { "key": "app", "value": "web" } ],
          "ip_address": "10.1.1.2",
          "host_ip_address": "192.168.16.1",
          "container": [
            {
              "name": "nginx",
              "port": [
                { "name": "http", "container_port": 80 },
                { "name": "dns", "host_port": 5353, "container_port": 53, "protocol": "UDP", "host_ip_address": "0.0.0.0" }
              ]
            }
          ],
          "annotations": { "contivpp.io/custom-if": "memif1/memif" },
          "labels": { "app": "web" }
        }
        """;

    private const string ServiceJson = """
        {
          "name": "web",
          "namespace": "default",
          "port": [
            { "name": "http", "protocol": "TCP", "port": 80, "target_port": { "int_val": 8080 }, "node_port": 30080 },
            { "name": "metrics", "protocol": "TCP", "port": 9100, "target_port": { "type": "STRING", "string_val": "metrics" } }
          ],
          "selector": { "app": "web" },
          "cluster_ip": "10.96.0.10",
          "service_type": "NodePort",
          "external_ips": [ "192.168.16.100" ],
          "lb_ingress_ips": [ "192.168.16.200" ],
          "session_affinity": "ClientIP",
          "loadbalancer_ip": "192.168.16.200",
          "loadbalancer_source_ranges": [ "192.168.0.0/16" ],
          "external_traffic_policy": "Local",
          "health_check_node_port": 31000,
          "session_affinity_timeout": 10800,
          "annotations": { "contivpp.io/service-endpoint-if": "memif1" }
        }
        """;

    private const string PolicyJson = """
        {
          "name": "allow-web",
          "namespace": "prod",
          "label": [ { "key": "team", "value": "a" } ],
          "pods": {
            "match_label": [ { "key": "app", "value": "web" } ],
            "match_expression": [ { "key": "tier", "operator": "NOT_IN", "value": [ "db", "cache" ] } ]
          },
          "policy_type": "INGRESS_AND_EGRESS",
          "ingress_rule": [
            {
              "port": [
                { "port": { "number": 80 } },
                { "protocol": "UDP", "port": { "type": "NAME", "name": "dns" } }
              ],
              "from": [
                { "pods": { "match_label": [ { "key": "role", "value": "frontend" } ] } },
                { "namespaces": {} },
                { "ip_block": { "cidr": "172.17.0.0/16", "except": [ "172.17.1.0/24" ] } }
              ]
            }
          ],
          "egress_rule": [
            { "to": [ { "namespaces": { "match_expression": [ { "key": "env", "operator": "EXISTS" } ] } } ] }
          ]
        }
        """;

    private static Pod SamplePod()
    {
        var pod = new Pod
        {
            Name = "web-1",
            Namespace = "default",
            IpAddress = "10.1.1.2",
            HostIpAddress = "192.168.16.1",
            Label = { new Pod.Types.Label { Key = "app", Value = "web" } },
            Container =
            {
                new Pod.Types.Container
                {
                    Name = "nginx",
                    Port =
                    {
                        new Pod.Types.Container.Types.Port { Name = "http", ContainerPort = 80 },
                        new Pod.Types.Container.Types.Port
                        {
                            Name = "dns", HostPort = 5353, ContainerPort = 53,
                            Protocol = Pod.Types.Container.Types.Port.Types.Protocol.Udp, HostIpAddress = "0.0.0.0",
                        },
                    },
                },
            },
        };
        pod.Annotations.Add("contivpp.io/custom-if", "memif1/memif");
        pod.Labels.Add("app", "web");
        return pod;
    }

    private static Service SampleService()
    {
        var svc = new Service
        {
            Name = "web",
            Namespace = "default",
            Port =
            {
                new Service.Types.ServicePort
                {
                    Name = "http", Protocol = "TCP", Port = 80, NodePort = 30080,
                    TargetPort = new Service.Types.ServicePort.Types.IntOrString { IntVal = 8080 },
                },
                new Service.Types.ServicePort
                {
                    Name = "metrics", Protocol = "TCP", Port = 9100,
                    TargetPort = new Service.Types.ServicePort.Types.IntOrString
                    {
                        Type = Service.Types.ServicePort.Types.IntOrString.Types.Type.String, StringVal = "metrics",
                    },
                },
            },
            ClusterIp = "10.96.0.10",
            ServiceType = "NodePort",
            ExternalIps = { "192.168.16.100" },
            LbIngressIps = { "192.168.16.200" },
            SessionAffinity = "ClientIP",
            LoadbalancerIp = "192.168.16.200",
            LoadbalancerSourceRanges = { "192.168.0.0/16" },
            ExternalTrafficPolicy = "Local",
            HealthCheckNodePort = 31000,
            SessionAffinityTimeout = 10800,
        };
        svc.Selector.Add("app", "web");
        svc.Annotations.Add("contivpp.io/service-endpoint-if", "memif1");
        return svc;
    }

    private static Policy SamplePolicy()
    {
        static Policy.Types.Label L(string k, string v) => new() { Key = k, Value = v };
        return new Policy
        {
            Name = "allow-web",
            Namespace = "prod",
            Label = { L("team", "a") },
            Pods = new Policy.Types.LabelSelector
            {
                MatchLabel = { L("app", "web") },
                MatchExpression =
                {
                    new Policy.Types.LabelSelector.Types.LabelExpression
                    {
                        Key = "tier", Operator = Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.NotIn,
                        Value = { "db", "cache" },
                    },
                },
            },
            PolicyType = Policy.Types.PolicyType.IngressAndEgress,
            IngressRule =
            {
                new Policy.Types.IngressRule
                {
                    Port =
                    {
                        new Policy.Types.Port { Port_ = new Policy.Types.Port.Types.PortNameOrNumber { Number = 80 } },
                        new Policy.Types.Port
                        {
                            Protocol = Policy.Types.Port.Types.Protocol.Udp,
                            Port_ = new Policy.Types.Port.Types.PortNameOrNumber
                            {
                                Type = Policy.Types.Port.Types.PortNameOrNumber.Types.Type.Name, Name = "dns",
                            },
                        },
                    },
                    From =
                    {
                        new Policy.Types.Peer { Pods = new Policy.Types.LabelSelector { MatchLabel = { L("role", "frontend") } } },
                        new Policy.Types.Peer { Namespaces = new Policy.Types.LabelSelector() },
                        new Policy.Types.Peer
                        {
                            IpBlock = new Policy.Types.Peer.Types.IPBlock { Cidr = "172.17.0.0/16", Except = { "172.17.1.0/24" } },
                        },
                    },
                },
            },
            EgressRule =
            {
                new Policy.Types.EgressRule
                {
                    To =
                    {
                        new Policy.Types.Peer
                        {
                            Namespaces = new Policy.Types.LabelSelector
                            {
                                MatchExpression =
                                {
                                    new Policy.Types.LabelSelector.Types.LabelExpression
                                    {
                                        Key = "env", Operator = Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.Exists,
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };
    }

    [Fact]
    public void Pod_is_written_with_original_field_names_and_enum_names()
    {
        JsonAssert.Equivalent(PodJson, ProtoJson.Format(SamplePod()));
    }

    [Fact]
    public void Service_is_written_with_original_field_names_and_enum_names()
    {
        JsonAssert.Equivalent(ServiceJson, ProtoJson.Format(SampleService()));
    }

    [Fact]
    public void Policy_is_written_with_original_field_names_and_enum_names_keeping_empty_selectors()
    {
        JsonAssert.Equivalent(PolicyJson, ProtoJson.Format(SamplePolicy()));
    }

    [Fact]
    public void Hand_written_spec_json_parses_into_the_same_messages()
    {
        Assert.Equal(SamplePod(), ProtoJson.Parse<Pod>(PodJson));
        Assert.Equal(SampleService(), ProtoJson.Parse<Service>(ServiceJson));
        var policy = ProtoJson.Parse<Policy>(PolicyJson);
        Assert.Equal(SamplePolicy(), policy);
        // "namespaces": {} (select all namespaces) must stay distinguishable from an absent selector.
        Assert.NotNull(policy.IngressRule[0].From[1].Namespaces);
        Assert.Null(policy.IngressRule[0].From[0].Namespaces);
    }

    [Fact]
    public void Node_keeps_its_mixed_case_original_names()
    {
        var node = new Node
        {
            Name = "k8s-master",
            PodCIDR = "10.1.1.0/24",
            ProviderID = "lab://k8s-master",
            Addresses =
            {
                new NodeAddress { Type = NodeAddress.Types.AddressType.NodeInternalIp, Address = "192.168.16.1" },
                new NodeAddress { Type = NodeAddress.Types.AddressType.NodeHostName, Address = "k8s-master" },
            },
            NodeInfo = new NodeSystemInfo { MachineID = "m1", SystemUUID = "u1", BootID = "b1", KubeProxyVersion = "v1.30.0", OperatingSystem = "linux", Architecture = "amd64" },
        };

        JsonAssert.Equivalent(
            """
            {
              "name": "k8s-master", "pod_CIDR": "10.1.1.0/24", "provider_ID": "lab://k8s-master",
              "addresses": [ { "type": "NodeInternalIP", "address": "192.168.16.1" }, { "type": "NodeHostName", "address": "k8s-master" } ],
              "node_info": { "machine_ID": "m1", "system_UUID": "u1", "boot_ID": "b1", "KubeProxyVersion": "v1.30.0",
                             "OperatingSystem": "linux", "Architecture": "amd64" }
            }
            """,
            ProtoJson.Format(node));
    }

    [Fact]
    public void Sixty_four_bit_counters_are_written_as_strings_and_read_from_strings_or_numbers()
    {
        var stats = new Stats { PodStats = new KsrStats { Adds = 3, Updates = 0, ResErrors = 12345678901234 } };

        JsonAssert.Equivalent("""{ "podStats": { "Adds": "3", "ResErrors": "12345678901234" } }""", ProtoJson.Format(stats));
        Assert.Equal(stats, ProtoJson.Parse<Stats>("""{ "podStats": { "Adds": 3, "ResErrors": "12345678901234" } }"""));
    }

    [Fact]
    public void Default_values_are_omitted()
    {
        Assert.Equal("""{"name":"a"}""", ProtoJson.Format(new Pod { Name = "a" }));
        Assert.Equal("{}", ProtoJson.Format(new VppNode()));
    }

    [Fact]
    public void Output_is_compact_like_go_jsonpb_but_strings_keep_their_whitespace()
    {
        var pod = new Pod { Name = "a b", Namespace = "q\"uo te\\ \t", Labels = { ["k k"] = " v " } };

        var json = ProtoJson.Format(pod);

        Assert.Equal("{\"name\":\"a b\",\"namespace\":\"q\\\"uo te\\\\ \\t\",\"labels\":{\"k k\":\" v \"}}", json);
        Assert.Equal(pod, ProtoJson.Parse<Pod>(json));
    }

    [Fact]
    public void LowerCamel_names_parse_like_the_original_names()
    {
        var camel = ProtoJson.Parse<Pod>("""
            { "name": "web-1", "namespace": "default", "ipAddress": "10.1.1.2", "hostIpAddress": "192.168.16.1",
              "container": [ { "name": "nginx", "port": [ { "containerPort": 53, "hostPort": 5353, "protocol": "UDP", "hostIpAddress": "0.0.0.0", "name": "dns" } ] } ] }
            """);

        Assert.Equal("10.1.1.2", camel.IpAddress);
        Assert.Equal("192.168.16.1", camel.HostIpAddress);
        var port = camel.Container[0].Port[0];
        Assert.Equal(53, port.ContainerPort);
        Assert.Equal(5353, port.HostPort);
        Assert.Equal("0.0.0.0", port.HostIpAddress);

        var node = ProtoJson.Parse<Node>("""{ "podCIDR": "10.1.2.0/24", "providerID": "p", "nodeInfo": { "machineID": "m", "kernelVersion": "6.1" } }""");
        Assert.Equal("10.1.2.0/24", node.PodCIDR);
        Assert.Equal("p", node.ProviderID);
        Assert.Equal("m", node.NodeInfo.MachineID);
        Assert.Equal("6.1", node.NodeInfo.KernelVersion);

        var policy = ProtoJson.Parse<Policy>("""{ "policyType": "EGRESS", "egressRule": [ { "to": [ { "ipBlock": { "cidr": "10.0.0.0/8" } } ] } ] }""");
        Assert.Equal(Policy.Types.PolicyType.Egress, policy.PolicyType);
        Assert.Equal("10.0.0.0/8", policy.EgressRule[0].To[0].IpBlock.Cidr);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var pod = ProtoJson.Parse<Pod>("""
            { "name": "web-1", "future_field": { "nested": [ 1, 2, { "x": null } ] }, "anotherOne": 5,
              "container": [ { "name": "c", "gpu": true } ] }
            """);

        Assert.Equal(new Pod { Name = "web-1", Container = { new Pod.Types.Container { Name = "c" } } }, pod);
    }

    [Fact]
    public void Parse_by_descriptor_returns_the_generated_type()
    {
        var message = ProtoJson.Parse(Service.Descriptor, ServiceJson);

        var svc = Assert.IsType<Service>(message);
        Assert.Equal(SampleService(), svc);
    }

    [Theory]
    [InlineData("""{ "name": """)]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("""{ "ip_address": 5 }""")]
    [InlineData("""{ "container": { "name": "x" } }""")]
    [InlineData("""[ 1, 2 ]""")]
    public void Invalid_json_throws_a_FormatException_naming_the_message_type(string json)
    {
        var generic = Assert.Throws<FormatException>(() => ProtoJson.Parse<Pod>(json));
        Assert.Contains("invalid protobuf-JSON for pod.Pod", generic.Message, StringComparison.Ordinal);

        var byDescriptor = Assert.Throws<FormatException>(() => ProtoJson.Parse(Pod.Descriptor, json));
        Assert.Contains("invalid protobuf-JSON for pod.Pod", byDescriptor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf8_round_trip_and_invalid_utf8_rejected()
    {
        var pod = SamplePod();
        var bytes = ProtoJson.FormatUtf8(pod);

        Assert.Equal(ProtoJson.Format(pod), Encoding.UTF8.GetString(bytes));
        Assert.NotEqual(0xEF, bytes[0]); // no byte-order mark
        Assert.Equal(pod, ProtoJson.ParseUtf8<Pod>(bytes));

        byte[] broken = [(byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        var ex = Assert.Throws<FormatException>(() => ProtoJson.ParseUtf8<Pod>(broken));
        Assert.Contains("pod.Pod", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cni_request_and_reply_round_trip_through_json_and_binary()
    {
        var request = new CNIRequest
        {
            Version = "0.3.1",
            ContainerId = "3f2a9c",
            NetworkNamespace = "/var/run/netns/ct-pod1",
            InterfaceName = "eth0",
            ExtraNwConfig = """{"cniVersion":"0.3.1","name":"k8s-pod-network","type":"contiv-cni","grpcServer":"/var/run/contiv/cni.sock"}""",
            ExtraArguments = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1",
            IpamType = "host-local",
            IpamData = """{"ips":[{"address":"10.1.1.2/24"}]}""",
        };
        var reply = new CNIReply
        {
            Result = 0,
            Interfaces =
            {
                new CNIReply.Types.Interface
                {
                    Name = "eth0",
                    Sandbox = "/var/run/netns/ct-pod1",
                    IpAddresses =
                    {
                        new CNIReply.Types.Interface.Types.IP { Version = CNIReply.Types.Interface.Types.IP.Types.Version.Ipv4, Address = "10.1.1.2/32", Gateway = "10.1.1.1" },
                        new CNIReply.Types.Interface.Types.IP { Version = CNIReply.Types.Interface.Types.IP.Types.Version.Ipv6, Address = "fd00::2/128", Gateway = "fd00::1" },
                    },
                },
            },
            Routes = { new CNIReply.Types.Route { Dst = "0.0.0.0/0", Gw = "10.1.1.1" } },
            Dns = { new CNIReply.Types.DNS { Domain = "cluster.local", Nameservers = { "10.96.0.10" }, Search = { "default.svc.cluster.local" }, Options = { "ndots:5" } } },
        };

        Assert.Equal(request, ProtoJson.Parse<CNIRequest>(ProtoJson.Format(request)));
        Assert.Equal(reply, ProtoJson.Parse<CNIReply>(ProtoJson.Format(reply)));
        Assert.Equal(request, CNIRequest.Parser.ParseFrom(request.ToByteArray()));
        Assert.Equal(reply, CNIReply.Parser.ParseFrom(reply.ToByteArray()));

        JsonAssert.Equivalent(
            """
            { "interfaces": [ { "name": "eth0", "sandbox": "/var/run/netns/ct-pod1",
                "ip_addresses": [ { "address": "10.1.1.2/32", "gateway": "10.1.1.1" }, { "version": "IPV6", "address": "fd00::2/128", "gateway": "fd00::1" } ] } ],
              "routes": [ { "dst": "0.0.0.0/0", "gw": "10.1.1.1" } ],
              "dns": [ { "domain": "cluster.local", "nameservers": [ "10.96.0.10" ], "search": [ "default.svc.cluster.local" ], "options": [ "ndots:5" ] } ] }
            """,
            ProtoJson.Format(reply));

        var failure = new CNIReply { Result = 1, Error = "pod default/web-1: no free IP in 10.1.1.0/24" };
        JsonAssert.Equivalent("""{ "result": 1, "error": "pod default/web-1: no free IP in 10.1.1.0/24" }""", ProtoJson.Format(failure));
    }

    [Fact]
    public void VppNode_written_by_go_encoding_json_parses()
    {
        // nodesync writes VppNode with Go encoding/json (snake_case tags, empty strings kept).
        var node = ProtoJson.Parse<VppNode>("""{"id":2,"name":"k8s-worker1","ip_address":"","ip_addresses":["192.168.16.2/24"]}""");

        Assert.Equal(new VppNode { Id = 2, Name = "k8s-worker1", IpAddresses = { "192.168.16.2/24" } }, node);
        JsonAssert.Equivalent("""{"id":2,"name":"k8s-worker1","ip_addresses":["192.168.16.2/24"]}""", ProtoJson.Format(node));
    }

    [Fact]
    public void AllocationPool_map_of_messages_round_trips()
    {
        var pool = new AllocationPool
        {
            Name = "vni",
            Range = new AllocationPool.Types.Range { MinId = 5000, MaxId = 1 << 24, Reserved = { 5001 } },
        };
        pool.IdAllocations.Add("l2net", new AllocationPool.Types.Allocation { Id = 5000, Owner = "k8s-master" });

        var json = ProtoJson.Format(pool);

        JsonAssert.Equivalent(
            """{ "name": "vni", "range": { "min_id": 5000, "max_id": 16777216, "reserved": [ 5001 ] }, "id_allocations": { "l2net": { "id": 5000, "owner": "k8s-master" } } }""",
            json);
        Assert.Equal(pool, ProtoJson.Parse<AllocationPool>(json));
    }

    [Fact]
    public void NodeConfig_and_ServiceFunctionChain_use_original_names()
    {
        var config = new NodeConfig
        {
            NodeName = "k8s-worker1",
            MainVppInterface = new NodeConfig.Types.InterfaceConfig { InterfaceName = "eth1", Ip = "192.168.16.2/24" },
            OtherVppInterfaces = { new NodeConfig.Types.InterfaceConfig { InterfaceName = "eth2", UseDhcp = true } },
            StealInterface = "eth0",
            Gateway = "192.168.16.100",
            NatExternalTraffic = true,
        };
        JsonAssert.Equivalent(
            """
            { "node_name": "k8s-worker1", "main_vpp_interface": { "interface_name": "eth1", "ip": "192.168.16.2/24" },
              "other_vpp_interfaces": [ { "interface_name": "eth2", "use_dhcp": true } ],
              "steal_interface": "eth0", "gateway": "192.168.16.100", "nat_external_traffic": true }
            """,
            ProtoJson.Format(config));

        var chain = new ServiceFunctionChain
        {
            Name = "chain1",
            Unidirectional = true,
            Chain =
            {
                new ServiceFunctionChain.Types.ServiceFunction { Type = ServiceFunctionChain.Types.ServiceFunction.Types.Type.Pod, Interface = "memif1", PodSelector = { ["app"] = "cnf1" } },
                new ServiceFunctionChain.Types.ServiceFunction { Type = ServiceFunctionChain.Types.ServiceFunction.Types.Type.ExternalInterface, Name = "ext", InputInterface = "a", OutputInterface = "b" },
            },
        };
        JsonAssert.Equivalent(
            """
            { "name": "chain1", "unidirectional": true, "chain": [
                { "pod_selector": { "app": "cnf1" }, "interface": "memif1" },
                { "name": "ext", "type": "ExternalInterface", "input_interface": "a", "output_interface": "b" } ] }
            """,
            ProtoJson.Format(chain));

        var network = new CustomNetwork { Name = "l3net", Type = CustomNetwork.Types.Type.L3, SubnetCIDR = "10.100.0.0/16", SubnetOneNodePrefix = 24 };
        JsonAssert.Equivalent("""{ "name": "l3net", "type": "L3", "subnetCIDR": "10.100.0.0/16", "subnet_one_node_prefix": 24 }""", ProtoJson.Format(network));
    }
}
