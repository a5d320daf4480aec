using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer;

/// <summary>Settings of the lab API server.</summary>
public sealed class LabApiServerOptions
{
    /// <summary>Address to listen on; 127.0.0.1 by default.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>CIDR that Service cluster IPs come from.</summary>
    public string ServiceCidr { get; set; } = "10.96.0.0/12";

    /// <summary>Range of node ports, <c>LOW-HIGH</c>.</summary>
    public string NodePortRange { get; set; } = "30000-32767";

    /// <summary>How many events are kept for watches resuming from a resourceVersion; older ones get 410 Expired.</summary>
    public int EventHistorySize { get; set; } = 100_000;

    /// <summary>Interval of bookmarks on watches that allow them (the real server: about one minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Watch duration when the client gives no <c>timeoutSeconds</c> (the real server: 30–60 minutes).</summary>
    public TimeSpan DefaultWatchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Scheduled pods are deleted gracefully (deletionTimestamp first, removal when a kubelet deletes them
    /// with grace 0 or when the grace period ends). False removes pods at once.
    /// </summary>
    public bool GracefulPodDeletion { get; set; } = true;

    /// <summary>Creates the <c>default/kubernetes</c> Service (first service IP, port 443) and its Endpoints.</summary>
    public bool CreateKubernetesService { get; set; } = true;

    /// <summary>Runs the endpoints controller (Endpoints from Services' selectors and ready pods).</summary>
    public bool RunEndpointsController { get; set; } = true;

    /// <summary>Seed for generated names, uids and allocations (tests); null for a random seed.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>etcd endpoints (<c>http://127.0.0.1:2379</c>) for persistence; null or empty keeps everything in memory.</summary>
    public IReadOnlyList<string>? EtcdEndpoints { get; set; }

    /// <summary>Key prefix of the persisted objects in etcd.</summary>
    public string EtcdPrefix { get; set; } = "/contiv-lab-apiserver";

    /// <summary>etcd TLS and authentication (CA, client certificate, user); its endpoints are replaced by <see cref="EtcdEndpoints"/>.</summary>
    public Contiv.Store.EtcdBrokerOptions EtcdSecurity { get; set; } = new();

    /// <summary>When set, a kubeconfig pointing at the server is written there once it listens.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>Logging; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
