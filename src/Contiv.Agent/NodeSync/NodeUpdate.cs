using Contiv.Agent.Controller;

namespace Contiv.Agent.NodeSync;

/// <summary>Another node joined, left or changed (SPEC §1.6.3).</summary>
/// <param name="nodeName">Node name.</param>
/// <param name="prevState">State before (null = joined).</param>
/// <param name="newState">State after (null = left).</param>
internal sealed class NodeUpdate(string nodeName, NodeInfo? prevState, NodeInfo? newState) : AgentEvent
{
    /// <summary>Node name.</summary>
    public string NodeName { get; } = nodeName;

    /// <summary>State before.</summary>
    public NodeInfo? PrevState { get; } = prevState;

    /// <summary>State after.</summary>
    public NodeInfo? NewState { get; } = newState;

    /// <inheritdoc/>
    public override string Name => "Node Update";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.Update;

    /// <inheritdoc/>
    public override string ToString() => $"Node Update {NodeName}: {PrevState?.ToString() ?? "-"} -> {NewState?.ToString() ?? "-"}";
}
