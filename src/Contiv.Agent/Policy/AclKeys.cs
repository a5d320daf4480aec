namespace Contiv.Agent.Policy;

/// <summary>Scheduler keys of ACLs (vpp-agent's ACL model key, SPEC §3.3).</summary>
internal static class AclKeys
{
    /// <summary>Prefix of every ACL key; the ACL's name follows.</summary>
    public const string Prefix = "config/vpp/acls/v2/acl/";
}
