namespace Contiv.Agent.Controller;

/// <summary>Operations available to a handler during an update event.</summary>
internal interface IUpdateOperations
{
    /// <summary>Sets the desired value of a scheduler item.</summary>
    void Put(string key, object value);

    /// <summary>Removes a scheduler item from the desired state.</summary>
    void Delete(string key);

    /// <summary>The item's desired value as of this transaction (null = none).</summary>
    object? Get(string key);
}

/// <summary>Operations available during a resync: the union of all puts is the complete desired state.</summary>
internal interface IResyncOperations
{
    /// <summary>Sets the desired value of a scheduler item.</summary>
    void Put(string key, object value);

    /// <summary>The value put so far in this resync (null = none).</summary>
    object? Get(string key);
}

/// <summary>A plugin of the event loop (contivconf, nodesync, podmanager, ipam, ipnet …).</summary>
internal interface IEventHandler
{
    /// <summary>Handler name (for logs and history).</summary>
    string Name { get; }

    /// <summary>Whether this handler wants the event.</summary>
    bool HandlesEvent(AgentEvent ev);

    /// <summary>Rebuilds the handler's state and puts its whole desired configuration.</summary>
    void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn);

    /// <summary>Handles an update event; returns a short description of the change (empty = none).</summary>
    string Update(AgentEvent ev, IUpdateOperations txn);

    /// <summary>Undoes the handler's internal changes of a failed RevertOnFailure event.</summary>
    void Revert(AgentEvent ev);
}
