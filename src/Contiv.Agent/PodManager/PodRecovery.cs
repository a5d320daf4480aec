using Contiv.Agent.Controller;
using Contiv.Agent.Kube;
using Contiv.Model.Vpp;
using Microsoft.Extensions.Logging;
using KsrPod = Contiv.Model.Ksr.Pod;

namespace Contiv.Agent.PodManager;

/// <summary>
/// Rebuilds the local pod list from the data plane's own state when the agent's pod state file is unreadable
/// (SPEC decision 4): every pod TAP (<c>vpp-tap-&lt;container ID&gt;</c>) whose pod namespace still exists is a pod,
/// its IP is the static ARP entry (or /32 route) on that TAP, and its name is that of the KSR pod record with the
/// same IP. Running pods thus keep their interface and address instead of being unwired by the next resync.
/// </summary>
internal static class PodRecovery
{
    /// <summary>Prefix of pod TAP names (see <c>IpNetConfig.PodTapName</c>).</summary>
    public const string TapPrefix = "vpp-tap-";

    /// <summary>Namespace given to a recovered pod no KSR record names (kept wired; its IP stays allocated).</summary>
    public const string UnknownNamespace = "contiv-recovered";

    /// <summary>The pods the dump shows, named from <paramref name="kubeState"/> where possible.</summary>
    public static List<LocalPod> FromDump(DumpReply dump, KubeStateData kubeState, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(dump);
        ArgumentNullException.ThrowIfNull(kubeState);
        var byIp = new Dictionary<string, KsrPod>(StringComparer.Ordinal);
        foreach (var p in kubeState[KubeResources.Pod].Values.OfType<KsrPod>())
        {
            if (p.IpAddress.Length > 0)
            {
                byIp[p.IpAddress] = p;
            }
        }

        var pods = new List<LocalPod>();
        foreach (var itf in dump.Interfaces)
        {
            if (itf.Type != InterfaceType.Tap || !itf.Name.StartsWith(TapPrefix, StringComparison.Ordinal) || itf.Tap is null
                || itf.Tap.HostNamespace.Length == 0)
            {
                continue;
            }

            var containerId = itf.Name[TapPrefix.Length..];
            if (!File.Exists(itf.Tap.HostNamespace))
            {
                log.LogInformation("not recovering pod TAP {Tap}: its namespace {Netns} is gone", itf.Name, itf.Tap.HostNamespace);
                continue;
            }

            var ip = PodIp(dump, itf.Name);
            if (ip is null)
            {
                log.LogWarning("not recovering pod TAP {Tap}: no static ARP entry or /32 route gives its pod's IP", itf.Name);
                continue;
            }

            var pod = byIp.TryGetValue(ip, out var k)
                ? new LocalPod(k.Name, k.Namespace, containerId, itf.Tap.HostNamespace, itf.Tap.HostIfName, ip)
                : new LocalPod(containerId, UnknownNamespace, containerId, itf.Tap.HostNamespace, itf.Tap.HostIfName, ip);
            if (pod.Namespace == UnknownNamespace)
            {
                log.LogWarning("recovered pod TAP {Tap} ({Ip}) matches no KSR pod; kept as {Namespace}/{Name}", itf.Name, ip, pod.Namespace, pod.Name);
            }
            else
            {
                log.LogInformation("recovered pod {Namespace}/{Name} ({Ip}, container {Container}) from the data plane", pod.Namespace, pod.Name, ip, containerId);
            }

            pods.Add(pod);
        }

        return pods;
    }

    private static string? PodIp(DumpReply dump, string tap)
    {
        foreach (var a in dump.Arps)
        {
            if (a.Static && a.Interface == tap)
            {
                return a.IpAddress;
            }
        }

        foreach (var r in dump.Routes)
        {
            if (r.OutInterface == tap && r.DstNetwork.EndsWith("/32", StringComparison.Ordinal))
            {
                return r.DstNetwork[..^3];
            }
        }

        return null;
    }
}
