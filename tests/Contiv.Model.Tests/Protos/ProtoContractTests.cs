using Contiv.Model.Cni;
using Contiv.Model.Crd;
using Contiv.Model.IdAlloc;
using Contiv.Model.Ipam;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Contiv.Model.Stn;
using Google.Protobuf.Reflection;

namespace Contiv.Model.Tests;

/// <summary>
/// The wire and etcd contract: every message of SPEC §1.3–§1.8 with its original proto package,
/// field names, types and numbers. A change here breaks compatibility with Contiv-VPP 3.4 data.
/// </summary>
public sealed class ProtoContractTests
{
    // Written from SPEC.md §1.3 (KSR), §1.4 (CRD), §1.6.3 (VppNode), §1.6.4 (AllocationPool),
    // §1.6.6 (CustomIPAllocation), §1.7 (CNI) and §1.8 (STN). Additions where SPEC's decisions differ
    // from the original (new numbers only, nothing renumbered): Policy.Port end_port=4 and SCTP=2 (decision 1);
    // CNIReply.Interface mtu=5 (the MTU of the pod interface for CNI 1.1 results; old clients ignore it).
    private const string Expected = """
        message pod.Pod { string name=1; string namespace=2; repeated Label label=3; string ip_address=4; string host_ip_address=5; repeated Container container=6; map<string,string> annotations=7; map<string,string> labels=8; }
        message pod.Pod.Label { string key=1; string value=2; }
        message pod.Pod.Container { string name=1; repeated Port port=2; }
        message pod.Pod.Container.Port { string name=1; int32 host_port=2; int32 container_port=3; Protocol protocol=4; string host_ip_address=5; }
        enum pod.Pod.Container.Port.Protocol { TCP=0; UDP=1; }
        message namespace.Namespace { string name=1; repeated Label label=3; }
        message namespace.Namespace.Label { string key=1; string value=2; }
        message node.Node { string name=1; string pod_CIDR=2; string provider_ID=3; repeated NodeAddress addresses=4; NodeSystemInfo node_info=5; }
        message node.NodeAddress { AddressType type=1; string address=2; }
        enum node.NodeAddress.AddressType { NodeUnknownAddr=0; NodeHostName=1; NodeExternalIP=2; NodeInternalIP=3; NodeExternalDNS=4; NodeInternalDNS=5; }
        message node.NodeSystemInfo { string machine_ID=1; string system_UUID=2; string boot_ID=3; string kernel_version=4; string os_image=5; string container_runtime_version=6; string kubelet_version=7; string KubeProxyVersion=8; string OperatingSystem=9; string Architecture=10; }
        message service.Service { string name=1; string namespace=2; repeated ServicePort port=3; map<string,string> selector=4; string cluster_ip=5; string service_type=6; repeated string external_ips=7; repeated string lb_ingress_ips=8; string session_affinity=9; string loadbalancer_ip=10; repeated string loadbalancer_source_ranges=11; string external_traffic_policy=12; int32 health_check_node_port=13; uint32 session_affinity_timeout=14; map<string,string> annotations=15; }
        message service.Service.ServicePort { string name=1; string protocol=2; int32 port=3; IntOrString target_port=4; int32 node_port=5; }
        message service.Service.ServicePort.IntOrString { Type type=1; int32 int_val=2; string string_val=3; }
        enum service.Service.ServicePort.IntOrString.Type { NUMBER=0; STRING=1; }
        message endpoints.ObjectReference { string kind=1; string namespace=2; string name=3; string uid=4; string api_version=5; string resource_version=6; }
        message endpoints.EndpointSubset { repeated EndpointAddress addresses=1; repeated EndpointAddress not_ready_addresses=2; repeated EndpointPort ports=3; }
        message endpoints.EndpointSubset.EndpointAddress { string ip=1; string host_name=2; string node_name=3; ObjectReference target_ref=4; }
        message endpoints.EndpointSubset.EndpointPort { string name=1; int32 port=2; string protocol=3; }
        message endpoints.Endpoints { string name=1; string namespace=2; repeated EndpointSubset endpoint_subsets=3; }
        message policy.Policy { string name=1; string namespace=2; repeated Label label=3; LabelSelector pods=4; PolicyType policy_type=5; repeated IngressRule ingress_rule=6; repeated EgressRule egress_rule=7; }
        enum policy.Policy.PolicyType { DEFAULT=0; INGRESS=1; EGRESS=2; INGRESS_AND_EGRESS=3; }
        message policy.Policy.Label { string key=1; string value=2; }
        message policy.Policy.LabelSelector { repeated Label match_label=1; repeated LabelExpression match_expression=2; }
        message policy.Policy.LabelSelector.LabelExpression { string key=1; Operator operator=2; repeated string value=3; }
        enum policy.Policy.LabelSelector.LabelExpression.Operator { IN=0; NOT_IN=1; EXISTS=2; DOES_NOT_EXIST=3; }
        message policy.Policy.Port { PortNameOrNumber port=1; Protocol protocol=3; int32 end_port=4; }
        enum policy.Policy.Port.Protocol { TCP=0; UDP=1; SCTP=2; }
        message policy.Policy.Port.PortNameOrNumber { Type type=1; int32 number=2; string name=3; }
        enum policy.Policy.Port.PortNameOrNumber.Type { NUMBER=0; NAME=1; }
        message policy.Policy.Peer { LabelSelector pods=1; LabelSelector namespaces=2; IPBlock ip_block=3; }
        message policy.Policy.Peer.IPBlock { string cidr=1; repeated string except=2; }
        message policy.Policy.IngressRule { repeated Port port=1; repeated Peer from=2; }
        message policy.Policy.EgressRule { repeated Port port=1; repeated Peer to=2; }
        message sfc.Sfc { string pod=1; string node=2; }
        message ksrapi.KsrStats { uint64 Adds=1; uint64 Updates=2; uint64 Deletes=3; uint64 Resyncs=4; uint64 AddErrors=5; uint64 UpdErrors=6; uint64 DelErrors=7; uint64 ArgErrors=8; uint64 ResErrors=9; }
        message ksrapi.Stats { KsrStats namespaceStats=1; KsrStats podStats=2; KsrStats policyStats=3; KsrStats endpointsStats=4; KsrStats serviceStats=5; KsrStats nodeStats=6; KsrStats sfcPodStats=7; }
        message model.NodeConfig { string node_name=1; InterfaceConfig main_vpp_interface=2; repeated InterfaceConfig other_vpp_interfaces=3; string steal_interface=4; string gateway=5; bool nat_external_traffic=6; }
        message model.NodeConfig.InterfaceConfig { string interface_name=1; string ip=2; bool use_dhcp=3; }
        message model.CustomNetwork { string name=1; Type type=2; string subnetCIDR=3; uint32 subnet_one_node_prefix=4; }
        enum model.CustomNetwork.Type { L2=0; L3=1; }
        message model.ExternalInterface { string name=1; Type type=2; string network=3; repeated NodeInterface nodes=4; }
        enum model.ExternalInterface.Type { L2=0; L3=1; }
        message model.ExternalInterface.NodeInterface { string node=1; string vpp_interface_name=2; string ip=3; uint32 vlan=4; }
        message model.ServiceFunctionChain { string name=1; bool unidirectional=2; string network=3; repeated ServiceFunction chain=4; }
        message model.ServiceFunctionChain.ServiceFunction { string name=1; Type type=2; map<string,string> pod_selector=3; string input_interface=4; string output_interface=5; string interface=6; }
        enum model.ServiceFunctionChain.ServiceFunction.Type { Pod=0; ExternalInterface=1; }
        message vppnode.VppNode { uint32 id=1; string name=2; string ip_address=3; repeated string ip_addresses=5; }
        message ipalloc.CustomPodInterface { string name=1; string network=2; string ip_address=3; bool service_endpoint=4; }
        message ipalloc.CustomIPAllocation { string pod_name=1; string pod_namespace=2; repeated CustomPodInterface custom_interfaces=3; }
        message idallocation.AllocationPool { string name=1; Range range=2; map<string,Allocation> id_allocations=3; }
        message idallocation.AllocationPool.Range { uint32 min_id=1; uint32 max_id=2; repeated uint32 reserved=3; }
        message idallocation.AllocationPool.Allocation { uint32 id=1; string owner=2; }
        message cni.CNIRequest { string version=1; string container_id=2; string network_namespace=3; string interface_name=4; string extra_nw_config=5; string extra_arguments=6; string ipam_type=7; string ipam_data=8; }
        message cni.CNIReply { uint32 result=1; string error=2; repeated Interface interfaces=4; repeated Route routes=5; repeated DNS dns=6; }
        message cni.CNIReply.Interface { string name=1; string mac=2; string sandbox=3; repeated IP ip_addresses=4; uint32 mtu=5; }
        message cni.CNIReply.Interface.IP { Version version=1; string address=2; string gateway=3; }
        enum cni.CNIReply.Interface.IP.Version { IPV4=0; IPV6=1; }
        message cni.CNIReply.Route { string dst=1; string gw=2; }
        message cni.CNIReply.DNS { string domain=1; repeated string nameservers=2; repeated string search=3; repeated string options=4; }
        message stn.STNRequest { string interface_name=1; bool dhcp_enabled=2; }
        message stn.STNReply { uint32 result=1; string error=2; string pci_address=3; repeated string ip_addresses=4; repeated Route routes=5; string kernel_driver=6; }
        message stn.STNReply.Route { string destination_subnet=1; string next_hop_ip=2; }
        """;

