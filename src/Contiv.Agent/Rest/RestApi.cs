using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Kube;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;
using Grpc.Core;

namespace Contiv.Agent.Rest;

/// <summary>The agent's REST endpoints (SPEC §5).</summary>
/// <remarks>
/// No reflection (the agent is published NativeAOT): bodies are built as <see cref="JsonNode"/>s or serialised by the
/// source-generated <see cref="CamelJson"/>; the endpoint delegates are bound at compile time (request delegate generator).
/// </remarks>
internal static class RestApi
{

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
            return Json(new JsonObject { ["status"] = "resync requested" });
        });
        app.MapGet("/scheduler/dump", (string? descriptor, string? state, string? view) => SchedulerDump(scheduler, descriptor, state ?? view));
        app.MapGet("/scheduler/txn-history", (long? seqNum, int? last) =>
        {
            var h = scheduler.History();
            var list = seqNum is { } n ? h.Where(t => t.SeqNum == n) : last is { } l ? h.Skip(Math.Max(0, h.Count - l)) : h;
            return Json(new JsonArray(list.Select(t => (JsonNode)new JsonObject
            {
                ["seqNum"] = t.SeqNum,
                ["kind"] = t.Kind.ToString(),
                ["description"] = t.Description,
                ["start"] = t.Start,
                ["end"] = t.End,
                ["withRevert"] = t.WithRevert,
                ["error"] = t.Error,
                ["operations"] = new JsonArray(t.Operations.Select(o => (JsonNode)new JsonObject
                {
                    ["key"] = o.Key,
                    ["operation"] = o.Operation.ToString(),
                    ["value"] = SafeNode(o.Value),
                    ["error"] = o.Error,
                    ["attempt"] = o.Attempt,
                    ["isRevert"] = o.IsRevert,
                    ["cascade"] = o.Cascade,
                    ["durationMs"] = o.DurationMs,
                }).ToArray()),
            }).ToArray()));
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
                return Error($"data plane unreachable at {dataplane.SocketPath}: {e.Status.Detail}", 503);
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
                return Error($"body must be {{\"vppclicommand\": \"...\"}}: {e.Message}", 400);
            }

            if (command.Length == 0)
            {
                return Error("vppclicommand is empty", 400);
            }

            if (CliCommandPolicy.Refusal(command, allowCliChanges) is { } refusal)
            {
                return Error(refusal, 403);
            }

            try
            {
                var reply = await dataplane.Client.CliAsync(new CliRequest { Command = command }, dataplane.Options()).ConfigureAwait(false);
                return Json(JsonValue.Create(reply.Output), reply.Error ? 400 : 200);
            }
            catch (RpcException e)
            {
                return Json(JsonValue.Create($"data plane unreachable at {dataplane.SocketPath}: {e.Status.Detail}"), 503);
            }
        });
    }

    private static IResult Ipam(AgentContext ctx)
    {
        var a = ctx.Addressing;
        var s = ctx.Settings;
        if (a is null || ctx.NodeIp is null)
        {
            return Error($"node {ctx.NodeName}: node IP not known yet", 500);
        }

        var sub = s.Subnets;
        return Json(new JsonObject
        {
            ["nodeId"] = ctx.NodeId,
            ["nodeName"] = ctx.NodeName,
            ["nodeIP"] = ctx.NodeIp.Value.Address.ToString(),
            ["podSubnetThisNode"] = a.PodSubnetThisNode.ToString(),
            ["vppHostNetwork"] = a.HostSubnetThisNode.ToString(),
            ["config"] = new JsonObject
            {
                ["useExternalIPAM"] = false,
                ["contivCIDR"] = sub.ContivCidr?.ToString() ?? string.Empty,
                ["serviceCIDR"] = sub.ServiceCidr.ToString(),
                ["nodeInterconnectDHCP"] = s.UseDhcp,
                ["podSubnetCIDR"] = sub.PodSubnetCidr.ToString(),
                ["podSubnetOneNodePrefixLen"] = sub.PodSubnetOneNodePrefixLen,
                ["vppHostSubnetCIDR"] = sub.VppHostSubnetCidr.ToString(),
                ["vppHostSubnetOneNodePrefixLen"] = sub.VppHostSubnetOneNodePrefixLen,
                ["nodeInterconnectCIDR"] = sub.NodeInterconnectCidr?.ToString() ?? string.Empty,
                ["vxlanCIDR"] = sub.VxlanCidr.ToString(),
                ["defaultGateway"] = sub.DefaultGateway?.ToString() ?? string.Empty,
                ["srv6"] = new JsonObject(),
            },
        });
    }

    private static IResult Allocations(AgentContext ctx)
    {
        var alloc = ctx.Allocator;
        var pods = alloc is null ? [] : AgentContext.Snapshot(() => alloc.Allocations);
        return Json(new JsonObject
        {
            ["Pods"] = new JsonArray(pods.Select(p => (JsonNode)new JsonObject
            {
                ["PodID"] = new JsonObject { ["Name"] = p.Key.Name, ["Namespace"] = p.Key.Namespace },
                ["MainIP"] = p.Value.ToString(),
                ["CustomIfIPs"] = new JsonArray(),
            }).ToArray()),
        });
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
        return Results.Content(JsonSerializer.Serialize(records, CamelJson.Default.IReadOnlyListEventRecord), "application/json; charset=utf-8");
    }

    private static IResult SchedulerDump(KvScheduler scheduler, string? descriptor, string? state)
    {
        if (string.IsNullOrEmpty(descriptor))
        {
            return Json(new JsonArray(scheduler.DescriptorNames.Append(LinuxInterfaceView.Name).Select(n => (JsonNode?)n).ToArray()));
        }

        // linux-interface is a view over linux-address items (LinuxInterfaceView).
        var view = descriptor == LinuxInterfaceView.Name;
        if (view)
        {
            descriptor = LinuxInterfaceView.Source;
        }

        if (!scheduler.DescriptorNames.Contains(descriptor))
        {
            return Error($"unknown descriptor '{descriptor}'", 404);
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
                    return Error($"retrieve of {descriptor} failed: {e.Message}", 503);
                }

                break;
            case "INTERNAL":
            case "CACHED":
                items = scheduler.DumpApplied(descriptor);
                break;
            default:
                return Error($"unknown state '{state}' (use NB, SB or internal)", 400);
        }

        if (view)
        {
            items = LinuxInterfaceView.From(items);
        }

        // Same shape as the vpp-agent kvscheduler dump: [{"Key": …, "Value": {…}}].
        return Json(new JsonArray(items.Select(kv => (JsonNode)new JsonObject
        {
            ["Key"] = kv.Key,
            ["Value"] = SafeNode(ValueJson.Format(kv.Value)),
        }).ToArray()));
    }

    private static IResult Probe(EventLoop loop, AgentContext ctx, bool ok) => Json(new JsonObject
    {
        ["state"] = ok ? "OK" : "ERROR",
        ["loopState"] = loop.State.ToString(),
        ["detail"] = loop.StateDetail,
        ["startupResyncDone"] = loop.StartupResyncDone,
        ["nodeName"] = ctx.NodeName,
        ["nodeId"] = ctx.NodeId,
        ["buildVersion"] = AgentBuildInfo.Version,
        ["buildDate"] = AgentBuildInfo.Date,
        ["startTime"] = AgentBuildInfo.StartTime,
    }, ok ? 200 : 503);

    // What Results.Json used (ASP.NET Core's defaults): the body goes straight to the client, no HTML-safe escaping of ' + < >.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON body written as is (what <c>Results.Json</c> sends, without reflection).</summary>
    internal static IResult Json(JsonNode? body, int statusCode = 200)
        => Results.Content(body?.ToJsonString(Relaxed) ?? "null", "application/json; charset=utf-8", statusCode: statusCode);

    /// <summary><c>{"error": message}</c> with the status code.</summary>
    internal static IResult Error(string message, int statusCode) => Json(new JsonObject { ["error"] = message }, statusCode);

    /// <summary>A value's JSON as a node; text that is not JSON as a string.</summary>
    private static JsonNode? SafeNode(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}
