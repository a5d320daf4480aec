using System.Text.Json.Nodes;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Rest;

/// <summary>
/// The data plane's dump in the JSON shapes of vpp-agent's REST dumps (SPEC §5), which the UI and netctl read:
/// interfaces as a map keyed by sw_if_index with <c>interface</c> and <c>interface_meta</c>; bridge domains as
/// <c>bridge_domain</c> + <c>bridge_domain_meta</c>; L2 FIB as a map keyed by MAC; ARP entries as <c>Arp</c> + <c>Meta</c>;
/// routes as <c>Route</c> + <c>Meta</c>. Field names as vpp-agent's protos, zero values omitted (Go's omitempty),
/// enums as numbers (vpp-agent's numbering: interface type SOFTWARE_LOOPBACK 2, TAP 5, AF_PACKET 6, VXLAN_TUNNEL 7;
/// route type INTRA_VRF 0, INTER_VRF 1, DROP 2).
/// </summary>
internal static class VppDumpJson
{
    /// <summary>Every interface, or only those of <paramref name="only"/>, keyed by sw_if_index.</summary>
    public static JsonObject Interfaces(DumpReply dump, InterfaceType? only = null)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var result = new JsonObject();
        foreach (var i in dump.Interfaces.OrderBy(i => i.SwIfIndex))
        {
            if (only is { } t && i.Type != t)
            {
                continue;
            }

            var ifc = Omitting(("name", i.Name), ("type", AgentInterfaceType(i.Type)), ("enabled", i.Enabled),
                ("phys_address", i.PhysAddress), ("mtu", i.Mtu), ("vrf", i.Vrf), ("unnumbered_to", i.UnnumberedTo));
            if (i.IpAddresses.Count > 0)
            {
                ifc["ip_addresses"] = new JsonArray([.. i.IpAddresses.Select(a => (JsonNode)a)]);
            }

            if (!string.IsNullOrEmpty(i.UnnumberedTo))
            {
                ifc.Remove("unnumbered_to");
                ifc["unnumbered"] = new JsonObject { ["interface_with_ip"] = i.UnnumberedTo };
            }

            switch (i.LinkCase)
            {
                case Interface.LinkOneofCase.Tap:
                    ifc["tap"] = Omitting(("version", 2u), ("host_if_name", i.Tap.HostIfName), ("to_microservice", i.Tap.HostNamespace),
                        ("rx_ring_size", i.Tap.RxRingSize), ("tx_ring_size", i.Tap.TxRingSize), ("enable_gso", i.Tap.EnableGso));
                    break;
                case Interface.LinkOneofCase.Afpacket:
                    ifc["afpacket"] = Omitting(("host_if_name", i.Afpacket.HostIfName));
                    break;
                case Interface.LinkOneofCase.Vxlan:
                    ifc["vxlan"] = Omitting(("src_address", i.Vxlan.SrcAddress), ("dst_address", i.Vxlan.DstAddress), ("vni", i.Vxlan.Vni));
                    break;
            }

            var meta = Omitting(("sw_if_index", i.SwIfIndex), ("internal_name", i.DevName), ("phys_address", i.PhysAddress),
                ("is_admin_state_up", i.Enabled), ("is_link_state_up", i.LinkUp), ("mtu", i.Mtu), ("vrf_id", i.Vrf));
            result[i.SwIfIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["interface"] = ifc, ["interface_meta"] = meta };
        }

