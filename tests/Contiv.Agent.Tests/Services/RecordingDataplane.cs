using System.Globalization;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// The data plane as the descriptors see it, recording instead of forwarding: every batch's operations in order,
/// the objects they leave behind (so <see cref="DumpAll"/> reads back what was put, like contiv-vpp's dump), and
/// ordering mistakes (an object put before what it references exists, something deleted while referenced) in
/// <see cref="Violations"/>. Only the kinds the service tests use: VRFs, interfaces and NAT44.
/// </summary>
internal sealed class RecordingDataplane : IDataplaneConfigApi
{
    private readonly Dictionary<string, ConfigOp> _objects = new(StringComparer.Ordinal);

    /// <summary>Every Execute call with its operations.</summary>
    public List<List<ConfigOp>> Batches { get; } = [];

    /// <summary>Ordering mistakes seen.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Keys (<see cref="KeyOf"/>) whose PUT fails (non-transient) while listed.</summary>
    public HashSet<string> FailPuts { get; } = new(StringComparer.Ordinal);

    /// <summary>Every operation since the last <see cref="Clear"/>, flattened, described by <see cref="Describe"/>.</summary>
    public List<string> Log => [.. Batches.SelectMany(b => b).Select(Describe)];

    /// <summary>The NAT44 operations only.</summary>
    public List<string> NatLog => [.. Batches.SelectMany(b => b).Where(IsNat).Select(Describe)];

    /// <summary>What exists, by <see cref="KeyOf"/>.</summary>
    public IReadOnlyDictionary<string, ConfigOp> Objects => _objects;

    /// <summary>Forgets the recorded operations (not the objects).</summary>
    public void Clear() => Batches.Clear();

    /// <summary>The existing static mapping on <paramref name="key"/> (<c>tcp/ip:port</c>), or null.</summary>
    public Nat44StaticMapping? StaticMapping(string key) => _objects.GetValueOrDefault("nat-static " + key)?.Nat44StaticMapping;

    /// <summary>The existing NAT44 features of <paramref name="iface"/>, or null.</summary>
    public Nat44Interface? NatInterface(string iface) => _objects.GetValueOrDefault("nat-if " + iface)?.Nat44Interface;

