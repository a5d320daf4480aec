namespace Contiv.Ksr.Reflection;

/// <summary>Reflector names, as Contiv's statistics and Prometheus label <c>reflectorType</c> use them.</summary>
internal static class ReflectorNames
{
    /// <summary>Namespaces.</summary>
    public const string Namespace = "Namespace";

    /// <summary>Pods.</summary>
    public const string Pod = "Pod";

    /// <summary>Pods labelled <c>sfc=true</c> (pod-to-node map).</summary>
    public const string SfcPod = "SfcPod";

    /// <summary>Network policies.</summary>
    public const string Policy = "Policy";

    /// <summary>Services.</summary>
    public const string Service = "Service";

    /// <summary>Endpoints (or EndpointSlices merged per service).</summary>
    public const string Endpoints = "Endpoints";

    /// <summary>Nodes.</summary>
    public const string Node = "Node";
}
