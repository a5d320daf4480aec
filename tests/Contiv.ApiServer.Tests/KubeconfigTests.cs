using k8s;

namespace Contiv.ApiServer.Tests;

/// <summary>The kubeconfig the lab writes works for the official client, not only for kubectl.</summary>
public sealed class KubeconfigTests
{
    [Fact]
    public async Task KubernetesClient_loads_the_written_kubeconfig_and_lists_namespaces()
    {
        await using var server = await Lab.StartAsync();
        var dir = Directory.CreateTempSubdirectory("ct-kubeconfig-").FullName;
        try
        {
            var path = Path.Combine(dir, "kubeconfig");
            Kubeconfig.Write(path, server.Url);

            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            using var client = new Kubernetes(config);
            var namespaces = await client.CoreV1.ListNamespaceAsync();

            Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
