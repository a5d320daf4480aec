using System.Runtime.CompilerServices;
using Contiv.Crd.Definitions;
using Contiv.Ksr.Kube;
using k8s;
using k8s.Models;

namespace Contiv.Crd.Kube;

/// <summary>KSR's list-and-watch recipe (<see cref="KubeSource"/>) for one custom resource kind, all namespaces.</summary>
internal static class CustomResourceSource
{
    /// <summary>Lists and watches <c>/apis/{group}/{version}/{plural}</c> (every namespace, or the cluster-scoped objects).</summary>
    /// <param name="client">Kubernetes client.</param>
    /// <param name="kind">The kind.</param>
    /// <param name="watchTimeoutSeconds">Server-side timeout of one watch request.</param>
    /// <returns>The source for a <see cref="KubeInformer"/>.</returns>
    public static KubeSource For(IKubernetes client, CrdKind kind, int watchTimeoutSeconds = KubeSource.DefaultWatchTimeoutSeconds) => new(
        kind.Plural,
        async (cont, limit, ct) =>
        {
            var list = await client.CustomObjects.ListClusterCustomObjectAsync<CustomResourceList>(
                kind.Group, kind.Version, kind.Plural, continueParameter: cont, limit: limit, cancellationToken: ct).ConfigureAwait(false);
            return new KubeListPage((list.Items ?? []).Cast<IKubernetesObject<V1ObjectMeta>>().ToList(), list.Metadata?.ResourceVersion, list.Metadata?.ContinueProperty);
        },
        (rv, onError, ct) => Watch(client, kind, rv, watchTimeoutSeconds, onError, ct));

    private static async IAsyncEnumerable<(WatchEventType, IKubernetesObject<V1ObjectMeta>)> Watch(
        IKubernetes client, CrdKind kind, string resourceVersion, int timeoutSeconds, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var events = client.CustomObjects.WatchListClusterCustomObjectAsync(
            kind.Group, kind.Version, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct);
        await foreach (var (type, value) in events.ConfigureAwait(false))
        {
            yield return (type, CustomResource.From(value));
        }
    }
}
