using Contiv.ApiServer;
using Contiv.Testing;

namespace Contiv.Crd.Tests.Acceptance;

/// <summary>The real kubectl against the lab API server with contiv-crd running.</summary>
public sealed class KubectlTests
{
    private const string NodeConfigYaml = """
        apiVersion: nodeconfig.contiv.vpp/v1
        kind: NodeConfig
        metadata:
          name: node-2
        spec:
          mainVPPInterface:
            interfaceName: eth1
            ip: 192.168.16.2/24
          gateway: 192.168.16.1
        """;

    [Fact]
    public async Task Kubectl_applies_a_NodeConfig_that_lands_in_etcd_and_lists_the_crds()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        var dir = Directory.CreateTempSubdirectory("ct-crd-kubectl-").FullName;
        try
        {
            var kubeconfig = Path.Combine(dir, "kubeconfig");
            Kubeconfig.Write(kubeconfig, lab.Api.Url);
            var file = Path.Combine(dir, "nc.yaml");
            await File.WriteAllTextAsync(file, NodeConfigYaml);
            string Kubectl(params string[] args) => Shell.Run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(dir, "cache"), .. args], timeout: TimeSpan.FromSeconds(60))
                .EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut;

            var crds = Kubectl("get", "crd");
            Assert.Contains("nodeconfigs.nodeconfig.contiv.vpp", crds, StringComparison.Ordinal);
            Assert.Contains("telemetryreports.telemetry.contiv.vpp", crds, StringComparison.Ordinal);

            Assert.Contains("nodeconfig.nodeconfig.contiv.vpp/node-2 created", Kubectl("apply", "-f", file), StringComparison.Ordinal);
            await lab.WaitForValueAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-2", """{"node_name":"node-2","main_vpp_interface":{"interface_name":"eth1","ip":"192.168.16.2/24"},"gateway":"192.168.16.1"}""");
            await CrdLab.WaitUntilAsync(() => Task.FromResult(Kubectl("get", "nc", "node-2", "-o", "jsonpath={.status.status}") == "Success"), () => Kubectl("get", "nc", "node-2", "-o", "yaml"));

            await File.WriteAllTextAsync(file, NodeConfigYaml.Replace("gateway: 192.168.16.1", "gateway: 192.168.16.254", StringComparison.Ordinal));
            Assert.Contains("configured", Kubectl("apply", "-f", file), StringComparison.Ordinal);
            await lab.WaitForValueAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-2", """{"node_name":"node-2","main_vpp_interface":{"interface_name":"eth1","ip":"192.168.16.2/24"},"gateway":"192.168.16.254"}""");

            Assert.Contains("deleted", Kubectl("delete", "-f", file), StringComparison.Ordinal);
            await lab.WaitForNoKeyAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-2");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
