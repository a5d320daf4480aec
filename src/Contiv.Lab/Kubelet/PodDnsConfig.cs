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
    /// <summary>The file's text, or null when the pod keeps the node's own resolv.conf (nothing is mounted).</summary>
    public static string? Render(V1Pod pod, string? clusterDns, string clusterDomain)
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

        var text = new StringBuilder();
        if (searches.Count > 0)
        {
            text.Append("search ").AppendJoin(' ', searches.Distinct(StringComparer.Ordinal)).Append('\n');
        }

        // The resolver reads at most three nameservers.
        foreach (var server in nameservers.Distinct(StringComparer.Ordinal).Take(3))
        {
            text.Append("nameserver ").Append(server).Append('\n');
        }

        if (options.Count > 0)
        {
            text.Append("options ").AppendJoin(' ', options.Select(o => o.Value is null ? o.Name : $"{o.Name}:{o.Value}")).Append('\n');
        }

        return text.ToString();
    }
}
