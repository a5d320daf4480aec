namespace Contiv.Agent.Services.Nat44;

/// <summary>A desired NAT44 object of the data plane, with its scheduler key.</summary>
internal interface INatObject
{
    /// <summary>Stable scheduler key (<see cref="Nat44Keys"/>).</summary>
    string Key { get; }
}
