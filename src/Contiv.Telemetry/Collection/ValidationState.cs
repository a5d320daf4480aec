namespace Contiv.Telemetry.Collection;

/// <summary>Which state of the agents' scheduler is validated (<c>CONTIV_CRD_VALIDATE_STATE</c>, SPEC §1.4).</summary>
public enum ValidationState
{
    /// <summary>Southbound: what the data plane really holds, read back now (default).</summary>
    SB,

    /// <summary>Northbound: what the agent wants.</summary>
    NB,

    /// <summary>What the agent believes it applied.</summary>
    Internal,
}
