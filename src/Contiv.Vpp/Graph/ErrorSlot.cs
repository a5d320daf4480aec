namespace Contiv.Vpp.Graph;

/// <summary>
/// One of a graph node's error counters, returned by <see cref="GraphNode.AddError"/> together with
/// its reason string (VPP's error strings); turned into a global counter index by the node's
/// <c>Error</c> method.
/// </summary>
/// <param name="Offset">Position among the node's error counters.</param>
public readonly record struct ErrorSlot(int Offset);
