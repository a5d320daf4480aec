using System.Text.RegularExpressions;
using Contiv.Linux;

namespace Contiv.Agent.PodManager;

/// <summary>
/// What the agent accepts from a CNI request before it touches anything (docs/security.md "Input
/// checks"): names by libcni's rules and Kubernetes' rules, and a network namespace that is a network
/// namespace and not the node's own — wiring a pod TAP into the node's namespace would hand the pod's
/// traffic path to the host network.
/// </summary>
internal sealed partial class CniInputRules
{
    private readonly List<((ulong Device, ulong Inode) Identity, string What)> _forbidden = [];

    /// <summary>Remembers the namespaces no pod may use: the agent's own and this node's host namespace.</summary>
    /// <param name="hostNetns">The node's host namespace (<c>--netns</c>); null = the agent's own.</param>
    public CniInputRules(string? hostNetns)
    {
        using (var own = NetworkNamespace.Open("/proc/self/ns/net"))
        {
            _forbidden.Add((own.Identity, "the agent's own network namespace"));
        }

        if (hostNetns is not null)
        {
            using var host = NetworkNamespace.Open(hostNetns);
            _forbidden.Add((host.Identity, $"the node's host network namespace ({hostNetns})"));
        }
    }

    /// <summary>Null when <paramref name="path"/> is a pod network namespace; otherwise why not.</summary>
    /// <param name="path">CNI_NETNS of the request.</param>
    public string? NetnsRefusal(string path)
    {
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/'))
        {
            return $"network namespace '{path}' is not an absolute path";
        }

        if (!File.Exists(path))
        {
            return $"network namespace '{path}' does not exist";
        }

        NetworkNamespace ns;
        try
        {
            ns = NetworkNamespace.Open(path);
        }
        catch (NetlinkException e)
        {
            return $"network namespace '{path}' cannot be opened: {e.Message}";
        }

        using (ns)
        {
            if (!ns.IsNetworkNamespace)
            {
                return $"'{path}' is not a network namespace";
            }

            var id = ns.Identity;
            foreach (var (identity, what) in _forbidden)
            {
                if (identity == id)
                {
                    return $"network namespace '{path}' is {what}, not a pod's";
                }
            }
        }

        return null;
    }

    /// <summary>libcni's container ID rule: an alphanumeric, then alphanumerics and <c>_.-</c>.</summary>
    /// <param name="id">CNI_CONTAINERID.</param>
    public static string? ContainerIdRefusal(string id)
        => id.Length is > 0 and <= 1024 && ContainerId().IsMatch(id)
            ? null
            : $"container ID '{Shorten(id)}' is invalid (an alphanumeric first, then alphanumerics, '_', '.', '-'; at most 1024)";

    /// <summary>libcni's interface name rule: 1–15 bytes, not <c>.</c>/<c>..</c>, no <c>/</c>, <c>:</c> or whitespace.</summary>
    /// <param name="name">CNI_IFNAME.</param>
    public static string? InterfaceNameRefusal(string name)
    {
        if (name.Length is 0 or > 15 || name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"interface name '{Shorten(name)}' is invalid (1-15 characters, not '.' or '..', no '/', ':' or whitespace)";
        }

        return null;
    }

    /// <summary>Kubernetes' rules: pod name a DNS-1123 subdomain (≤ 253), namespace a DNS-1123 label (≤ 63).</summary>
    /// <param name="name">K8S_POD_NAME.</param>
    /// <param name="ns">K8S_POD_NAMESPACE.</param>
    public static string? PodRefusal(string name, string ns)
    {
        if (name.Length > 253 || !Subdomain().IsMatch(name))
        {
            return $"pod name '{Shorten(name)}' is not a DNS-1123 subdomain (lower-case alphanumerics, '-', '.'; at most 253)";
        }

        if (ns.Length > 63 || !Label().IsMatch(ns))
        {
            return $"pod namespace '{Shorten(ns)}' is not a DNS-1123 label (lower-case alphanumerics and '-'; at most 63)";
        }

        return null;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")]
    private static partial Regex ContainerId();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}
