using k8s;
using k8s.Models;

namespace Contiv.Ksr.Kube;

/// <summary>One page of a list call: the items, the list's resource version and the continue token.</summary>
/// <param name="Items">Items of this page.</param>
/// <param name="ResourceVersion">The list's <c>metadata.resourceVersion</c> (the point to watch from).</param>
/// <param name="Continue">Token for the next page, or null/empty on the last page.</param>
internal sealed record KubeListPage(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, string? ResourceVersion, string? Continue);

/// <summary>
/// How to list and watch one Kubernetes resource across all namespaces with KubernetesClient
/// (<c>GET /api/v1/pods?limit=…</c> and <c>?watch=1&amp;resourceVersion=…&amp;allowWatchBookmarks=true</c>).
/// </summary>
/// <param name="Resource">Resource name for logs and errors, e.g. <c>pods</c>.</param>
/// <param name="List">Lists one page: (continue token or null, page size, cancellation).</param>
/// <param name="Watch">Watches from a resource version: (resource version, error callback, cancellation).</param>
internal sealed record KubeSource(
    string Resource,
    Func<string?, int, CancellationToken, Task<KubeListPage>> List,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)>> Watch)
{
    /// <summary>Server-side watch timeout; the watch is then re-established from the last resource version.</summary>
    public const int DefaultWatchTimeoutSeconds = 300;

    /// <summary>namespaces (core/v1).</summary>
    public static KubeSource Namespaces(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "namespaces",
        async (cont, limit, ct) => Page(await client.CoreV1.ListNamespaceAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>pods (core/v1), all namespaces.</summary>
    public static KubeSource Pods(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "pods",
        async (cont, limit, ct) => Page(await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>services (core/v1), all namespaces.</summary>
    public static KubeSource Services(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "services",
        async (cont, limit, ct) => Page(await client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>endpoints (core/v1), all namespaces.</summary>
    public static KubeSource Endpoints(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "endpoints",
        async (cont, limit, ct) => Page(await client.CoreV1.ListEndpointsForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.CoreV1.WatchListEndpointsForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>endpointslices (discovery.k8s.io/v1), all namespaces.</summary>
    public static KubeSource EndpointSlices(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "endpointslices",
        async (cont, limit, ct) => Page(await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>networkpolicies (networking.k8s.io/v1), all namespaces.</summary>
    public static KubeSource NetworkPolicies(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "networkpolicies",
        async (cont, limit, ct) => Page(await client.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    /// <summary>nodes (core/v1).</summary>
    public static KubeSource Nodes(IKubernetes client, int watchTimeoutSeconds = DefaultWatchTimeoutSeconds) => new(
        "nodes",
        async (cont, limit, ct) => Page(await client.CoreV1.ListNodeAsync(continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, onError, ct) => Cast(client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: watchTimeoutSeconds, onError: onError, cancellationToken: ct)));

    private static KubeListPage Page<T>(IKubernetesObject<V1ListMeta> list)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var items = ((IItems<T>)list).Items ?? [];
        return new KubeListPage(items.Cast<IKubernetesObject<V1ObjectMeta>>().ToList(), list.Metadata?.ResourceVersion, list.Metadata?.ContinueProperty);
    }

    private static KubeListPage Page(V1NamespaceList list) => Page<V1Namespace>(list);

    private static KubeListPage Page(V1PodList list) => Page<V1Pod>(list);

    private static KubeListPage Page(V1ServiceList list) => Page<V1Service>(list);

    private static KubeListPage Page(V1EndpointsList list) => Page<V1Endpoints>(list);

    private static KubeListPage Page(V1EndpointSliceList list) => Page<V1EndpointSlice>(list);

    private static KubeListPage Page(V1NetworkPolicyList list) => Page<V1NetworkPolicy>(list);

    private static KubeListPage Page(V1NodeList list) => Page<V1Node>(list);

    private static async IAsyncEnumerable<(WatchEventType, IKubernetesObject<V1ObjectMeta>)> Cast<T>(IAsyncEnumerable<(WatchEventType, T)> events)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        await foreach (var (type, obj) in events.ConfigureAwait(false))
        {
            yield return (type, obj);
        }
    }
}
