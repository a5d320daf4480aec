using System.Text.RegularExpressions;

namespace Contiv.Lab.Lab;

/// <summary>
/// Names and paths of one lab on this machine. Everything a lab creates carries its prefix, so
/// <c>down</c> can find it again even when the state file was lost in a crash: network namespaces
/// start with <see cref="NetnsPrefix"/> (<c>cl-</c> for the default instance, <c>cl{instance}-</c>
/// otherwise), files live under <see cref="StateDir"/>, and every process the lab starts carries
/// the environment variable <see cref="MarkerVariable"/> = <see cref="Name"/> (inherited by pod
/// workloads and CNI invocations).
/// </summary>
public sealed partial class LabInstance
{
    /// <summary>Name of the instance used when none is given.</summary>
    public const string DefaultName = "default";

    /// <summary>Environment variable marking every process of a lab (value: the instance name).</summary>
    public const string MarkerVariable = "CONTIV_LAB_INSTANCE";

    /// <summary>Root of all lab state directories (tmpfs: a reboot forgets every lab).</summary>
    public const string RunRoot = "/run/contiv-lab";

    private LabInstance(string name)
    {
        Name = name;
        NetnsPrefix = name == DefaultName ? "cl-" : $"cl{name}-";
        StateDir = Path.Combine(RunRoot, name);
    }

    /// <summary>Instance name: <c>default</c>, or 1–8 lowercase letters/digits (the e2e tests use their own).</summary>
    public string Name { get; }

    /// <summary>Prefix of every network namespace of this lab.</summary>
    public string NetnsPrefix { get; }

    /// <summary>Directory holding the state file, configs, sockets, logs and etcd's data.</summary>
    public string StateDir { get; }

    /// <summary>The state file (JSON).</summary>
    public string StateFile => Path.Combine(StateDir, "state.json");

    /// <summary>Directory of component logs.</summary>
    public string LogDir => Path.Combine(StateDir, "logs");

    /// <summary>The kubeconfig written by <c>up</c>.</summary>
    public string KubeconfigPath => Path.Combine(StateDir, "kubeconfig");

    /// <summary>The shared agent configuration (contiv.conf).</summary>
    public string ContivConfPath => Path.Combine(StateDir, "contiv.conf");

    /// <summary>The namespace holding the underlay bridges.</summary>
    public string LabNetns => NetnsPrefix + "lab";

    /// <summary>Namespace of node number <paramref name="index"/> (its host network).</summary>
    public string NodeNetns(int index) => $"{NetnsPrefix}node{index}";

    /// <summary>Directory of one node's files (configs, sockets, CNI conf and binaries).</summary>
    public string NodeDir(string nodeName) => Path.Combine(StateDir, "nodes", nodeName);

    /// <summary>Prefix of the namespaces of pods on any node.</summary>
    public string PodNetnsPrefix => NetnsPrefix + "pod-";

    /// <summary>Resolves an instance from the <c>--instance</c> value (null/empty = default); rejects bad names.</summary>
    public static LabInstance Resolve(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return new LabInstance(DefaultName);
        }

        if (name != DefaultName && !NamePattern().IsMatch(name))
        {
            throw new ArgumentException($"lab instance name \"{name}\" is invalid: use \"{DefaultName}\" or 1-8 lowercase letters and digits");
        }

        return new LabInstance(name);
    }

    /// <summary>True when a namespace name belongs to this lab.</summary>
    public bool OwnsNetns(string netnsName) => netnsName.StartsWith(NetnsPrefix, StringComparison.Ordinal);

    [GeneratedRegex("^[a-z0-9]{1,8}$")]
    private static partial Regex NamePattern();
}
