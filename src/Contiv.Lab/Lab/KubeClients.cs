using System.Text.RegularExpressions;
using k8s;

namespace Contiv.Lab.Lab;

/// <summary>
/// Kubernetes clients for the lab API server. The lab's kubeconfig has a user without credentials
/// (the server does no auth), which KubernetesClient's kubeconfig loader rejects, so the client is
/// built from the kubeconfig's <c>server:</c> URL instead.
/// </summary>
public static partial class KubeClients
{
    /// <summary>A client for the server named in <paramref name="kubeconfig"/>.</summary>
    public static Kubernetes FromKubeconfig(string kubeconfig) => new(new KubernetesClientConfiguration { Host = ServerUrl(kubeconfig) });

    /// <summary>The <c>server:</c> URL of the first cluster in a kubeconfig.</summary>
    public static string ServerUrl(string kubeconfig)
    {
        var text = File.Exists(kubeconfig) ? File.ReadAllText(kubeconfig) : throw new FileNotFoundException($"kubeconfig {kubeconfig} does not exist", kubeconfig);
        var m = ServerLine().Match(text);
        return m.Success ? m.Groups[1].Value : throw new InvalidDataException($"kubeconfig {kubeconfig} names no server");
    }

    [GeneratedRegex(@"^\s*server:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}
