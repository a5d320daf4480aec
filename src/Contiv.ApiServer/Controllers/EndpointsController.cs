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
/// The same pass keeps the Service's EndpointSlices (discovery.k8s.io/v1, the EndpointSlice controller): one slice per
/// port set, from the same pod selection, with per-endpoint <c>ready</c>/<c>serving</c>/<c>terminating</c> conditions
/// (terminating pods stay in the slices, not ready, as the real controller keeps them), labelled
/// <c>kubernetes.io/service-name</c> and <c>endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io</c>.
/// </summary>
internal sealed class EndpointsController : IAsyncDisposable
{
    private readonly ResourceRegistry _registry;
    private readonly ILogger _log;
    private readonly ResourceType _pods;
    private readonly ResourceType _services;
    private readonly ResourceType _endpoints;
    private readonly ResourceType? _slices;
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
        _slices = registry.Catalog.Find("discovery.k8s.io", "v1", "endpointslices");
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
        if (e.StoreKey is not ("pods" or "services") && !(e.StoreKey == "endpointslices.discovery.k8s.io" && e.Type == WatchEventType.Deleted))
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

                    if (_registry.TryGet(_services, ns, name) is null)
                    {
                        SyncSlices(ns, name, null, []);
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
            var groups = Collect(svc, selector, pods);
            SyncSlices(ns, name, svc, groups);
            var desiredSubsets = Subsets(groups);
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

    /// <summary>One endpoint of a Service: a selected pod with an IP (terminating ones too: the slices keep them).</summary>
    private sealed record Entry(string Ip, string Uid, JsonObject Address, bool Ready, bool Serving, bool Terminating, bool LeftOutOfEndpoints);

    /// <summary>
    /// The selected pods of a Service grouped by their resolved port set (sorted by key): what both the Endpoints
    /// subsets and the EndpointSlices are made of.
    /// </summary>
    private static List<(JsonArray Ports, List<Entry> Entries)> Collect(JsonObject svc, JsonObject selector, IReadOnlyList<JsonObject> pods)
    {
        var publishNotReady = Json.Str(svc, "spec", "publishNotReadyAddresses") == "true";
        var servicePorts = (Json.At(svc, "spec", "ports") as JsonArray ?? []).OfType<JsonObject>().ToList();
        // Addresses grouped by their resolved port set (the repacking of the real controller).
        var groups = new SortedDictionary<string, (JsonArray Ports, List<Entry> Entries)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var labels = Json.At(pod, "metadata", "labels") as JsonObject;
            if (labels is null || !selector.All(kv => Json.AsString(labels[kv.Key]) is { } v && v == Json.AsString(kv.Value)))
            {
                continue;
            }

            var phase = Json.Str(pod, "status", "phase");
            var ip = Json.Str(pod, "status", "podIP");
            if (phase is "Succeeded" or "Failed" || string.IsNullOrEmpty(ip))
            {
                continue;
            }

            var terminating = Json.At(pod, "metadata", "deletionTimestamp") is not null;
            var podReady = (Json.At(pod, "status", "conditions") as JsonArray ?? [])
                .Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True");
            var ready = publishNotReady || (podReady && !terminating);
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

            group.Entries.Add(new Entry(ip, uid, address, ready, publishNotReady || podReady, terminating, terminating && !publishNotReady));
        }

        return groups.Values.Select(g => (g.Ports, g.Entries.OrderBy(a => IpKey(a.Ip)).ThenBy(a => a.Uid, StringComparer.Ordinal).ToList())).ToList();
    }

