using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Stn;

namespace Contiv.Vpp;

// Steal-the-NIC punt rules (FD.io VPP's `stn rule`): one per address, read by ip4-local and stn-ip4-punt from an
// immutable array swapped at the barrier. A rule holds the adjacency (interface, address) so its Ethernet
// rewrite follows the neighbour entry the agent installs (node IP -> the host side's MAC).
public sealed partial class Dataplane
{
    private StnRuleEntry[] _stnRules = [];

    /// <summary>The rules as the data path reads them (lock-free; replaced at the barrier).</summary>
    internal StnRuleEntry[] StnRuleArray => Volatile.Read(ref _stnRules);

    /// <summary>The STN rules, in the order they were added.</summary>
    public IReadOnlyList<StnRule> StnRules
    {
        get
        {
            var rules = StnRuleArray;
            var list = new List<StnRule>(rules.Length);
            foreach (var r in rules)
            {
                list.Add(new StnRule(r.Address, Interface(r.SwIfIndex)?.Name ?? $"sw_if_index {r.SwIfIndex}"));
            }

            return list;
        }
    }

    /// <summary>
    /// Adds the rule for <paramref name="address"/>, or moves it to <paramref name="intf"/> when it exists.
    /// Packets to that address the data plane does not consume leave through <paramref name="intf"/>.
    /// </summary>
    public void PutStnRule(uint address, SwInterface intf)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (address == 0 || address == uint.MaxValue)
        {
            throw new DataplaneException($"STN rule: {Ip4Address.Format(address)} is not a unicast address");
        }

        Exclusive(() =>
        {
            if (Interface(intf.SwIfIndex) != intf)
            {
                throw new DataplaneException($"STN rule {Ip4Address.Format(address)}: unknown interface `{intf.Name}'", DataplaneError.NotFound);
            }

            var rules = StnRuleArray;
            var existing = StnIp4PuntNode.Find(rules, address);
            if (existing is not null && existing.SwIfIndex == intf.SwIfIndex)
            {
                return;
            }

            var entry = new StnRuleEntry(address, intf.SwIfIndex, Neighbors.Acquire(intf.SwIfIndex, address));
            var updated = new List<StnRuleEntry>(rules.Length + 1);
            foreach (var r in rules)
            {
                updated.Add(r == existing ? entry : r);
            }

            if (existing is null)
            {
                updated.Add(entry);
            }
            else
            {
                Neighbors.Release(existing.Adjacency);
            }

            Volatile.Write(ref _stnRules, [.. updated]);
        });
    }

    /// <summary>Removes the rule for <paramref name="address"/>; false when there is none.</summary>
    public bool DeleteStnRule(uint address) => Exclusive(() => RemoveStnRules(r => r.Address == address) > 0);

    /// <summary>Rules towards a deleted interface go with it (at the barrier, from <see cref="DeleteInterface"/>).</summary>
    private void ForgetStnRules(int swIfIndex) => RemoveStnRules(r => r.SwIfIndex == swIfIndex);

    private int RemoveStnRules(Func<StnRuleEntry, bool> match)
    {
        var rules = StnRuleArray;
        var kept = new List<StnRuleEntry>(rules.Length);
        foreach (var r in rules)
        {
            if (match(r))
            {
                Neighbors.Release(r.Adjacency);
            }
            else
            {
                kept.Add(r);
            }
        }

        if (kept.Count != rules.Length)
        {
            Volatile.Write(ref _stnRules, [.. kept]);
        }

        return rules.Length - kept.Count;
    }
}
