using Contiv.ApiServer.Registry;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.Storage;

/// <summary>Persistence of the registry's objects in etcd (loads on start, writes every committed change).</summary>
internal static class EtcdPersistence
{
    public static Task<IAsyncDisposable> AttachAsync(ResourceRegistry registry, LabApiServerOptions options, ILogger log, CancellationToken cancellationToken)
        => throw new NotSupportedException($"etcd persistence ({string.Join(',', options.EtcdEndpoints ?? [])}) is not available yet in this build");
}
