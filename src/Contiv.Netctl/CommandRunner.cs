using System.CommandLine;
using Contiv.Store;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl;

/// <summary>Runs a command body with a session and turns failures into one line on stderr and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>Exit codes: 0 ok, 1 failure (etcd, agent, unknown node, validation errors), 2 bad options.</summary>
    public static async Task<int> RunAsync(GlobalOptions global, ParseResult parse, CancellationToken ct, Func<NetctlSession, Task<int>> body)
    {
        EtcdBrokerOptions etcd;
        AgentClientOptions agents;
        try
        {
            etcd = global.EtcdOptions(parse);
            agents = global.AgentOptions(parse);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"contiv-netctl: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            await using var session = new NetctlSession(etcd, agents);
            return await body(session).ConfigureAwait(false);
        }
        catch (NetctlException e)
        {
            await Console.Error.WriteLineAsync($"contiv-netctl: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (AgentUnreachableException e)
        {
            await Console.Error.WriteLineAsync($"contiv-netctl: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (StoreException e)
        {
            await Console.Error.WriteLineAsync($"contiv-netctl: etcd at {string.Join(",", etcd.Endpoints)}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
