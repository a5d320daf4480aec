using System.Diagnostics;
using System.Globalization;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using k8s;
using k8s.Models;

// ksr-sync-bench: the two halves of bench/ksr-sync.sh.
//   direct --etcd URL -n N [-p P] [--prefix P]   plain etcd client puts N pod records (same JSON KSR writes)
//   ksr --etcd URL --api URL -n N [-p P] [--name-prefix X] [--client http|kubernetes]
//       creates N pods through the API server, waits for N KSR keys. --client http (default): the pod bodies are
//       serialised to JSON before the clock starts and POSTed by one HttpClient (SocketsHttpHandler, a pool of P
//       HTTP/1.1 keep-alive connections), which checks only the status code (201) — the same work per object as the
//       direct client (a pre-serialised value, one request). --client kubernetes: KubernetesClient's
//       CreateNamespacedPodAsync (serialises a V1Pod per create and deserialises the answer into a V1Pod).
// Each prints one line: "<mode> n=<N> seconds=<s> … client_cpu=<s>" (seconds from the first write/create to the last
// key in etcd; client_cpu = this process's CPU time from the first write/create until the writes/creates are done).
namespace Contiv.Bench.KsrSync;

internal static class Program
{
    private const string KsrPodPrefix = "/vnf-agent/contiv-ksr/k8s/pod/";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: ksr-sync-bench direct --etcd URL -n N [-p PARALLEL] | ksr --etcd URL --api URL -n N [-p PARALLEL] [--name-prefix X] [--client http|kubernetes]");
            return args.Length == 0 ? 2 : 0;
        }

        var opts = Parse(args.Skip(1).ToArray());
        var n = int.Parse(opts.GetValueOrDefault("-n", "1000"), CultureInfo.InvariantCulture);
        var parallel = int.Parse(opts.GetValueOrDefault("-p", "16"), CultureInfo.InvariantCulture);
        var etcd = opts.GetValueOrDefault("--etcd") ?? throw new ArgumentException("--etcd URL is required");
        var namePrefix = opts.GetValueOrDefault("--name-prefix", $"b{n}-");
        switch (args[0])
        {
            case "direct":
                await DirectAsync(etcd, n, parallel, opts.GetValueOrDefault("--prefix", "/bench-direct/pod/"), namePrefix);
                return 0;
            case "ksr":
                var clientKind = opts.GetValueOrDefault("--client", "http");
                if (clientKind is not ("http" or "kubernetes"))
                {
                    await Console.Error.WriteLineAsync($"unknown --client '{clientKind}' (http or kubernetes)");
                    return 2;
                }

                await ThroughKsrAsync(etcd, opts.GetValueOrDefault("--api") ?? throw new ArgumentException("--api URL is required"), n, parallel, namePrefix, clientKind == "http");
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown mode '{args[0]}' (direct or ksr)");
                return 2;
        }
    }

    private static V1Pod BenchPod(string name, int i) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec { NodeName = "node-" + (i % 4), Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    // Baseline: a plain etcd client writing the records KSR would write, one put per record,
    // with the same parallelism the pod creator uses.
    private static async Task DirectAsync(string etcd, int n, int parallel, string prefix, string namePrefix)
    {
        using var client = new EtcdClient(etcd);
        var records = Enumerable.Range(0, n)
            .Select(i => (Key: $"{prefix}{namePrefix}{i:D5}/namespace/default", Value: ProtoJson.Format(PodConversion.ToProto(BenchPod($"{namePrefix}{i:D5}", i)))))
            .ToList();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (r, ct) =>
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(r.Key), Value = ByteString.CopyFromUtf8(r.Value) }, cancellationToken: ct));
        var seconds = sw.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var count = (await client.GetRangeAsync(prefix + namePrefix)).Count;
        if (count != n)
        {
            throw new InvalidOperationException($"direct: {count} of {n} keys under {prefix}{namePrefix}");
        }

        Console.WriteLine(FormattableString.Invariant($"direct n={n} seconds={seconds:0.000} client_cpu={cpu:0.000}"));
    }

    // KSR path: pods created through the API server (as controllers would), KSR reflects them;
    // the clock stops when the last of the N pod keys appears in etcd (seen through an etcd watch).
    private static async Task ThroughKsrAsync(string etcd, string api, int n, int parallel, string namePrefix, bool plainHttp)
    {
        using var client = new EtcdClient(etcd);
        using var kube = new Kubernetes(new KubernetesClientConfiguration { Host = api });
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = parallel,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        { BaseAddress = new Uri(api), DefaultRequestVersion = System.Net.HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var createUri = new Uri("/api/v1/namespaces/default/pods", UriKind.Relative);
        var bodies = plainHttp
            ? Enumerable.Range(0, n).Select(i => System.Text.Encoding.UTF8.GetBytes(KubernetesJson.Serialize(BenchPod($"{namePrefix}{i:D5}", i)))).ToArray()
            : [];
        var keyPrefix = KsrPodPrefix + namePrefix;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var allSeen = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startRevision = (await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/"), CountOnly = true })).Header.Revision + 1;
        var sw = new Stopwatch();
        using var stopWatch = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var watch = Task.Run(async () =>
        {
            var request = new WatchRequest
            {
                CreateRequest = new WatchCreateRequest
                {
                    Key = ByteString.CopyFromUtf8(keyPrefix),
                    RangeEnd = ByteString.CopyFromUtf8(EtcdClient.GetRangeEnd(keyPrefix)),
                    StartRevision = startRevision,
                },
            };
            await client.WatchAsync(request, (WatchResponse response) =>
            {
                lock (seen)
                {
                    foreach (var e in response.Events)
                    {
                        if (e.Type == Mvccpb.Event.Types.EventType.Put)
                        {
                            seen.Add(e.Kv.Key.ToStringUtf8());
                        }
                    }

                    if (seen.Count >= n)
                    {
                        allSeen.TrySetResult(sw.Elapsed);
                    }
                }
            }, cancellationToken: stopWatch.Token);
        });

        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        sw.Start();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            if (!plainHttp)
            {
                await kube.CoreV1.CreateNamespacedPodAsync(BenchPod($"{namePrefix}{i:D5}", i), "default", cancellationToken: ct);
                return;
            }

            using var content = new ByteArrayContent(bodies[i]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, createUri) { Content = content };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode != System.Net.HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"create pod {namePrefix}{i:D5}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        });
        var created = sw.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var last = await allSeen.Task.WaitAsync(TimeSpan.FromMinutes(5));
        await stopWatch.CancelAsync();
        try
        {
            await watch;
        }
        catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
        {
            // the watch ends with the cancellation
        }

        Console.WriteLine(FormattableString.Invariant($"ksr n={n} seconds={last.TotalSeconds:0.000} created={created:0.000} client_cpu={cpu:0.000}"));
    }

    private static Dictionary<string, string> Parse(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            result[args[i]] = args[i + 1];
        }

        return result;
    }
}
