using Contiv.Vpp.Acl;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp;

// ACL control: the plugin instance, ACLs by name (API) or index (CLI), interface lists and the feature
// enablement that follows them. Everything runs at the barrier; the ACL nodes take the plugin's lock per
// vector. Other assemblies get the public methods below, with AclRule/AclEntry: the engine stays internal.
public sealed partial class Dataplane
{
    private AclPlugin? _acl;

    /// <summary>The plugin, created on first use (its session table is allocated then). Control path only.</summary>
    internal AclPlugin AclEngine
    {
        get
        {
            if (_acl is null)
            {
                Volatile.Write(ref _acl, new AclPlugin());
            }

            return _acl;
        }
    }

    /// <summary>The plugin if it was created (the nodes: it always is once an ACL is applied).</summary>
    internal AclPlugin? AclIfCreated => Volatile.Read(ref _acl);

    /// <summary>Runs <paramref name="action"/> on the plugin at the barrier.</summary>
    internal T WithAcl<T>(Func<AclPlugin, T> action) => Exclusive(() => action(AclEngine));

    /// <summary>Session idle timeouts of the ACL plugin.</summary>
    public AclTimeouts AclTimeouts
    {
        get => WithAcl(a => a.Timeouts);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Exclusive(() => AclEngine.Timeouts = value);
        }
    }

    /// <summary>
    /// Creates or replaces the ACL named <paramref name="name"/> (its tag): its rules, and the interfaces it is
    /// applied to — it joins the end of the input list of each <paramref name="ingress"/> interface and the
    /// output list of each <paramref name="egress"/> interface it is not on yet, and leaves the lists of
    /// interfaces no longer named. Returns its index.
    /// </summary>
    public int PutAcl(string name, IReadOnlyList<AclRule> rules, IReadOnlyList<SwInterface> ingress, IReadOnlyList<SwInterface> egress)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(egress);
        return Exclusive(() =>
        {
            var acl = AclEngine;
            var index = acl.Put(acl.FindByTag(name)?.Index ?? -1, name, [.. rules]);
            foreach (var (wanted, input) in new[] { (ingress, true), (egress, false) })
            {
                var keep = new HashSet<int>();
                foreach (var i in wanted)
                {
                    keep.Add(i.SwIfIndex);
                    acl.Apply(i.SwIfIndex, input, index);
                }

                foreach (var sw in acl.AppliedOn(index, input))
                {
                    if (!keep.Contains(sw))
                    {
                        acl.Unapply(sw, input, index);
                    }
                }
            }

            SyncAclFeatures();
            return index;
        });
    }

    /// <summary>Deletes the ACL named <paramref name="name"/> and detaches it from every interface; false when there is none.</summary>
    public bool DeleteAcl(string name) => Exclusive(() =>
    {
        var acl = AclEngine;
        if (acl.FindByTag(name) is not { } a)
        {
            return false;
        }

        acl.Delete(a.Index);
        SyncAclFeatures();
        return true;
    });

    /// <summary>Every ACL with its rules, hit counters and interfaces, by index.</summary>
    public IReadOnlyList<AclEntry> Acls => Exclusive(() =>
    {
        var l = new List<AclEntry>();
        if (AclIfCreated is not { } acl)
        {
            return l;
        }

        foreach (var a in acl.All)
        {
            l.Add(new AclEntry(a.Index, a.Tag, [.. a.Rules], [.. a.Hits], NamesOf(acl.AppliedOn(a.Index, true)), NamesOf(acl.AppliedOn(a.Index, false))));
        }

        return (IReadOnlyList<AclEntry>)l;
    });

    /// <summary>The ACL indices applied to <paramref name="intf"/> in one direction, in evaluation order.</summary>
    public IReadOnlyList<int> AppliedAcls(SwInterface intf, bool input)
    {
        ArgumentNullException.ThrowIfNull(intf);
        return Exclusive(() => AclIfCreated is { } a ? (IReadOnlyList<int>)[.. a.Applied(intf.SwIfIndex, input)] : []);
    }

    /// <summary>CLI: creates (index -1) or replaces ACL <paramref name="index"/>; returns its index.</summary>
    internal int SetAcl(int index, string tag, AclRule[] rules) => Exclusive(() =>
    {
        var i = AclEngine.Put(index, tag, rules);
        SyncAclFeatures();
        return i;
    });

    /// <summary>CLI: deletes ACL <paramref name="index"/>; fails while it is applied to an interface (as VPP).</summary>
    internal void DeleteAclIndex(int index) => Exclusive(() =>
    {
        var acl = AclEngine;
        if (acl.Get(index) is null)
        {
            throw new KeyNotFoundException($"ACL index {index} does not exist");
        }

        if (acl.AppliedOn(index, true).Count > 0 || acl.AppliedOn(index, false).Count > 0)
        {
            throw new InvalidOperationException($"ACL index {index} is applied to an interface");
        }

        acl.Delete(index);
    });

    /// <summary>CLI: appends ACL <paramref name="index"/> to (or removes it from) an interface direction's list.</summary>
    internal void SetAclApplied(SwInterface intf, bool input, int index, bool add) => Exclusive(() =>
    {
        var acl = AclEngine;
        if (add)
        {
            acl.Apply(intf.SwIfIndex, input, index);
        }
        else if (!acl.Unapply(intf.SwIfIndex, input, index))
        {
            throw new KeyNotFoundException($"ACL index {index} is not applied to {intf.Name} {(input ? "input" : "output")}");
        }

        SyncAclFeatures();
    });

    /// <summary>Forgets a deleted interface's ACL lists and sessions (called at the barrier by DeleteInterface).</summary>
    private void ForgetAclInterface(int swIfIndex) => AclIfCreated?.ForgetInterface(swIfIndex);

    // Enables the ACL nodes exactly on the interface directions that have an ACL list.
    private void SyncAclFeatures()
    {
        var acl = AclEngine;
        foreach (var i in InterfaceArray)
        {
            if (i is null)
            {
                continue;
            }

            SetFeature(i, FeatureArcs.Ip4UnicastName, AclFeatureNode.InputNodeName, acl.Applied(i.SwIfIndex, true).Count > 0);
            SetFeature(i, FeatureArcs.Ip4OutputName, AclFeatureNode.OutputNodeName, acl.Applied(i.SwIfIndex, false).Count > 0);
        }
    }

    private string[] NamesOf(List<int> swIfIndexes)
    {
        var names = new string[swIfIndexes.Count];
        for (var k = 0; k < names.Length; k++)
        {
            names[k] = Interface(swIfIndexes[k])?.Name ?? $"sw_if_index {swIfIndexes[k]}";
        }

        return names;
    }
}
