using Contiv.Cni.Agent;
using Contiv.Cni.Ipam;
using Contiv.Cni.Protocol;
using Grpc.Core;

namespace Contiv.Cni.Commands;

/// <summary>
/// STATUS: the agent must accept a gRPC call on <c>grpcServer</c>; when it serves the standard
/// gRPC health service, it must report SERVING; when <c>readinessUrl</c> is set, that probe must
/// answer 200. Otherwise code 50. The IPAM plugin is asked too,
/// when it speaks the configuration's version (STATUS exists from 1.1.0 on).
/// </summary>
public static class StatusCommand
{
    private static readonly Method<byte[], byte[]> HealthCheck = new(
        MethodType.Unary, "grpc.health.v1.Health", "Check",
        Marshallers.Create(static b => b, static b => b),
        Marshallers.Create(static b => b, static b => b));

    /// <summary>Runs STATUS; prints nothing.</summary>
    public static string? Run(Invocation inv)
    {
        var agent = new AgentConnection(inv.Conf.GrpcServer);
        agent.EnsureSocketExists(CniErrorCode.PluginNotAvailable);
        byte[] response;
        try
        {
            // HealthCheckRequest{service=""} is the empty message.
            response = agent.Invoker.BlockingUnaryCall(HealthCheck, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5)), []);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            // The agent answers gRPC but has no health service: reachable is all we can tell.
            response = [0x08, 0x01];
        }
        catch (RpcException e)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"agent not reachable via grpcServer {agent.Server}: {e.StatusCode}: {e.Status.Detail}");
        }

        var status = ServingStatus(response);
        if (status != 1)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"agent at {agent.Server} is not ready (health status {StatusName(status)})");
        }

        if (inv.Conf.ReadinessUrl is { } url)
        {
            RequireReady(url);
        }

        if (inv.FindIpam() is { } ipam)
        {
            Forward(ipam, inv);
        }

        return null;
    }

    /// <summary>The agent's readiness probe must answer 200 within a few seconds.</summary>
    private static void RequireReady(Uri url)
    {
        try
        {
            var (status, reason) = ReadinessProbe.Get(url, TimeSpan.FromSeconds(3));
            if (status is < 200 or > 299)
            {
                throw new CniException(CniErrorCode.PluginNotAvailable, $"agent is not ready: readinessUrl {url} answered {status} {reason}");
            }
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, $"agent readiness unknown: readinessUrl {url}: {e.Message}");
        }
    }

    /// <summary>Runs STATUS on the IPAM plugin when it speaks this configuration's version.</summary>
    private static void Forward(IpamPlugin ipam, Invocation inv)
    {
        var env = inv.OwnDelegateEnv();
        if (!ipam.SupportedVersions(env).Contains(inv.Conf.CniVersion))
        {
            inv.Log.Info($"ipam {ipam.Type} does not speak cniVersion {inv.Conf.CniVersion}: STATUS not forwarded");
            return;
        }

        try
        {
            ipam.Run("STATUS", inv.Conf.Text, env);
        }
        catch (CniException e)
        {
            var code = e.Code is CniErrorCode.PluginNotAvailable or CniErrorCode.PluginNotAvailableLimitedConnectivity
                ? e.Code
                : CniErrorCode.PluginNotAvailable;
            throw new CniException(code, e.Message, e.Details);
        }
    }

    /// <summary>Field 1 (enum ServingStatus) of a HealthCheckResponse; 0 (UNKNOWN) when absent.</summary>
    private static int ServingStatus(byte[] message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = message[i++];
            if (tag == 0x08 && i < message.Length)
            {
                return message[i] & 0x7f;
            }

            // Any other field: stop; the health response only has field 1.
            break;
        }

        return 0;
    }

    private static string StatusName(int status) => status switch
    {
        0 => "UNKNOWN",
        2 => "NOT_SERVING",
        3 => "SERVICE_UNKNOWN",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
