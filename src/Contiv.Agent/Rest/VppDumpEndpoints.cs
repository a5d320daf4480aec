using System.Text.Json.Nodes;
using Contiv.Agent.Dataplane;
using Contiv.Model.Vpp;
using Grpc.Core;

namespace Contiv.Agent.Rest;

/// <summary>
/// vpp-agent's REST dumps of the data plane (SPEC §5, read by contiv-ui and netctl): interfaces (all, VXLAN, TAP),
/// bridge domains, L2 FIB, ARP and routes. Each is one <c>Dump</c> of the kinds it needs; 503 with the reason when
/// the data plane does not answer.
/// </summary>
internal static class VppDumpEndpoints
{
    /// <summary>Maps the dump paths.</summary>
    public static void Map(WebApplication app, DataplaneConnection dataplane)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(dataplane);
        app.MapGet("/dump/vpp/v2/interfaces", () => Dump(dataplane, d => VppDumpJson.Interfaces(d), ObjectKind.Interfaces));
        app.MapGet("/dump/vpp/v2/interfaces/vxlan", () => Dump(dataplane, d => VppDumpJson.Interfaces(d, InterfaceType.VxlanTunnel), ObjectKind.Interfaces));
        app.MapGet("/dump/vpp/v2/interfaces/tap", () => Dump(dataplane, d => VppDumpJson.Interfaces(d, InterfaceType.Tap), ObjectKind.Interfaces));
        app.MapGet("/dump/vpp/v2/bd", () => Dump(dataplane, VppDumpJson.BridgeDomains, ObjectKind.Interfaces, ObjectKind.BridgeDomains));
        app.MapGet("/dump/vpp/v2/fib", () => Dump(dataplane, VppDumpJson.L2Fib, ObjectKind.Interfaces, ObjectKind.BridgeDomains, ObjectKind.L2Fibs));
        app.MapGet("/dump/vpp/v2/arps", () => Dump(dataplane, VppDumpJson.Arps, ObjectKind.Interfaces, ObjectKind.Arps));
        app.MapGet("/dump/vpp/v2/routes", () => Dump(dataplane, VppDumpJson.Routes, ObjectKind.Interfaces, ObjectKind.Routes));
        // The path the original UI called (vpp-agent v1's), same content.
        app.MapGet("/vpp/dump/v1/routes", () => Dump(dataplane, VppDumpJson.Routes, ObjectKind.Interfaces, ObjectKind.Routes));
    }

    private static async Task<IResult> Dump(DataplaneConnection dataplane, Func<DumpReply, JsonNode> render, params ObjectKind[] kinds)
    {
        try
        {
            var dump = await dataplane.Client.DumpAsync(new DumpRequest { Kinds = { kinds } }, dataplane.Options()).ConfigureAwait(false);
            return Results.Content(render(dump).ToJsonString(), "application/json");
        }
        catch (RpcException e)
        {
            return RestApi.Error($"data plane unreachable at {dataplane.SocketPath}: {e.Status.Detail}", 503);
        }
    }
}
