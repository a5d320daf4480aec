namespace Contiv.Vpp.Acl;

/// <summary>An ACL as the control plane sees it (<see cref="Dataplane.Acls"/>): rules, hit counters and where it is applied.</summary>
/// <param name="Index">The ACL's index (the CLI's <c>index N</c>).</param>
/// <param name="Tag">Its tag: the API's name, <c>cli</c> for ACLs built by hand.</param>
/// <param name="Rules">Rules in evaluation order.</param>
/// <param name="Hits">Packets each rule matched.</param>
/// <param name="Ingress">Interfaces whose input list holds it.</param>
/// <param name="Egress">Interfaces whose output list holds it.</param>
public sealed record AclEntry(int Index, string Tag, IReadOnlyList<AclRule> Rules, IReadOnlyList<long> Hits, IReadOnlyList<string> Ingress, IReadOnlyList<string> Egress);