    public IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<KvBatchOperation<ConfigOp>> operations)
    {
        var batch = operations.Select(o => o.Operation).ToList();
        Batches.Add(batch);
        var results = new List<KvBatchResult>();
        foreach (var op in batch)
        {
            if (results.Count > 0 && !results[^1].Done)
            {
                results.Add(KvBatchResult.Skipped);
                continue;
            }

            var key = KeyOf(op);
            if (op.Action == ConfigOp.Types.Action.Put && FailPuts.Contains(key))
            {
                results.Add(KvBatchResult.Failed(new KvOperationException($"{key}: injected failure", transient: false)));
                continue;
            }

            if (op.Action == ConfigOp.Types.Action.Put)
            {
                foreach (var missing in References(op).Where(r => !_objects.ContainsKey(r)))
                {
                    Violations.Add($"{key} put before {missing} exists");
                }

                _objects[key] = op.Clone();
            }
            else
            {
                foreach (var (other, value) in _objects)
                {
                    if (References(value).Contains(key))
                    {
                        Violations.Add($"{key} deleted while {other} references it");
                    }
                }

                _objects.Remove(key);
            }

            results.Add(KvBatchResult.Ok);
        }

        return results;
    }

    public DumpReply DumpAll()
    {
        var d = new DumpReply();
        foreach (var op in _objects.Values)
        {
            switch (op.ObjectCase)
            {
                case ConfigOp.ObjectOneofCase.Interface: d.Interfaces.Add(op.Interface.Clone()); break;
                case ConfigOp.ObjectOneofCase.Vrf: d.Vrfs.Add(op.Vrf.Clone()); break;
                case ConfigOp.ObjectOneofCase.Nat44Global: d.Nat44Global = op.Nat44Global.Clone(); break;
                case ConfigOp.ObjectOneofCase.Nat44Interface: d.Nat44Interfaces.Add(op.Nat44Interface.Clone()); break;
                case ConfigOp.ObjectOneofCase.Nat44Address: d.Nat44Addresses.Add(op.Nat44Address.Clone()); break;
                case ConfigOp.ObjectOneofCase.Nat44StaticMapping:
                    {
                        // Like a real dump, report locals in an order of the data plane's choosing.
                        var m = op.Nat44StaticMapping.Clone();
                        var locals = m.Locals.Reverse().ToList();
                        m.Locals.Clear();
                        m.Locals.AddRange(locals);
                        d.Nat44StaticMappings.Add(m);
                        break;
                    }

                case ConfigOp.ObjectOneofCase.Nat44IdentityMapping: d.Nat44IdentityMappings.Add(op.Nat44IdentityMapping.Clone()); break;
                case ConfigOp.ObjectOneofCase.Acl: d.Acls.Add(op.Acl.Clone()); break;
            }
        }

        return d;
    }

    public static bool IsNat(ConfigOp op) => op.ObjectCase is ConfigOp.ObjectOneofCase.Nat44Global or ConfigOp.ObjectOneofCase.Nat44Interface
        or ConfigOp.ObjectOneofCase.Nat44Address or ConfigOp.ObjectOneofCase.Nat44StaticMapping or ConfigOp.ObjectOneofCase.Nat44IdentityMapping;

    /// <summary>"put nat-static tcp/10.96.0.10:80 [10.1.1.2:8080/1, …] self" and the like.</summary>
    public static string Describe(ConfigOp op)
    {
        var verb = op.Action == ConfigOp.Types.Action.Put ? "put" : "delete";
        var details = op.Action == ConfigOp.Types.Action.Delete ? string.Empty : op.ObjectCase switch
        {
            ConfigOp.ObjectOneofCase.Nat44StaticMapping => " [" + string.Join(", ", op.Nat44StaticMapping.Locals.Select(l => $"{l.IpAddress}:{l.Port}/{l.Probability}")) + "]",
            ConfigOp.ObjectOneofCase.Nat44Interface => (op.Nat44Interface.Inside ? " in" : string.Empty) + (op.Nat44Interface.Outside ? " out" : string.Empty) + (op.Nat44Interface.OutputFeature ? " output" : string.Empty),
            _ => string.Empty,
        };
        return $"{verb} {KeyOf(op)}{details}";
    }

    /// <summary>"if eth1", "vrf 0", "nat-global", "nat-if eth1", "nat-addr 10.1.1.254", "nat-static tcp/ip:port", "nat-identity vrf/0/udp/ip:port".</summary>
    public static string KeyOf(ConfigOp op) => op.ObjectCase switch
    {
        ConfigOp.ObjectOneofCase.Interface => "if " + op.Interface.Name,
        ConfigOp.ObjectOneofCase.Vrf => "vrf " + op.Vrf.Id.ToString(CultureInfo.InvariantCulture),
        ConfigOp.ObjectOneofCase.Nat44Global => "nat-global",
        ConfigOp.ObjectOneofCase.Nat44Interface => "nat-if " + op.Nat44Interface.Interface,
        ConfigOp.ObjectOneofCase.Nat44Address => "nat-addr " + op.Nat44Address.IpAddress,
        ConfigOp.ObjectOneofCase.Nat44StaticMapping => string.Create(CultureInfo.InvariantCulture,
            $"nat-static {Proto(op.Nat44StaticMapping.Protocol)}/{op.Nat44StaticMapping.ExternalIp}:{op.Nat44StaticMapping.ExternalPort}"),
        ConfigOp.ObjectOneofCase.Nat44IdentityMapping => string.Create(CultureInfo.InvariantCulture,
            $"nat-identity vrf/{op.Nat44IdentityMapping.VrfId}/{(op.Nat44IdentityMapping.AddrOnly ? "any" : Proto(op.Nat44IdentityMapping.Protocol))}/{op.Nat44IdentityMapping.IpAddress}:{op.Nat44IdentityMapping.Port}"),
        ConfigOp.ObjectOneofCase.Acl => "acl " + op.Acl.Name,
        _ => throw new InvalidOperationException($"the recording data plane does not know {op.ObjectCase}"),
    };

    private static string Proto(Nat44Protocol p) => p switch
    {
        Nat44Protocol.Tcp => "tcp",
        Nat44Protocol.Udp => "udp",
        _ => "icmp",
    };

    // What must exist before an object is put (the data plane's own checks).
    private static IEnumerable<string> References(ConfigOp op)
    {
        switch (op.ObjectCase)
        {
            case ConfigOp.ObjectOneofCase.Interface:
                yield return "vrf " + op.Interface.Vrf.ToString(CultureInfo.InvariantCulture);
                break;
            case ConfigOp.ObjectOneofCase.Nat44Interface:
                yield return "if " + op.Nat44Interface.Interface;
                break;
            case ConfigOp.ObjectOneofCase.Nat44Address:
                yield return "nat-global";
                break;
            case ConfigOp.ObjectOneofCase.Nat44StaticMapping:
                yield return "nat-global";
                if (op.Nat44StaticMapping.TwiceNatPoolIp.Length > 0)
                {
                    yield return "nat-addr " + op.Nat44StaticMapping.TwiceNatPoolIp;
                }

                foreach (var vrf in op.Nat44StaticMapping.Locals.Select(l => l.VrfId).Distinct())
                {
                    yield return "vrf " + vrf.ToString(CultureInfo.InvariantCulture);
                }

                break;
            case ConfigOp.ObjectOneofCase.Acl:
                foreach (var i in op.Acl.IngressInterfaces.Concat(op.Acl.EgressInterfaces).Distinct())
                {
                    yield return "if " + i;
                }

                break;
            case ConfigOp.ObjectOneofCase.Nat44IdentityMapping:
                yield return "nat-global";
                yield return "vrf " + op.Nat44IdentityMapping.VrfId.ToString(CultureInfo.InvariantCulture);
                break;
        }
    }
}
