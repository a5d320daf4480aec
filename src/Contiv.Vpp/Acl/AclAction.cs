namespace Contiv.Vpp.Acl;

/// <summary>What an ACL rule does with the packets it matches (FD.io VPP's <c>is_permit</c> 0/1/2).</summary>
public enum AclAction : byte
{
    /// <summary>Drop.</summary>
    Deny = 0,
    /// <summary>Let the packet continue.</summary>
    Permit = 1,
    /// <summary>Permit and create a reflective session on the interface, so the replies pass too (<c>permit+reflect</c>).</summary>
    PermitReflect = 2,
}
