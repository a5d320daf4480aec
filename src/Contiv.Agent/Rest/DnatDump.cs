using System.Text.Json.Nodes;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Rest;

/// <summary>
/// <c>GET /dump/vpp/v2/nat/dnat</c> (SPEC §5): the data plane's static and identity mappings grouped by label the way
/// vpp-agent reports its <c>DNat44</c> objects — one entry per service (<c>namespace/name</c>) and one for the node's
/// identity mappings (<c>DNAT-identities</c>). Field names as in vpp-agent's nat.proto, zero values omitted, enums as
/// numbers (protocol TCP 0, UDP 1, ICMP 2; twice_nat DISABLED 0, ENABLED 1, SELF 2).
/// </summary>
internal static class DnatDump
{
    /// <summary>The DNAT view of <paramref name="dump"/>, labels in ordinal order.</summary>
    public static JsonArray From(DumpReply dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var byLabel = new SortedDictionary<string, (JsonArray Static, JsonArray Identity)>(StringComparer.Ordinal);
        (JsonArray Static, JsonArray Identity) Entry(string label)
        {
            if (!byLabel.TryGetValue(label, out var e))
            {
                e = ([], []);
                byLabel[label] = e;
            }

            return e;
        }

        foreach (var m in dump.Nat44StaticMappings)
        {
            var locals = new JsonArray();
            foreach (var l in m.Locals)
            {
                locals.Add((JsonNode)Omitting(("vrf_id", l.VrfId), ("local_ip", l.IpAddress), ("local_port", l.Port), ("probability", l.Probability)));
            }

            var sm = Omitting(("external_ip", m.ExternalIp), ("external_port", m.ExternalPort), ("protocol", (uint)m.Protocol),
                ("twice_nat", (uint)m.TwiceNat), ("session_affinity", m.SessionAffinity));
            if (locals.Count > 0)
            {
                sm["local_ips"] = locals;
            }

            Entry(m.Tag).Static.Add((JsonNode)sm);
        }

        foreach (var m in dump.Nat44IdentityMappings)
        {
            Entry(m.Tag).Identity.Add((JsonNode)Omitting(("vrf_id", m.VrfId), ("ip_address", m.IpAddress),
                ("port", m.AddrOnly ? 0u : m.Port), ("protocol", m.AddrOnly ? 0u : (uint)m.Protocol)));
        }

        var result = new JsonArray();
        foreach (var (label, (st, id)) in byLabel)
        {
            var dnat = Omitting(("label", label));
            if (st.Count > 0)
            {
                dnat["st_mappings"] = st;
            }

            if (id.Count > 0)
            {
                dnat["id_mappings"] = id;
            }

            result.Add((JsonNode)dnat);
        }

        return result;
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
            }
        }

        return o;
    }
}
