using System.Text;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// The <c>/etc/resolv.conf</c> a pod's containers see, from its <c>dnsPolicy</c> and <c>dnsConfig</c> as kubelet
/// builds it: <c>ClusterFirst</c> (the default; host network pods fall back to the host's file unless
/// <c>ClusterFirstWithHostNet</c>) names the cluster DNS Service with the search path
/// <c>&lt;ns&gt;.svc.&lt;domain&gt; svc.&lt;domain&gt; &lt;domain&gt;</c> and <c>ndots:5</c>; <c>None</c> uses only
/// <c>dnsConfig</c>; <c>Default</c> keeps the host's file. <c>dnsConfig</c> nameservers and searches are appended,
/// its options override by name.
/// </summary>
internal static class PodDnsConfig
{
    /// <summary>What the pod's resolver gets, or null when it keeps the node's own resolv.conf (nothing is mounted or sent).</summary>
    public static PodDns? Compute(V1Pod pod, string? clusterDns, string clusterDomain)
    {
        var policy = pod.Spec.DnsPolicy ?? "ClusterFirst";
        var hostNetwork = pod.Spec.HostNetwork == true;
        var nameservers = new List<string>();
        var searches = new List<string>();
        var options = new List<(string Name, string? Value)>();
        switch (policy)
        {
            case "ClusterFirstWithHostNet":
            case "ClusterFirst" when !hostNetwork:
                if (clusterDns is null)
                {
                    // No cluster DNS in this lab (the bridge baseline): the node's resolver, as kubelet without --cluster-dns.
                    return null;
                }

                nameservers.Add(clusterDns);
                var ns = pod.Namespace();
                searches.AddRange([$"{ns}.svc.{clusterDomain}", $"svc.{clusterDomain}", clusterDomain]);
                options.Add(("ndots", "5"));
                break;
            case "None":
                break;
            default:
                return null;
        }

        var config = pod.Spec.DnsConfig;
        nameservers.AddRange(config?.Nameservers ?? []);
        searches.AddRange(config?.Searches ?? []);
        foreach (var option in config?.Options ?? [])
        {
            options.RemoveAll(o => o.Name == option.Name);
            options.Add((option.Name, option.Value));
        }

        // The resolver reads at most three nameservers.
        return new PodDns(
            [.. nameservers.Distinct(StringComparer.Ordinal).Take(3)],
            [.. searches.Distinct(StringComparer.Ordinal)],
            [.. options.Select(o => o.Value is null ? o.Name : $"{o.Name}:{o.Value}")]);
    }

    /// <summary>The file's text, or null when the pod keeps the node's own resolv.conf (nothing is mounted).</summary>
    public static string? Render(V1Pod pod, string? clusterDns, string clusterDomain)
        => Compute(pod, clusterDns, clusterDomain)?.ResolvConf();
}

/// <summary>A pod's resolver settings: what the process runner writes as resolv.conf and a CRI runtime gets as <c>DNSConfig</c>.</summary>
internal sealed record PodDns(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    /// <summary>The resolv.conf text (<c>search</c>, <c>nameserver</c> lines, <c>options</c>).</summary>
    public string ResolvConf()
    {
        var text = new StringBuilder();
        if (Searches.Count > 0)
        {
            text.Append("search ").AppendJoin(' ', Searches).Append('\n');
        }

        foreach (var server in Nameservers)
        {
            text.Append("nameserver ").Append(server).Append('\n');
        }

        if (Options.Count > 0)
        {
            text.Append("options ").AppendJoin(' ', Options).Append('\n');
        }

        return text.ToString();
    }
}
