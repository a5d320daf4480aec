using System.Text.Json;
using Contiv.Cni.Commands;
using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>
/// Failures nobody planned for (a bug, a broken environment) still end as a CNI error JSON with
/// libcni's ErrInternal code 999, and an ADD that fails that way gives its IPAM allocation back.
/// Runs the plugin library in-process so that a fault can be injected at a named step of ADD.
/// </summary>
public sealed class InternalFailureTests
{
    [RootFact]
    public void Unexpected_exception_inside_add_is_error_999_and_the_allocated_ip_is_released()
    {
        using var scope = new NetnsScope();
        using var dir = new TempDir();
        var ns = scope.Create("pod");
        var ipamDir = dir["ipam"];
        var conf = NetConf.For("1.0.0", "/run/contiv-cni-test-no-such.sock", dataDir: dir["state"], extra:
            $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{ipamDir}\",\"ranges\":[[{{\"subnet\":\"10.99.6.0/24\"}}]]}}");
        var vars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = "ADD",
            ["CNI_CONTAINERID"] = "fault0001",
            ["CNI_NETNS"] = $"/run/netns/{ns}",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = CniRunner.DebianPlugins,
        };
        var allocatedBeforeFault = new List<string>();
        using var stdout = new StringWriter();

        var exit = CniPlugin.Run(vars, () => conf, stdout, step =>
        {
            if (step == "ipam-allocated")
            {
                allocatedBeforeFault.AddRange(Reservations(ipamDir));
                throw new InvalidOperationException("injected fault after IPAM");
            }
        });

        Assert.Equal(1, exit);
        using var error = JsonDocument.Parse(stdout.ToString());
        Assert.True(error.RootElement.GetProperty("code").GetInt32() == 999, $"expected code 999: {stdout}");
        Assert.Equal("1.0.0", error.RootElement.GetProperty("cniVersion").GetString());
        Assert.Contains("InvalidOperationException: injected fault after IPAM", error.RootElement.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Contains("AddCommand", error.RootElement.GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.True(allocatedBeforeFault.Count == 1, $"host-local should have reserved one address before the fault, had: {string.Join(", ", allocatedBeforeFault)}");
        Assert.Empty(Reservations(ipamDir));
        Assert.False(File.Exists(dir["state/fault0001@eth0.json"]), "the attachment record of an ADD that allocated nothing lasting must be dropped");
    }

    [Fact]
    public void Unexpected_exception_of_any_command_is_error_999_naming_it()
    {
        using var stdout = new StringWriter();
        var vars = new Dictionary<string, string>(StringComparer.Ordinal) { ["CNI_COMMAND"] = "VERSION" };

        var exit = CniPlugin.Run(vars, () => throw new InvalidDataException("environment broke"), stdout);

        Assert.Equal(1, exit);
        using var error = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(999, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("InvalidDataException: environment broke", error.RootElement.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    private static List<string> Reservations(string ipamDir)
        => Directory.Exists(ipamDir) ? [.. Directory.EnumerateFiles(ipamDir, "10.99.6.*", SearchOption.AllDirectories)] : [];
}
