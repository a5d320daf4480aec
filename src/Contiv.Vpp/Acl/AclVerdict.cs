namespace Contiv.Vpp.Acl;

/// <summary>What <see cref="AclPlugin.Check"/> decided for a packet (each verdict has its node counter).</summary>
internal enum AclVerdict : byte
{
    /// <summary>No ACL applies to the interface direction: the packet passes unchecked.</summary>
    NotChecked = 0,
    /// <summary>A permit rule matched.</summary>
    Permit = 1,
    /// <summary>A permit+reflect rule matched and created a session.</summary>
    PermitNewSession = 2,
    /// <summary>The packet belongs to an existing session (checked before the rules).</summary>
    ExistingSession = 3,
    /// <summary>A deny rule matched.</summary>
    Deny = 4,
    /// <summary>No rule matched: ACLs are applied, so the packet is denied.</summary>
    NoMatch = 5,
    /// <summary>A permit+reflect rule matched but the session table is full.</summary>
    TooManySessions = 6,
    /// <summary>Not a parseable IPv4 header.</summary>
    Malformed = 7,
}