    private static readonly FileDescriptor[] Files =
    [
        PodReflection.Descriptor, NamespaceReflection.Descriptor, NodeReflection.Descriptor,
        ServiceReflection.Descriptor, EndpointsReflection.Descriptor, PolicyReflection.Descriptor,
        SfcReflection.Descriptor, KsrapiReflection.Descriptor,
        NodeconfigReflection.Descriptor, CustomnetworkReflection.Descriptor,
        ExternalinterfaceReflection.Descriptor, ServicefunctionchainReflection.Descriptor,
        VppnodeReflection.Descriptor, IpallocReflection.Descriptor, IdallocationReflection.Descriptor,
        CniReflection.Descriptor, StnReflection.Descriptor,
    ];

    [Fact]
    public void Every_message_has_the_original_package_names_types_and_numbers()
    {
        var expected = Expected.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var actual = Files.SelectMany(ProtoSchema.Describe).ToArray();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void VppNode_reserves_the_obsolete_management_ip_field()
    {
        var file = FileDescriptorProto.Parser.ParseFrom(VppnodeReflection.Descriptor.SerializedData);
        var message = Assert.Single(file.MessageType);

        Assert.Contains(message.ReservedRange, r => r.Start == 4 && r.End == 5);
        Assert.Contains("management_ip_address", message.ReservedName);
    }

    [Fact]
    public void RemoteCni_service_has_add_and_delete()
    {
        var service = RemoteCNI.Descriptor;

        Assert.Equal("cni.RemoteCNI", service.FullName);
        Assert.Equal(["Add", "Delete"], service.Methods.Select(m => m.Name));
        Assert.All(service.Methods, m =>
        {
            Assert.Equal(CNIRequest.Descriptor, m.InputType);
            Assert.Equal(CNIReply.Descriptor, m.OutputType);
            Assert.False(m.IsClientStreaming || m.IsServerStreaming);
        });
    }

    [Fact]
    public void Stn_service_has_steal_release_and_info()
    {
        var service = STN.Descriptor;

        Assert.Equal("stn.STN", service.FullName);
        Assert.Equal(["StealInterface", "ReleaseInterface", "StolenInterfaceInfo"], service.Methods.Select(m => m.Name));
        Assert.All(service.Methods, m =>
        {
            Assert.Equal(STNRequest.Descriptor, m.InputType);
            Assert.Equal(STNReply.Descriptor, m.OutputType);
        });
    }

    [Fact]
    public void Grpc_stubs_use_the_original_method_paths()
    {
        // The path on the wire is "/{package}.{service}/{method}"; a client of the original agent depends on it.
        Assert.Equal("/cni.RemoteCNI/Add", WireMethod(typeof(RemoteCNI), "Add").FullName);
        Assert.Equal("/cni.RemoteCNI/Delete", WireMethod(typeof(RemoteCNI), "Delete").FullName);
        Assert.Equal("/stn.STN/StealInterface", WireMethod(typeof(STN), "StealInterface").FullName);
        Assert.Equal("/stn.STN/ReleaseInterface", WireMethod(typeof(STN), "ReleaseInterface").FullName);
        Assert.Equal("/stn.STN/StolenInterfaceInfo", WireMethod(typeof(STN), "StolenInterfaceInfo").FullName);
        Assert.True(typeof(RemoteCNI.RemoteCNIBase).IsAbstract);
        Assert.NotNull(typeof(RemoteCNI.RemoteCNIClient).GetMethod("AddAsync", [typeof(CNIRequest), typeof(Grpc.Core.CallOptions)]));
        Assert.NotNull(typeof(STN.STNClient).GetMethod("StealInterfaceAsync", [typeof(STNRequest), typeof(Grpc.Core.CallOptions)]));
    }

    // Grpc.Tools keeps each method's wire description in a private static field "__Method_{name}".
    private static Grpc.Core.IMethod WireMethod(Type service, string name)
    {
        var field = service.GetField("__Method_" + name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
        Assert.NotNull(field);
        return Assert.IsAssignableFrom<Grpc.Core.IMethod>(field.GetValue(null));
    }
}
