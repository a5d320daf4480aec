using System.Globalization;
using Contiv.Lab.Lab;
using Contiv.Lab.Network;
using Contiv.Lab.Processes;

namespace Contiv.Lab.Nodes;

/// <summary>
/// The daemons of a node in an <c>up --stn</c> lab (docs/stn.md, "In the lab"): <c>contiv-stn</c> (holds the
/// node's NIC while the data plane has it, gives it back when the data plane dies) and <c>contiv-init</c> (asks
/// contiv-stn to steal <c>eth0</c>, runs <c>contiv-vpp</c> and <c>contiv-agent</c> as its children and exits when
/// either dies), both under the lab's supervisor, which restarts a contiv-init that exited, as kubelet restarts
/// the vswitch container. Started in the root namespace with <c>--netns</c>, like every node daemon.
/// </summary>
public static class StnNodes
{
    /// <summary>Component name of contiv-stn.</summary>
    public const string Stn = "stn";

    /// <summary>Component name of contiv-init (the data plane and the agent are its children).</summary>
    public const string Init = "init";

    /// <summary>A node's components, in start order.</summary>
    public static IReadOnlyList<string> Components { get; } = [Stn, Init, "kubelet"];

    /// <summary>contiv-stn's state file of a node (the stolen NIC's addresses and routes).</summary>
    public static string StateFile(LabNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Path.Combine(node.Dir, "stn-state.json");
    }

    /// <summary>Starts contiv-stn for a node and waits for its socket.</summary>
    public static async Task StartStnAsync(LabInstance lab, LabState state, LabNode node, LabBinaries bins, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(bins);
        string[] args =
        [
            "--socket", node.StnSocket,
            "--netns", node.Netns,
            "--state-file", StateFile(node),
        ];
        var record = LabNodes.Start(lab, state, Stn, node, bins.Path("contiv-stn"), args);
        await LabNodes.WaitForAsync("contiv-stn", record, () => File.Exists(node.StnSocket), TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts contiv-init for a node (it steals the NIC, then starts the data plane and the agent) and waits
    /// until the agent allocated its node ID.
    /// </summary>
    public static async Task<LabProcessRecord> StartInitAsync(LabInstance lab, LabState state, LabNode node, LabBinaries bins, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(bins);
        var args = new List<string>
        {
            "--config", NodeFiles.ContivConf(node),
            "--node-name", node.Name,
            "--netns", node.Netns,
            "--stn-socket", node.StnSocket,
            "--vpp", bins.Path("contiv-vpp"),
            "--agent", bins.Path("contiv-agent"),
        };

        // With '=': values starting with "--" must not be taken for contiv-init's own options.
        args.AddRange(LabNodes.VppArguments(node).Select(a => "--vpp-arg=" + a));
        args.AddRange(LabNodes.AgentArguments(lab, state, node).Select(a => "--agent-arg=" + a));
        // killOrphans: a kill -9 of contiv-init must not leave its data plane and agent running next to the new ones.
        var record = LabNodes.Start(lab, state, Init, node, bins.Path("contiv-init"), args, LabNodes.AgentEnvironment(node), killOrphans: true);
        await LabNodes.WaitForAsync("contiv-init", record, () => LabNodes.HasNodeIdAsync(state, node.Name).GetAwaiter().GetResult(), TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
        return record;
    }

    /// <summary>Starts every node's contiv-stn at once, then contiv-init node after node (node IDs are allocated first-free).</summary>
    public static async Task StartAsync(LabInstance lab, LabState state, IReadOnlyList<LabNode> nodes, LabBinaries bins, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(log);
        log($"contiv-stn: {string.Join(", ", nodes.Select(n => $"{n.Name} ({n.Netns}: {n.StnInterface} {StnUnderlay.NicOwner(n.Netns)})"))}");
        await Task.WhenAll(nodes.Select(n => StartStnAsync(lab, state, n, bins, ct))).ConfigureAwait(false);
        foreach (var n in nodes)
        {
            log($"contiv-init of {n.Name}: steals {n.StnInterface}, runs contiv-vpp and contiv-agent (REST on 127.0.0.1:{n.RestPort})");
            await StartInitAsync(lab, state, n, bins, ct).ConfigureAwait(false);
            log($"{n.Name}: {n.StnInterface} {StnUnderlay.NicOwner(n.Netns)}");
        }
    }

    /// <summary>
    /// <c>node restart</c> in an STN lab: <c>vpp</c> and <c>agent</c> mean contiv-init (their parent); restarting
    /// contiv-stn restarts contiv-init too (contiv-stn gives every NIC back when it stops). Logs the NIC going back
    /// to the host and being stolen again.
    /// </summary>
    public static async Task RestartAsync(LabInstance lab, LabState state, LabNode node, IReadOnlyCollection<string> components, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(log);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in components)
        {
            switch (c)
            {
                case "vpp" or "agent" or Init:
                    wanted.Add(Init);
                    break;
                case Stn:
                    wanted.Add(Stn);
                    wanted.Add(Init);
                    break;
                case "kubelet":
                    wanted.Add("kubelet");
                    break;
                default:
                    throw new ArgumentException($"component \"{c}\" is not one of {string.Join(", ", Components)} (or vpp, agent: contiv-init's children) in an STN lab");
            }
        }

        var bins = LabBinaries.Locate();
        log($"restarting {string.Join(", ", Components.Where(wanted.Contains))} of {node.Name}");
        await LabNodes.StopAsync(lab, state, node, wanted).ConfigureAwait(false);
        log($"{node.Name}: {node.StnInterface} {StnUnderlay.NicOwner(node.Netns)}");
        if (wanted.Contains(Stn))
        {
            await StartStnAsync(lab, state, node, bins, ct).ConfigureAwait(false);
        }

        if (wanted.Contains(Init))
        {
            var init = await StartInitAsync(lab, state, node, bins, ct).ConfigureAwait(false);
            await LabNodes.WaitAgentReadyAsync(node, init, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            log($"{node.Name}: {node.StnInterface} {StnUnderlay.NicOwner(node.Netns)}");
        }

        if (wanted.Contains("kubelet"))
        {
            LabNodes.StartKubelet(lab, state, node);
        }
    }

    /// <summary>The options <c>up --stn</c> does not combine with; null when fine.</summary>
    public static string? Incompatible(UpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Stn && options.Network != NetworkMode.Contiv
            ? string.Create(CultureInfo.InvariantCulture, $"--stn needs --network contiv (the bridge baseline has no vSwitch to give the NIC to), not {options.Network.ToString().ToLowerInvariant()}")
            : null;
    }
}