        return result;
    }

    /// <summary>Bridge domains with their member interfaces.</summary>
    public static JsonArray BridgeDomains(DumpReply dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var indexes = SwIfIndexes(dump);
        var result = new JsonArray();
        foreach (var bd in dump.BridgeDomains.OrderBy(b => b.Id))
        {
            var members = new JsonArray();
            var metaMembers = new JsonArray();
            foreach (var m in bd.Interfaces)
            {
                members.Add((JsonNode)Omitting(("name", m.Name), ("bridged_virtual_interface", m.BridgedVirtualInterface), ("split_horizon_group", m.SplitHorizonGroup)));
                metaMembers.Add((JsonNode)Omitting(("sw_if_index", indexes.GetValueOrDefault(m.Name)), ("name", m.Name)));
            }

            var b = Omitting(("name", bd.Name), ("flood", bd.Flood), ("unknown_unicast_flood", bd.UnknownUnicastFlood), ("forward", bd.Forward),
                ("learn", bd.Learn), ("arp_termination", bd.ArpTermination), ("mac_age", bd.MacAgeMinutes));
            if (members.Count > 0)
            {
                b["interfaces"] = members;
            }

            var meta = Omitting(("bridge_domain_id", bd.Id));
            meta["bridge_domain_id_to_interface"] = metaMembers;
            result.Add((JsonNode)new JsonObject { ["bridge_domain"] = b, ["bridge_domain_meta"] = meta });
        }

        return result;
    }

    /// <summary>L2 FIB entries keyed by MAC address.</summary>
    public static JsonObject L2Fib(DumpReply dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var indexes = SwIfIndexes(dump);
        var bdNames = dump.BridgeDomains.ToDictionary(b => b.Id, b => b.Name);
        var result = new JsonObject();
        foreach (var f in dump.L2Fibs.OrderBy(f => f.PhysAddress, StringComparer.Ordinal))
        {
            var fib = Omitting(("phys_address", f.PhysAddress), ("bridge_domain", bdNames.GetValueOrDefault(f.BridgeDomainId, string.Empty)),
                ("outgoing_interface", f.OutgoingInterface), ("static_config", f.Static), ("bridged_virtual_interface", f.BridgedVirtualInterface));
            var meta = Omitting(("bridge_domain_id", f.BridgeDomainId), ("outgoing_interface_sw_if_idx", indexes.GetValueOrDefault(f.OutgoingInterface)));
            result[f.PhysAddress] = new JsonObject { ["fib"] = fib, ["fib_meta"] = meta };
        }

        return result;
    }

    /// <summary>ARP entries (static and learned).</summary>
    public static JsonArray Arps(DumpReply dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var indexes = SwIfIndexes(dump);
        var result = new JsonArray();
        foreach (var a in dump.Arps)
        {
            result.Add((JsonNode)new JsonObject
            {
                ["Arp"] = Omitting(("interface", a.Interface), ("ip_address", a.IpAddress), ("phys_address", a.PhysAddress), ("static", a.Static)),
                ["Meta"] = Omitting(("SwIfIndex", indexes.GetValueOrDefault(a.Interface))),
            });
        }

        return result;
    }

    /// <summary>Configured routes of every VRF.</summary>
    public static JsonArray Routes(DumpReply dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var indexes = SwIfIndexes(dump);
        var result = new JsonArray();
        foreach (var r in dump.Routes.OrderBy(r => r.VrfId).ThenBy(r => r.DstNetwork, StringComparer.Ordinal))
        {
            result.Add((JsonNode)new JsonObject
            {
                ["Route"] = Omitting(("type", (uint)r.Type), ("vrf_id", r.VrfId), ("dst_network", r.DstNetwork), ("next_hop_addr", r.NextHopAddr),
                    ("outgoing_interface", r.OutInterface), ("weight", r.Weight), ("preference", r.Preference), ("via_vrf_id", r.ViaVrfId)),
                ["Meta"] = Omitting(("OutgoingIfIdx", indexes.GetValueOrDefault(r.OutInterface))),
            });
        }

        return result;
    }

    // vpp-agent's interfaces.proto numbering, so clients written for it read ours.
    private static uint AgentInterfaceType(InterfaceType t) => t switch
    {
        InterfaceType.Loopback => 2,
        InterfaceType.Tap => 5,
        InterfaceType.AfPacket => 6,
        InterfaceType.VxlanTunnel => 7,
        _ => 0,
    };

    private static Dictionary<string, uint> SwIfIndexes(DumpReply dump)
    {
        var map = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var i in dump.Interfaces)
        {
            map[i.Name] = i.SwIfIndex;
            if (!string.IsNullOrEmpty(i.DevName))
            {
                map.TryAdd(i.DevName, i.SwIfIndex);
            }
        }

        return map;
    }

    // Go's encoding/json with omitempty, which vpp-agent's REST output follows.
    private static JsonObject Omitting(params (string Name, object Value)[] fields)
    {
        var o = new JsonObject();
        foreach (var (name, value) in fields)
        {
            switch (value)
            {
                case string s when s.Length > 0:
                    o[name] = s;
                    break;
                case uint u when u != 0:
                    o[name] = u;
                    break;
                case bool b when b:
                    o[name] = true;
                    break;
            }
        }

        return o;
    }
}
