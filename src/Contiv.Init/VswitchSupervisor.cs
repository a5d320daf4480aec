using System.Diagnostics;
using Contiv.Linux;
using Contiv.Model.Stn;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Init;

/// <summary>
/// contiv-init's run (SPEC §1.6): steal the STN interface, start the data plane and the agent, and when
/// either dies (or contiv-init is told to stop) stop the other, give the NIC back and exit, so that the
/// node's supervisor restarts the pair from a clean state.
/// </summary>
internal sealed class VswitchSupervisor(InitOptions options, ILogger log)
{
    /// <summary>Grace between SIGTERM and SIGKILL when stopping a child.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs until a child dies (exit 1) or <paramref name="stop"/> fires (exit 0).</summary>
    public async Task<int> RunAsync(string? stnInterface, CancellationToken stop)
    {
        using var stn = stnInterface is null ? null : new StnClient(options.StnSocket);
        var stolen = stn is not null && await StealAsync(stn, stnInterface!).ConfigureAwait(false);
        var children = new List<Process>();
        try
        {
            var vpp = Start("contiv-vpp", options.Vpp, options.VppArgs);
            children.Add(vpp);
            var agent = Start("contiv-agent", options.Agent, options.AgentArgs);
            children.Add(agent);

            var stopped = Task.Delay(Timeout.Infinite, stop);
            var first = await Task.WhenAny(vpp.WaitForExitAsync(CancellationToken.None), agent.WaitForExitAsync(CancellationToken.None), stopped).ConfigureAwait(false);
            if (first == stopped)
            {
                log.LogInformation("stopping the vSwitch (signal)");
                return 0;
            }

            var dead = vpp.HasExited ? vpp : agent;
            log.LogError("{Name} (pid {Pid}) exited with {Code}: stopping the vSwitch", dead == vpp ? "contiv-vpp" : "contiv-agent", dead.Id, dead.ExitCode);
            return 1;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.LogError("cannot start the vSwitch: {Error}", e.Message);
            return 1;
        }
        finally
        {
            // The agent first: it must not reconfigure a data plane that is going away.
            for (var i = children.Count - 1; i >= 0; i--)
            {
                await StopAsync(children[i]).ConfigureAwait(false);
                children[i].Dispose();
            }

            if (stolen)
            {
                await ReleaseAsync(stn!, stnInterface!).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> StealAsync(StnClient stn, string name)
    {
        try
        {
            var reply = await stn.Stn.StealInterfaceAsync(new STNRequest { InterfaceName = name }).ConfigureAwait(false);
            log.LogInformation("STN: stole {Name} (driver {Driver}, PCI {Pci}, addresses [{Addresses}], {Routes} routes)",
                name, reply.KernelDriver, reply.PciAddress, string.Join(", ", reply.IpAddresses), reply.Routes.Count);
            return true;
        }
        catch (RpcException e)
        {
            // As the original: the vSwitch still starts (the host keeps its NIC, the data plane runs without it).
            log.LogError("STN: stealing {Name} through {Socket} failed: {Error}; starting without STN", name, stn.SocketPath, e.Status.Detail);
            return false;
        }
    }

    private async Task ReleaseAsync(StnClient stn, string name)
    {
        try
        {
            await stn.Stn.ReleaseInterfaceAsync(new STNRequest { InterfaceName = name }).ConfigureAwait(false);
            log.LogInformation("STN: gave {Name} back to the host", name);
        }
        catch (RpcException e)
        {
            log.LogError("STN: releasing {Name} through {Socket} failed: {Error}", name, stn.SocketPath, e.Status.Detail);
        }
    }

    private Process Start(string what, string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"{what}: {file} did not start");
        log.LogInformation("started {What}: {File} {Args} (pid {Pid})", what, file, string.Join(' ', args), p.Id);
        return p;
    }

    private async Task StopAsync(Process p)
    {
        if (p.HasExited)
        {
            return;
        }

        try
        {
            _ = ProcessSignals.Terminate(p.Id);
            using var grace = new CancellationTokenSource(StopGrace);
            await p.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("pid {Pid} did not stop within {Grace}: killing it", p.Id, StopGrace);
            p.Kill();
            await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
