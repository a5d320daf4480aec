namespace Contiv.Vpp.Graph;

/// <summary>
/// A next-node slot of a graph node, returned by <see cref="GraphNode.AddNext"/> when the node names
/// its next node; the name and the slot are bound in that one call, so they cannot drift apart.
/// </summary>
/// <param name="Slot">Position in the node's next-node list.</param>
public readonly record struct NextSlot(int Slot);
