using Contiv.Agent.Controller;

namespace Contiv.Agent.Config;

/// <summary>contivconf as an event handler: configuration is loaded once at start, so it only reports it.</summary>
internal sealed class ContivConfHandler(NodeSettings settings) : IEventHandler
{
    /// <inheritdoc/>
    public string Name => "contivconf";

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update;

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        if (settings.UseDhcp)
        {
            throw new FatalEventException($"node {settings.NodeName}: DHCP on the main interface is not supported by this data plane; configure nodeInterconnectCIDR or a static ip");
        }
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn) => string.Empty;

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
    }
}
