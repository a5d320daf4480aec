using System.Net;
using Contiv.Crd.Kube;
using Contiv.Ksr.Conversion;
using Contiv.Model.Crd;

namespace Contiv.Crd.Conversion;

/// <summary>
/// Custom resources → the records contiv-crd mirrors into etcd (SPEC §1.4). Field names of the
/// specs are those of Contiv's Go types (<c>mainVPPInterface.useDHCP</c>, <c>subnetOneNodePrefixLen</c>, …);
/// the record's name is the object's name. A bad value throws <see cref="ConversionException"/>
/// naming the object, the field and the value (it becomes the object's <c>Failure</c> status).
/// </summary>
internal static class CrdConversions
{
    /// <summary>NodeConfig → <c>model.NodeConfig</c> (node_name = object name).</summary>
    /// <param name="r">The custom resource.</param>
    public static NodeConfig NodeConfig(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = Spec(r);
        var record = new NodeConfig
        {
            NodeName = r.Metadata.Name,
            StealInterface = spec.String("stealInterface"),
            Gateway = spec.String("gateway"),
            NatExternalTraffic = spec.Bool("natExternalTraffic"),
        };
        if (record.Gateway.Length > 0 && !IPAddress.TryParse(record.Gateway, out _))
        {
            throw new ConversionException($"{spec.Owner}: spec.gateway '{record.Gateway}' is not an IP address");
        }

        var main = spec.Object("mainVPPInterface");
        if (main.IsObject)
        {
            record.MainVppInterface = Interface(main);
        }

        foreach (var other in spec.Objects("otherVPPInterfaces"))
        {
            record.OtherVppInterfaces.Add(Interface(other));
        }

        return record;
    }

    /// <summary>CustomNetwork → <c>model.CustomNetwork</c> (<c>type</c> L2 or L3).</summary>
    /// <param name="r">The custom resource.</param>
    public static CustomNetwork CustomNetwork(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = Spec(r);
        var record = new CustomNetwork
        {
            Name = r.Metadata.Name,
            Type = NetworkType(spec) == "L3" ? Model.Crd.CustomNetwork.Types.Type.L3 : Model.Crd.CustomNetwork.Types.Type.L2,
            SubnetCIDR = spec.String("subnetCIDR"),
            SubnetOneNodePrefix = spec.UInt("subnetOneNodePrefixLen", 32),
        };
        if (record.SubnetCIDR.Length > 0 && !IPNetwork.TryParse(record.SubnetCIDR, out _))
        {
            throw new ConversionException($"{spec.Owner}: spec.subnetCIDR '{record.SubnetCIDR}' is not a CIDR (e.g. 10.100.0.0/16)");
        }

        return record;
    }

    /// <summary>ExternalInterface → <c>model.ExternalInterface</c>.</summary>
    /// <param name="r">The custom resource.</param>
    public static ExternalInterface ExternalInterface(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = Spec(r);
        var record = new ExternalInterface
        {
            Name = r.Metadata.Name,
            Type = NetworkType(spec) == "L3" ? Model.Crd.ExternalInterface.Types.Type.L3 : Model.Crd.ExternalInterface.Types.Type.L2,
            Network = spec.String("network"),
        };
        foreach (var node in spec.Objects("nodes"))
        {
            var ip = node.String("ip");
            if (ip.Length > 0 && !IsAddressWithPrefix(ip) && !IPAddress.TryParse(ip, out _))
            {
                throw new ConversionException($"{spec.Owner}: {node.Path}.ip '{ip}' is not an IP address");
            }

            record.Nodes.Add(new ExternalInterface.Types.NodeInterface
            {
                Node = node.String("node"),
                VppInterfaceName = node.String("vppInterfaceName"),
                Ip = ip,
                Vlan = node.UInt("vlan", 4095),
            });
        }

        return record;
    }

    /// <summary>ServiceFunctionChain → <c>model.ServiceFunctionChain</c>.</summary>
    /// <param name="r">The custom resource.</param>
    public static ServiceFunctionChain ServiceFunctionChain(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = Spec(r);
        var record = new ServiceFunctionChain
        {
            Name = r.Metadata.Name,
            Unidirectional = spec.Bool("unidirectional"),
            Network = spec.String("network"),
        };
        foreach (var f in spec.Objects("chain"))
        {
            var type = f.String("type");
            var function = new ServiceFunctionChain.Types.ServiceFunction
            {
                Name = f.String("name"),
                Type = type switch
                {
                    "" or "Pod" => Model.Crd.ServiceFunctionChain.Types.ServiceFunction.Types.Type.Pod,
                    "ExternalInterface" => Model.Crd.ServiceFunctionChain.Types.ServiceFunction.Types.Type.ExternalInterface,
                    _ => throw new ConversionException($"{spec.Owner}: {f.Path}.type '{type}' is neither Pod nor ExternalInterface"),
                },
                Interface = f.String("interface"),
                InputInterface = f.String("inputInterface"),
                OutputInterface = f.String("outputInterface"),
            };
            foreach (var (k, v) in f.StringMap("podSelector"))
            {
                function.PodSelector[k] = v;
            }

            record.Chain.Add(function);
        }

        return record;
    }

    /// <summary>The <c>spec</c> of <paramref name="r"/> with the object named for messages.</summary>
    /// <param name="r">The custom resource.</param>
    public static SpecFields Spec(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Spec.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Undefined or System.Text.Json.JsonValueKind.Null))
        {
            throw new ConversionException($"{r.Kind} {r.Id}: spec must be an object, not {r.Spec.GetRawText()}");
        }

        return new SpecFields($"{r.Kind} {r.Id}", r.Spec, "spec");
    }

    private static NodeConfig.Types.InterfaceConfig Interface(SpecFields f)
    {
        var ip = f.String("ip");
        if (ip.Length > 0 && !IsAddressWithPrefix(ip))
        {
            throw new ConversionException($"{f.Owner}: {f.Path}.ip '{ip}' is not an address with prefix length (e.g. 192.168.16.1/24)");
        }

        return new NodeConfig.Types.InterfaceConfig
        {
            InterfaceName = f.String("interfaceName"),
            Ip = ip,
            UseDhcp = f.Bool("useDHCP"),
        };
    }

    // "192.168.16.1/24": an interface address keeps its host bits (IPNetwork.TryParse rejects them).
    private static bool IsAddressWithPrefix(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            && int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            && length <= (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    private static string NetworkType(SpecFields spec)
    {
        var type = spec.String("type");
        return type is "" or "L2" or "L3"
            ? type
            : throw new ConversionException($"{spec.Owner}: spec.type '{type}' is neither L2 nor L3");
    }
}
