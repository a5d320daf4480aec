using System.Globalization;
using System.Text.Json;
using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Kube;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;
using Grpc.Core;

namespace Contiv.Agent.Rest;

/// <summary>The agent's REST endpoints (SPEC §5).</summary>
internal static class RestApi
{
    private static readonly JsonSerializerOptions Camel = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
    private static readonly JsonSerializerOptions Verbatim = new() { PropertyNamingPolicy = null };

    /// <summary>Maps every endpoint.</summary>
    /// <param name="allowCliChanges">True: <c>POST /vpp/command</c> runs any command, not only <c>show …</c> (<see cref="CliCommandPolicy"/>).</param>
    public static void Map(WebApplication app, AgentContext ctx, EventLoop loop, KvScheduler scheduler, DataplaneConnection dataplane, Func<KsrWatcher?> watcher, bool allowCliChanges = false)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/contiv/v1/ipam", () => Ipam(ctx));
        app.MapGet("/contiv/v1/ipam/allocations", () => Allocations(ctx));
        app.MapGet("/controller/event-history", (HttpRequest req) => EventHistory(loop, req));
        app.MapPost("/controller/resync", () =>
        {
            var w = watcher();
            if (w is null)
            {
                return Results.Problem("etcd watcher not running", statusCode: 503);
            }

            w.RequestResync();
            return Results.Json(new { status = "resync requested" });
        });
        app.MapGet("/scheduler/dump", (string? descriptor, string? state, string? view) => SchedulerDump(scheduler, descriptor, state ?? view));
        app.MapGet("/scheduler/txn-history", (long? seqNum, int? last) =>
        {
            var h = scheduler.History();
            var list = seqNum is { } n ? h.Where(t => t.SeqNum == n) : last is { } l ? h.Skip(Math.Max(0, h.Count - l)) : h;
            return Results.Json(list.Select(t => new
            {
                seqNum = t.SeqNum,
                kind = t.Kind.ToString(),
                description = t.Description,
                start = t.Start,
                end = t.End,
                withRevert = t.WithRevert,
                error = t.Error,
                operations = t.Operations.Select(o => new
                {
                    key = o.Key,
                    operation = o.Operation.ToString(),
                    value = SafeElement(o.Value),
                    error = o.Error,
                    attempt = o.Attempt,
                    isRevert = o.IsRevert,
                    cascade = o.Cascade,
                    durationMs = o.DurationMs,
                }),
            }));
        });
        app.MapGet("/liveness", () => Probe(loop, ctx, loop.IsAlive));
        app.MapGet("/readiness", () => Probe(loop, ctx, loop.IsReady));
        app.MapGet("/dump/vpp/v2/nat/dnat", async () =>
        {
            try
            {
                var dump = await dataplane.Client.DumpAsync(new DumpRequest { Kinds = { ObjectKind.Nat44 } }, dataplane.Options()).ConfigureAwait(false);
                return Results.Content(DnatDump.From(dump).ToJsonString(), "application/json");
            }
            catch (RpcException e)
            {
                return Results.Json(new { error = $"data plane unreachable at {dataplane.SocketPath}: {e.Status.Detail}" }, statusCode: 503);
            }
        });
        app.MapPost("/vpp/command", async (HttpRequest req) =>
        {
            string command;
            try
            {
                using var doc = await JsonDocument.ParseAsync(req.Body).ConfigureAwait(false);
                command = doc.RootElement.TryGetProperty("vppclicommand", out var c) ? c.GetString() ?? string.Empty : string.Empty;
            }
            catch (JsonException e)
            {
                return Results.BadRequest(new { error = $"body must be {{\"vppclicommand\": \"...\"}}: {e.Message}" });
            }

            if (command.Length == 0)
            {
                return Results.BadRequest(new { error = "vppclicommand is empty" });
            }

            if (CliCommandPolicy.Refusal(command, allowCliChanges) is { } refusal)
            {
                return Results.Json(new { error = refusal }, statusCode: 403);
            }

            try
            {
                var reply = await dataplane.Client.CliAsync(new CliRequest { Command = command }, dataplane.Options()).ConfigureAwait(false);
                return reply.Error ? Results.Json(reply.Output, statusCode: 400) : Results.Json(reply.Output);
            }
            catch (RpcException e)
            {
                return Results.Json($"data plane unreachable at {dataplane.SocketPath}: {e.Status.Detail}", statusCode: 503);
            }
        });
    }

    private static IResult Ipam(AgentContext ctx)
    {
        var a = ctx.Addressing;
        var s = ctx.Settings;
        if (a is null || ctx.NodeIp is null)
        {
            return Results.Json(new { error = $"node {ctx.NodeName}: node IP not known yet" }, statusCode: 500);
        }

        var sub = s.Subnets;
        return Results.Json(new
        {
            nodeId = ctx.NodeId,
            nodeName = ctx.NodeName,
            nodeIP = ctx.NodeIp.Value.Address.ToString(),
            podSubnetThisNode = a.PodSubnetThisNode.ToString(),
            vppHostNetwork = a.HostSubnetThisNode.ToString(),
            config = new
            {
                useExternalIPAM = false,
                contivCIDR = sub.ContivCidr?.ToString() ?? string.Empty,
                serviceCIDR = sub.ServiceCidr.ToString(),
                nodeInterconnectDHCP = s.UseDhcp,
                podSubnetCIDR = sub.PodSubnetCidr.ToString(),
                podSubnetOneNodePrefixLen = sub.PodSubnetOneNodePrefixLen,
                vppHostSubnetCIDR = sub.VppHostSubnetCidr.ToString(),
                vppHostSubnetOneNodePrefixLen = sub.VppHostSubnetOneNodePrefixLen,
                nodeInterconnectCIDR = sub.NodeInterconnectCidr?.ToString() ?? string.Empty,
                vxlanCIDR = sub.VxlanCidr.ToString(),
                defaultGateway = sub.DefaultGateway?.ToString() ?? string.Empty,
                srv6 = new { },
            },
        });
    }

    private static IResult Allocations(AgentContext ctx)
    {
        var alloc = ctx.Allocator;
        var pods = alloc is null ? [] : AgentContext.Snapshot(() => alloc.Allocations);
        return Results.Json(new
        {
            Pods = pods.Select(p => new { PodID = new { p.Key.Name, p.Key.Namespace }, MainIP = p.Value.ToString(), CustomIfIPs = Array.Empty<string>() }),
        }, Verbatim);
    }

    private static IResult EventHistory(EventLoop loop, HttpRequest req)
    {
        static long? L(HttpRequest r, string k) => long.TryParse(r.Query[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        var since = L(req, "since");
        var until = L(req, "until");
        var records = loop.History(
            L(req, "seq-num"),
            since is null ? null : DateTimeOffset.FromUnixTimeSeconds(since.Value),
            until is null ? null : DateTimeOffset.FromUnixTimeSeconds(until.Value),
            L(req, "from"),
            L(req, "to"),
            (int?)L(req, "first"),
            (int?)L(req, "last"));
        return Results.Json(records, Camel);
    }

    private static IResult SchedulerDump(KvScheduler scheduler, string? descriptor, string? state)
    {
        if (string.IsNullOrEmpty(descriptor))
        {
            return Results.Json(scheduler.DescriptorNames.Append(LinuxInterfaceView.Name));
        }

        // linux-interface is a view over linux-address items (LinuxInterfaceView).
        var view = descriptor == LinuxInterfaceView.Name;
        if (view)
        {
            descriptor = LinuxInterfaceView.Source;
        }

        if (!scheduler.DescriptorNames.Contains(descriptor))
        {
            return Results.Json(new { error = $"unknown descriptor '{descriptor}'" }, statusCode: 404);
        }

        IReadOnlyDictionary<string, object> items;
        switch ((state ?? "NB").ToUpperInvariant())
        {
            case "NB":
                items = scheduler.DumpDesired(descriptor);
                break;
            case "SB":
                try
                {
                    items = scheduler.DumpRetrieved(descriptor);
                }
                catch (Exception e) when (e is RpcException or Contiv.Linux.NetlinkException)
                {
                    return Results.Json(new { error = $"retrieve of {descriptor} failed: {e.Message}" }, statusCode: 503);
                }

                break;
            case "INTERNAL":
            case "CACHED":
                items = scheduler.DumpApplied(descriptor);
                break;
            default:
                return Results.Json(new { error = $"unknown state '{state}' (use NB, SB or internal)" }, statusCode: 400);
        }

        if (view)
        {
            items = LinuxInterfaceView.From(items);
        }

        // Same shape as the vpp-agent kvscheduler dump: [{"Key": …, "Value": {…}}].
        return Results.Json(items.Select(kv => new { Key = kv.Key, Value = ValueJson.ToElement(kv.Value) }), Verbatim);
    }

    private static IResult Probe(EventLoop loop, AgentContext ctx, bool ok) => Results.Json(new
    {
        state = ok ? "OK" : "ERROR",
        loopState = loop.State.ToString(),
        detail = loop.StateDetail,
        startupResyncDone = loop.StartupResyncDone,
        nodeName = ctx.NodeName,
        nodeId = ctx.NodeId,
        buildVersion = AgentBuildInfo.Version,
        buildDate = AgentBuildInfo.Date,
        startTime = AgentBuildInfo.StartTime,
    }, statusCode: ok ? 200 : 503);

    private static JsonElement SafeElement(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            using var doc = JsonDocument.Parse(JsonSerializer.Serialize(json));
            return doc.RootElement.Clone();
        }
    }
}
