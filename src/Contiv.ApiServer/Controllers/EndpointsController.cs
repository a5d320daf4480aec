using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Storage;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.Controllers;

/// <summary>
/// Keeps an Endpoints object per Service with a selector: the ready (and not-ready) addresses of the
/// pods in the Service's namespace that match the selector and have a pod IP, with the Service's ports
/// resolved against the pods' container ports. Changes are batched per namespace (a burst of pod
/// updates collapses into one pass) and a write happens only when subsets or labels changed.
/// </summary>
internal sealed class EndpointsController : IAsyncDisposable
{
    private readonly ResourceRegistry _registry;
    private readonly ILogger _log;
    private readonly ResourceType _pods;
    private readonly ResourceType _services;
    private readonly ResourceType _endpoints;
    private readonly object _gate = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly List<(string Ns, string Name)> _deletedServices = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EndpointsController(ResourceRegistry registry, ILogger log)
    {
        _registry = registry;
        _log = log;
        _pods = registry.Catalog.Find(string.Empty, "v1", "pods")!;
        _services = registry.Catalog.Find(string.Empty, "v1", "services")!;
        _endpoints = registry.Catalog.Find(string.Empty, "v1", "endpoints")!;
        registry.Committed += OnCommitted;
        foreach (var svc in registry.List(_services, null).Items)
        {
            _dirty.Add(Json.Str(svc, "metadata", "namespace")!);
        }

        _wake.Writer.TryWrite(true);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Number of reconcile passes done so far.</summary>
    public int Passes { get; private set; }

    private void OnCommitted(StoreEvent e)
    {
        if (e.StoreKey is not ("pods" or "services"))
        {
            return;
        }

        var ns = Json.Str(e.Object, "metadata", "namespace");
        if (ns is null)
        {
            return;
        }

        lock (_gate)
        {
            _dirty.Add(ns);
            if (e.StoreKey == "services" && e.Type == WatchEventType.Deleted)
            {
                _deletedServices.Add((ns, Json.Str(e.Object, "metadata", "name")!));
            }
        }

        _wake.Writer.TryWrite(true);
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(_stop.Token))
            {
                _wake.Reader.TryRead(out _);
                // Let a burst accumulate a little before the pass.
                await Task.Delay(20, _stop.Token);
                List<string> namespaces;
                List<(string Ns, string Name)> deleted;
                lock (_gate)
                {
                    namespaces = [.. _dirty];
                    _dirty.Clear();
                    deleted = [.. _deletedServices];
                    _deletedServices.Clear();
                }

                foreach (var (ns, name) in deleted)
                {
                    if (_registry.TryGet(_services, ns, name) is null && _registry.TryGet(_endpoints, ns, name) is not null)
                    {
                        TryWrite(() => _registry.Delete(_endpoints, ns, name, new DeleteOptions(), out _), ns, name);
                    }
                }

                foreach (var ns in namespaces)
                {
                    SyncNamespace(ns);
                }

                Passes++;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void TryWrite(Action write, string ns, string name)
    {
        try
        {
            write();
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Raced with a user change; the change re-marks the namespace.
            _wake.Writer.TryWrite(true);
            lock (_gate)
            {
                _dirty.Add(ns);
            }
        }
        catch (ApiException e)
        {
            _log.LogWarning("endpoints {Namespace}/{Name}: {Message}", ns, name, e.Message);
        }
    }

    private void SyncNamespace(string ns)
    {
        var services = _registry.List(_services, ns).Items;
        if (!services.Any(s => Json.At(s, "spec", "selector") is JsonObject { Count: > 0 }))
        {
            return;
        }

        var pods = _registry.List(_pods, ns).Items;
        foreach (var svc in services)
        {
            var selector = Json.At(svc, "spec", "selector") as JsonObject;
            if (selector is null || selector.Count == 0 || Json.Str(svc, "spec", "type") == "ExternalName")
            {
                continue;
            }

            var name = Json.Str(svc, "metadata", "name")!;
            var desiredSubsets = Subsets(svc, selector, pods);
            var labels = (Json.At(svc, "metadata", "labels") as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
            if (Json.Str(svc, "spec", "clusterIP") is null or "" or "None")
            {
                labels["service.kubernetes.io/headless"] = string.Empty;
            }

            var current = _registry.TryGet(_endpoints, ns, name);
            if (current is null)
            {
                var ep = new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Endpoints",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
                };
                if (desiredSubsets.Count > 0)
                {
                    ep["subsets"] = desiredSubsets;
                }

                TryWrite(() => _registry.Create(_endpoints, ns, ep), ns, name);
                continue;
            }

            var currentSubsets = current["subsets"] as JsonArray ?? [];
            var currentLabels = Json.At(current, "metadata", "labels") as JsonObject ?? [];
            if (Json.DeepEquals(currentSubsets, desiredSubsets) && Json.DeepEquals(currentLabels, labels))
            {
                continue;
            }

            var next = (JsonObject)current.DeepClone();
            next.Remove("subsets");
            if (desiredSubsets.Count > 0)
            {
                next["subsets"] = desiredSubsets;
            }

            Json.Obj(next, "metadata")["labels"] = labels;
            TryWrite(() => _registry.Update(_endpoints, ns, name, next, false, out _), ns, name);
        }
    }

    private static JsonArray Subsets(JsonObject svc, JsonObject selector, IReadOnlyList<JsonObject> pods)
    {
        var publishNotReady = Json.Str(svc, "spec", "publishNotReadyAddresses") == "true";
        var servicePorts = (Json.At(svc, "spec", "ports") as JsonArray ?? []).OfType<JsonObject>().ToList();
        // Addresses grouped by their resolved port set (the repacking of the real controller).
        var groups = new SortedDictionary<string, (JsonArray Ports, List<(string Ip, string Uid, JsonObject Address, bool Ready)> Addresses)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var labels = Json.At(pod, "metadata", "labels") as JsonObject;
            if (labels is null || !selector.All(kv => Json.AsString(labels[kv.Key]) is { } v && v == Json.AsString(kv.Value)))
            {
                continue;
            }

            var phase = Json.Str(pod, "status", "phase");
            var ip = Json.Str(pod, "status", "podIP");
            if (phase is "Succeeded" or "Failed" || string.IsNullOrEmpty(ip) || (Json.At(pod, "metadata", "deletionTimestamp") is not null && !publishNotReady))
            {
                continue;
            }

            var ready = publishNotReady || (Json.At(pod, "status", "conditions") as JsonArray ?? [])
                .Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True");
            var ports = new JsonArray();
            foreach (var sp in servicePorts)
            {
                var protocol = Json.Str(sp, "protocol") ?? "TCP";
                var target = sp["targetPort"] ?? sp["port"];
                long? port = Json.Long(target);
                if (port is null && Json.AsString(target) is { } portName)
                {
                    port = FindNamedPort(pod, portName, protocol);
                }

                if (port is null)
                {
                    continue;
                }

                var ep = new JsonObject();
                if (Json.Str(sp, "name") is { Length: > 0 } n)
                {
                    ep["name"] = n;
                }

                ep["port"] = port.Value;
                ep["protocol"] = protocol;
                if (Json.Str(sp, "appProtocol") is { } ap)
                {
                    ep["appProtocol"] = ap;
                }

                ports.Add(ep);
            }

            if (servicePorts.Count > 0 && ports.Count == 0)
            {
                continue;
            }

            var address = new JsonObject { ["ip"] = ip };
            if (Json.Str(pod, "spec", "hostname") is { } hostname && Json.Str(pod, "spec", "subdomain") == Json.Str(svc, "metadata", "name"))
            {
                address["hostname"] = hostname;
            }

            if (Json.Str(pod, "spec", "nodeName") is { Length: > 0 } node)
            {
                address["nodeName"] = node;
            }

            var uid = Json.Str(pod, "metadata", "uid") ?? string.Empty;
            address["targetRef"] = new JsonObject
            {
                ["kind"] = "Pod",
                ["namespace"] = Json.Str(pod, "metadata", "namespace"),
                ["name"] = Json.Str(pod, "metadata", "name"),
                ["uid"] = uid,
            };
            var key = string.Join(';', ports.OrderBy(p => Json.Str(p, "name"), StringComparer.Ordinal).Select(p => p!.ToJsonString()));
            if (!groups.TryGetValue(key, out var group))
            {
                var sorted = new JsonArray(ports.OrderBy(p => Json.Str(p, "name"), StringComparer.Ordinal).ThenBy(p => Json.Long(p!["port"])).Select(p => p!.DeepClone()).ToArray());
                group = (sorted, []);
                groups[key] = group;
            }

            group.Addresses.Add((ip, uid, address, ready));
        }

        var subsets = new JsonArray();
        foreach (var (_, (ports, addresses)) in groups)
        {
            var subset = new JsonObject();
            var sorted = addresses.OrderBy(a => IpKey(a.Ip)).ThenBy(a => a.Uid, StringComparer.Ordinal).ToList();
            var readyList = sorted.Where(a => a.Ready).Select(a => (JsonNode?)a.Address).ToArray();
            var notReady = sorted.Where(a => !a.Ready).Select(a => (JsonNode?)a.Address).ToArray();
            if (readyList.Length > 0)
            {
                subset["addresses"] = new JsonArray(readyList);
            }

            if (notReady.Length > 0)
            {
                subset["notReadyAddresses"] = new JsonArray(notReady);
            }

            if (ports.Count > 0)
            {
                subset["ports"] = ports;
            }

            subsets.Add(subset);
        }

        return subsets;
    }

    private static long? FindNamedPort(JsonObject pod, string name, string protocol)
    {
        foreach (var c in Json.At(pod, "spec", "containers") as JsonArray ?? [])
        {
            foreach (var p in Json.At(c, "ports") as JsonArray ?? [])
            {
                if (Json.Str(p, "name") == name && (Json.Str(p, "protocol") ?? "TCP") == protocol)
                {
                    return Json.Long(Json.At(p, "containerPort"));
                }
            }
        }

        return null;
    }

    private static UInt128 IpKey(string ip)
        => System.Net.IPAddress.TryParse(ip, out var a) ? new UInt128(0, BitConverter.ToUInt64([.. a.MapToIPv6().GetAddressBytes().Skip(8).Reverse()])) : UInt128.MaxValue;

    public async ValueTask DisposeAsync()
    {
        _registry.Committed -= OnCommitted;
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    internal static string Format(long v) => v.ToString(CultureInfo.InvariantCulture);
}
