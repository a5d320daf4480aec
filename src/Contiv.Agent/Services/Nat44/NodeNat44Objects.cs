namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// The node-wide NAT44 objects of SPEC §3.2 (VPP's <c>NatGlobal</c> and <c>DNAT-identities</c>): global
/// settings, the address pool, the identity mappings that keep VXLAN and the node's own address un-NATed, and
/// the NAT features of every interface.
/// </summary>
internal static class NodeNat44Objects
{
    /// <summary>Label of the identity mappings.</summary>
    public const string IdentitiesLabel = "DNAT-identities";

    /// <summary>UDP port of VXLAN, which must never be translated on the node IP.</summary>
    public const int VxlanPort = 4789;

    /// <summary>Renders the node-wide objects for <paramref name="roles"/>.</summary>
    public static IEnumerable<INatObject> Render(ServiceNodeContext node, NatInterfaceRoles roles)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(roles);
        yield return new NatGlobal(Forwarding: true, DropFragments: node.DropFragments);

        // Twice-NAT source of service connections: the NAT loopback, never given to a pod and routed back to
        // this node from everywhere in the cluster because it lies in this node's pod subnet.
        yield return new NatPoolAddress(node.NatLoopback.ToString(), NatPoolAddress.AnyVrf, TwiceNat: true);

        if (node.DefaultInterface is { } def)
        {
            var ip = def.Ip.ToString();
            yield return new NatPoolAddress(ip, NatPoolAddress.AnyVrf, TwiceNat: false);
            yield return new NatIdentityMapping { Ip = ip, Protocol = NatProtocol.Udp, Port = VxlanPort, VrfId = node.MainVrfId, Label = IdentitiesLabel };
            yield return new NatIdentityMapping { Ip = ip, VrfId = node.PodVrfId, Label = IdentitiesLabel };
            yield return new NatIdentityMapping { Ip = ip, VrfId = node.MainVrfId, Label = IdentitiesLabel };
        }

        // Sets, not the role lists: a node with hundreds of pods has hundreds of frontends and backends.
        var frontends = new HashSet<string>(roles.Frontends, StringComparer.Ordinal);
        var backends = new HashSet<string>(roles.Backends, StringComparer.Ordinal);
        var names = new SortedSet<string>(frontends, StringComparer.Ordinal);
        names.UnionWith(backends);
        if (roles.DefaultInterface is { } d)
        {
            names.Add(d);
        }

        foreach (var name in names)
        {
            var isDefault = name == roles.DefaultInterface;
            yield return new NatInterfaceFeature(name, Inside: backends.Contains(name), Outside: isDefault || frontends.Contains(name), OutputFeature: isDefault);
        }
    }
}
