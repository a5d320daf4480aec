using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// <c>contiv-lab up --secure</c>: the whole lab on mutual-TLS etcd and authenticated HTTPS REST
/// (docs/security.md), and pods still get connectivity. One lab, one test: E2E runs are slow.
/// </summary>
public sealed class SecureLabTests
{
    [RootFact]
    public void A_secure_lab_runs_on_mtls_etcd_with_authenticated_rest_and_pods_pass_the_matrix()
    {
        using var lab = new Lab("e2es");
        var up = lab.Run(TimeSpan.FromSeconds(240), "up", "--secure", "--nodes", "1", "--no-cluster-dns");
        Assert.True(up.ExitCode == 0, $"contiv-lab up --secure failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}\n{lab.Diagnostics()}");

        using var state = JsonDocument.Parse(File.ReadAllText(lab.StateDir + "/state.json"));
        var etcd = state.RootElement.GetProperty("etcdUrl").GetString()!;
        var restPort = state.RootElement.GetProperty("nodes")[0].GetProperty("restPort").GetInt32();
        var ksrPort = state.RootElement.GetProperty("ksrPort").GetInt32();
        var tls = lab.StateDir + "/tls";
        Assert.StartsWith("https://127.0.0.1:", etcd, StringComparison.Ordinal);

        // etcd: the CA alone (no client certificate) is refused by the TLS handshake; with the lab's client certificate it answers.
        var anonymousEtcd = Shell.Run("curl", ["-s", "-m", "5", "--cacert", tls + "/ca.pem", etcd + "/health"]);
        Assert.DoesNotContain("\"health\":\"true\"", anonymousEtcd.StdOut, StringComparison.Ordinal);
        var certifiedEtcd = Shell.Run("curl", ["-s", "-m", "5", "--cacert", tls + "/ca.pem", "--cert", tls + "/client.pem", "--key", tls + "/client-key.pem", etcd + "/health"]);
        Assert.Contains("\"health\":\"true\"", certifiedEtcd.StdOut, StringComparison.Ordinal);

        // Agent and KSR REST: HTTPS, 401 without the password, 200 with it.
        var password = File.ReadAllLines(tls + "/rest-password")[0];
        string Status(string url, bool withPassword) => Shell.Run("curl", [
            "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", tls + "/ca.pem",
            .. withPassword ? new[] { "-u", "contiv:" + password } : [], url]).StdOut;
        Assert.Equal("401", Status($"https://127.0.0.1:{restPort}/contiv/v1/ipam", withPassword: false));
        Assert.Equal("200", Status($"https://127.0.0.1:{restPort}/contiv/v1/ipam", withPassword: true));
        Assert.Equal("401", Status($"https://127.0.0.1:{ksrPort}/log/list", withPassword: false));
        Assert.Equal("200", Status($"https://127.0.0.1:{ksrPort}/log/list", withPassword: true));

        // KSR reflected the node through TLS etcd, the agent got its ID, and pods are wired and connected.
        lab.Apply(Pods.Join(Pods.Web("sweb1", "node1"), Pods.Web("sweb2", "node1")));
        Assert.StartsWith("10.1.1.", lab.PodField("sweb1", "{.status.podIP}"), StringComparison.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var (code, report, raw) = lab.Check();
            if (code == 0 && report.Results.Count > 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"check failed in the secure lab:\n{raw}\n{lab.Diagnostics()}");
            Thread.Sleep(1000);
        }

        // contiv-netctl through the lab's env: mTLS etcd, HTTPS agents checked against the lab's CA, basic auth.
        CommandResult Netctl(string extraEnv, params string[] args) => Shell.Run("/bin/bash",
            ["-c", $"eval \"$('{Lab.Executable}' env --instance {lab.Instance})\" && {extraEnv} exec contiv-netctl \"$@\"", "contiv-netctl", .. args],
            env: new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }, timeout: TimeSpan.FromSeconds(60));
        var validate = Netctl(string.Empty, "validate");
        Assert.True(validate.ExitCode == 0 && validate.StdOut == "global: validation OK\n", $"netctl validate in the secure lab ({validate.ExitCode}):\n{validate.StdOut}{validate.StdErr}");
        var ipam = Netctl(string.Empty, "ipam", "node1");
        Assert.True(ipam.ExitCode == 0 && ipam.StdOut.Contains("192.168.30.1/24", StringComparison.Ordinal), ipam.StdOut + ipam.StdErr);
        var anonymous = Netctl("unset CONTIV_AGENT_USER CONTIV_AGENT_PASSWORD_FILE;", "ipam", "node1");
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains($"node node1: agent at https://127.0.0.1:{restPort}/contiv/v1/ipam: HTTP 401", anonymous.StdErr, StringComparison.Ordinal);
        var untrusted = Netctl("unset CONTIV_AGENT_CA_FILE;", "ipam", "node1");
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.Contains("node node1: agent at https://127.0.0.1:", untrusted.StdErr, StringComparison.Ordinal);
    }
}
