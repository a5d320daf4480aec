using System.CommandLine;
using Contiv.Telemetry;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl.Commands;

/// <summary><c>validate</c>: one topology validation round now (SPEC §1.4 validators), printed as the report's text.</summary>
internal static class ValidateCommand
{
    public static Command Create(GlobalOptions global)
    {
        var state = new Option<string>("--state") { Description = "scheduler state validated: SB (the data plane as it is), NB (desired) or internal (applied)", DefaultValueFactory = _ => "SB" };
        state.AcceptOnlyFromAmong("SB", "NB", "internal");
        var command = new Command("validate", "Validate the cluster now: poll every agent and run the IP-ARP, VXLAN-BD, L2-FIB, K8S-NODE, POD and L3-FIB validators. Prints one 'node: VALIDATOR: finding' line per fault and ends with 'global: validation OK' (exit 0) or 'global: N errors found' (exit 1).") { state };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            await session.SnapshotAsync(ct).ConfigureAwait(false); // etcd errors name the endpoint
            var s = parse.GetValue(state) switch { "NB" => ValidationState.NB, "internal" => ValidationState.Internal, _ => ValidationState.SB };
            var snapshot = await session.Collector.CollectAsync(s, ct).ConfigureAwait(false);
            var report = TopologyValidator.Validate(snapshot, DateTimeOffset.UtcNow);
            Console.Write(report.ToText());
            return report.IsOk ? 0 : 1;
        }));
        return command;
    }
}
