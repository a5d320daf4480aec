namespace Contiv.Agent.Services.Nat44;

/// <summary>One backend of a static mapping.</summary>
/// <param name="Ip">Backend address.</param>
/// <param name="Port">Backend port.</param>
/// <param name="VrfId">VRF in which the backend address is routed (0 for host-stack backends on this node, else the pod VRF).</param>
/// <param name="Probability">
/// Relative weight of this backend among the mapping's locals (serviceLocalEndpointWeight for local ones,
/// 1 for remote ones); 0 when it is the only local (a plain, non-load-balanced mapping).
/// </param>
internal sealed record NatLocal(string Ip, int Port, uint VrfId, uint Probability)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Ip}:{Port} vrf {VrfId} probability {Probability}";
}
