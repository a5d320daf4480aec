namespace Contiv.Vpp.Acl;

/// <summary>
/// One ACL: its index (stable while it exists; the CLI's <c>index N</c>), its tag (the API's name;
/// <c>cli</c> for ACLs built by hand), its rules and one hit counter per rule. Replacing the rules
/// creates a new <see cref="AccessList"/> with the same index (counters restart, as in VPP).
/// </summary>
internal sealed class AccessList(int index, string tag, AclRule[] rules)
{
    /// <summary>Index.</summary>
    public int Index { get; } = index;

    /// <summary>Tag (the API's key).</summary>
    public string Tag { get; } = tag;

    /// <summary>Rules in evaluation order.</summary>
    public AclRule[] Rules { get; } = rules;

    /// <summary>Packets each rule matched (written by the ACL nodes under the plugin lock).</summary>
    public long[] Hits { get; } = new long[rules.Length];
}
