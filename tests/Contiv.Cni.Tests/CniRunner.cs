using System.Text.Json;
using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>What one invocation of a CNI plugin printed and returned.</summary>
public sealed record CniOutcome(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>stdout parsed as JSON (fails the test when it is not JSON).</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                using var doc = JsonDocument.Parse(StdOut);
                return doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"stdout is not JSON ({e.Message}): <{StdOut}> stderr: <{StdErr}>");
            }
        }
    }

    /// <summary>The error code of an error result.</summary>
    public int Code => Json.GetProperty("code").GetInt32();

    /// <summary>The message of an error result.</summary>
    public string Msg => Json.GetProperty("msg").GetString()!;

    /// <summary>Asserts success and returns itself.</summary>
    public CniOutcome Ok()
    {
        Assert.True(ExitCode == 0, $"plugin failed with exit code {ExitCode}: {StdOut} {StdErr}");
        return this;
    }

    /// <summary>Asserts an error result with <paramref name="code"/> whose message contains every fragment.</summary>
    public void Fails(int code, params string[] fragments)
    {
        Assert.True(ExitCode != 0, $"expected failure with code {code}, got success: {StdOut}");
        Assert.True(Code == code, $"expected code {code}, got {Code}: {Msg}");
        foreach (var f in fragments)
        {
            Assert.Contains(f, Msg, StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// Runs a CNI plugin binary the way a container runtime does: a clean environment with only the
/// CNI_* variables (plus PATH), the configuration on stdin, the result read from stdout.
/// </summary>
public static class CniRunner
{
    /// <summary>The published contiv-cni.</summary>
    public static string ContivCni => RepoPaths.Executable("contiv-cni");

    /// <summary>Debian's containernetworking-plugins directory.</summary>
    public const string DebianPlugins = "/usr/lib/cni";

    /// <summary>Runs <paramref name="plugin"/> with the given variables (null values are left unset).</summary>
    public static CniOutcome Run(string plugin, IReadOnlyDictionary<string, string?> vars, string stdin, string? inNetns = null)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in new[] { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH" })
        {
            env[name] = null;
        }

        foreach (var (k, v) in vars)
        {
            env[k] = v;
        }

        return inNetns is null
            ? Execute(plugin, [], stdin, env)
            : Execute("ip", ["netns", "exec", inNetns, plugin], stdin, env);
    }

    // Like Shell.Run, but a plugin that exits without reading stdin (VERSION) is not an error.
    private static CniOutcome Execute(string file, string[] args, string stdin, Dictionary<string, string?> env)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // exited without reading its stdin
        }

        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 90 s");
        }

        return new CniOutcome(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>Runs contiv-cni with a command and the usual attachment variables.</summary>
    public static CniOutcome Contiv(string command, string stdin, string containerId = "c0ffee01", string? netns = "/run/netns/none",
        string ifName = "eth0", string? cniPath = DebianPlugins, string? args = null)
        => Run(ContivCni, new Dictionary<string, string?>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = netns,
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = cniPath,
            ["CNI_ARGS"] = args,
        }, stdin);
}
