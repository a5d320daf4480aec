namespace Contiv.Vpp.Acl;

/// <summary>
/// The ACLs applied to one interface direction, in the order applied, compiled into one classifier
/// over their concatenated rules (VPP's lookup context): the first matching rule of the first ACL that
/// has one decides, whatever the number of ACLs. Interface directions with the same ACL list share one
/// context. Immutable; rebuilt at the barrier when one of its ACLs changes.
/// </summary>
internal sealed class AclLookupContext
{
    private readonly AccessList[] _acls;
    private readonly int[] _aclOfRule;
    private readonly int[] _ruleInAcl;

    /// <summary>Compiles <paramref name="acls"/>.</summary>
    public AclLookupContext(AccessList[] acls, int id)
    {
        _acls = acls;
        Id = id;
        var n = 0;
        foreach (var a in acls)
        {
            n += a.Rules.Length;
        }

        var rules = new AclRule[n];
        _aclOfRule = new int[n];
        _ruleInAcl = new int[n];
        var g = 0;
        for (var k = 0; k < acls.Length; k++)
        {
            for (var r = 0; r < acls[k].Rules.Length; r++, g++)
            {
                rules[g] = acls[k].Rules[r];
                _aclOfRule[g] = k;
                _ruleInAcl[g] = r;
            }
        }

        Rules = rules;
        Classifier = new AclClassifier(rules);
    }

    /// <summary>Number shown by <c>show acl-plugin acl</c> ("used in lookup context index").</summary>
    public int Id { get; }

    /// <summary>The ACLs, in evaluation order.</summary>
    public IReadOnlyList<AccessList> Acls => _acls;

    /// <summary>All rules, concatenated.</summary>
    public AclRule[] Rules { get; }

    /// <summary>The compiled classifier.</summary>
    public AclClassifier Classifier { get; }

    /// <summary>Counts a hit of concatenated rule <paramref name="rule"/> on its ACL's counter.</summary>
    public void CountHit(int rule) => _acls[_aclOfRule[rule]].Hits[_ruleInAcl[rule]]++;

    /// <summary>The ACL index and rule number of concatenated rule <paramref name="rule"/>.</summary>
    public (int Acl, int Rule) Locate(int rule) => (_acls[_aclOfRule[rule]].Index, _ruleInAcl[rule]);
}