    /// <summary>Endpoints subsets: the groups without terminating pods (ready ones in addresses, others not ready).</summary>
    private static JsonArray Subsets(List<(JsonArray Ports, List<Entry> Entries)> groups)
    {
        var subsets = new JsonArray();
        foreach (var (groupPorts, entries) in groups)
        {
            var subset = new JsonObject();
            var sorted = entries.Where(a => !a.LeftOutOfEndpoints).ToList();
            if (sorted.Count == 0)
            {
                continue;
            }

            var ports = (JsonArray)groupPorts.DeepClone();
            var readyList = sorted.Where(a => a.Ready).Select(a => (JsonNode?)a.Address.DeepClone()).ToArray();
            var notReady = sorted.Where(a => !a.Ready).Select(a => (JsonNode?)a.Address.DeepClone()).ToArray();
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

    /// <summary>The label naming a slice's Service.</summary>
    internal const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>The label naming the controller that manages a slice.</summary>
    internal const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";

    /// <summary>Our value of <see cref="ManagedByLabel"/> (the real controller's).</summary>
    internal const string ManagedBy = "endpointslice-controller.k8s.io";

    /// <summary>
    /// Makes the Service's managed EndpointSlices match <paramref name="groups"/>: one slice per port set, named
    /// <c>{service}-{hash of the port set}</c> (stable, so an unchanged port set updates its slice in place), a placeholder
    /// slice without endpoints or ports when nothing is selected; slices of ours no longer wanted (or all of them when
    /// <paramref name="svc"/> is null: the Service is gone) are deleted. Only changed slices are written.
    /// </summary>
    private void SyncSlices(string ns, string name, JsonObject? svc, List<(JsonArray Ports, List<Entry> Entries)> groups)
    {
        if (_slices is null)
        {
            return;
        }

        var existing = _registry.List(_slices, ns).Items
            .Where(x => Json.Str(x, "metadata", "labels", ServiceNameLabel) == name && Json.Str(x, "metadata", "labels", ManagedByLabel) == ManagedBy)
            .ToDictionary(x => Json.Str(x, "metadata", "name")!, StringComparer.Ordinal);
        var desired = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (svc is not null)
        {
            var labels = (Json.At(svc, "metadata", "labels") as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
            if (Json.Str(svc, "spec", "clusterIP") is null or "" or "None")
            {
                labels["service.kubernetes.io/headless"] = string.Empty;
            }

            labels[ServiceNameLabel] = name;
            labels[ManagedByLabel] = ManagedBy;
            var owner = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["name"] = name,
                ["uid"] = Json.Str(svc, "metadata", "uid"),
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            };
            foreach (var (ports, entries) in groups.Count > 0 ? groups : [(new JsonArray(), new List<Entry>())])
            {
                var slicePorts = new JsonArray(ports.Select(p => (JsonNode?)new JsonObject
                {
                    ["name"] = Json.Str(p, "name") ?? string.Empty,
                    ["port"] = Json.Long(p!["port"]),
                    ["protocol"] = Json.Str(p, "protocol") ?? "TCP",
                }).ToArray());
                for (var i = 0; i < ports.Count; i++)
                {
                    if (Json.Str(ports[i], "appProtocol") is { } ap)
                    {
                        ((JsonObject)slicePorts[i]!)["appProtocol"] = ap;
                    }
                }

                var endpoints = new JsonArray();
                foreach (var e in entries)
                {
                    var ep = new JsonObject
                    {
                        ["addresses"] = new JsonArray(e.Ip),
                        ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Serving, ["terminating"] = e.Terminating },
                    };
                    foreach (var field in new[] { "hostname", "nodeName", "targetRef" })
                    {
                        if (e.Address[field] is { } v)
                        {
                            ep[field] = v.DeepClone();
                        }
                    }

                    endpoints.Add(ep);
                }

                var sliceName = SliceName(name, slicePorts);
                var slice = new JsonObject
                {
                    ["apiVersion"] = "discovery.k8s.io/v1",
                    ["kind"] = "EndpointSlice",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = sliceName,
                        ["namespace"] = ns,
                        ["labels"] = labels.DeepClone(),
                        ["ownerReferences"] = new JsonArray(owner.DeepClone()),
                    },
                    ["addressType"] = "IPv4",
                    ["endpoints"] = endpoints,
                };
                if (slicePorts.Count > 0)
                {
                    slice["ports"] = slicePorts;
                }

                desired[sliceName] = slice;
            }
        }

        foreach (var (sliceName, slice) in desired)
        {
            if (!existing.TryGetValue(sliceName, out var current))
            {
                TryWrite(() => _registry.Create(_slices, ns, slice), ns, sliceName);
                continue;
            }

            if (Json.DeepEquals(current["endpoints"] ?? new JsonArray(), slice["endpoints"]) && Json.DeepEquals(current["ports"], slice["ports"])
                && Json.DeepEquals(Json.At(current, "metadata", "labels"), Json.At(slice, "metadata", "labels")))
            {
                continue;
            }

            var next = (JsonObject)current.DeepClone();
            next["endpoints"] = slice["endpoints"]!.DeepClone();
            next.Remove("ports");
            if (slice["ports"] is { } p)
            {
                next["ports"] = p.DeepClone();
            }

            Json.Obj(next, "metadata")["labels"] = Json.At(slice, "metadata", "labels")!.DeepClone();
            TryWrite(() => _registry.Update(_slices, ns, sliceName, next, false, out _), ns, sliceName);
        }

        foreach (var stale in existing.Keys.Where(k => !desired.ContainsKey(k)))
        {
            TryWrite(() => _registry.Delete(_slices, ns, stale, new DeleteOptions(), out _), ns, stale);
        }
    }

    /// <summary><c>{service}-{5 characters of a hash of the port set}</c>, the service part cut so the name stays ≤ 63.</summary>
    private static string SliceName(string service, JsonArray ports)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(ports.ToJsonString()))
        {
            hash = (hash ^ b) * 16777619u;
        }

        var suffix = new char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = alphabet[(int)(hash % (uint)alphabet.Length)];
            hash /= (uint)alphabet.Length;
        }

        return $"{(service.Length > 57 ? service[..57] : service)}-{new string(suffix)}";
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
