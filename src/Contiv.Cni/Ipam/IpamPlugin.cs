using System.Diagnostics;
using System.Text.Json;
using Contiv.Cni.Protocol;

namespace Contiv.Cni.Ipam;

/// <summary>
/// A delegated IPAM plugin (<c>ipam.type</c>) run the way the spec describes: found in
/// <c>CNI_PATH</c>, executed with the same <c>CNI_*</c> environment and the full network
/// configuration on stdin; its stderr goes to ours.
/// </summary>
public sealed class IpamPlugin
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private IpamPlugin(string type, string path)
    {
        Type = type;
        ExecutablePath = path;
    }

    /// <summary>The plugin name (<c>ipam.type</c>).</summary>
    public string Type { get; }

    /// <summary>The executable found in <c>CNI_PATH</c>.</summary>
    public string ExecutablePath { get; }

    /// <summary>Finds <paramref name="type"/> in the <c>CNI_PATH</c> directories.</summary>
    /// <exception cref="CniException">Code 4 without CNI_PATH, code 7 when the plugin is not there.</exception>
    public static IpamPlugin Find(string type, IReadOnlyList<string> cniPath)
    {
        if (cniPath.Count == 0)
        {
            throw new CniException(CniErrorCode.InvalidEnvironment,
                $"CNI_PATH is missing or empty, but ipam.type \"{type}\" must be looked up in it");
        }

        foreach (var dir in cniPath)
        {
            var candidate = System.IO.Path.Combine(dir, type);
            if (File.Exists(candidate))
            {
                return new IpamPlugin(type, candidate);
            }
        }

        throw new CniException(CniErrorCode.InvalidNetworkConfig,
            $"ipam.type \"{type}\": no such plugin in CNI_PATH={string.Join(':', cniPath)}");
    }

    /// <summary>Runs ADD and returns the plugin's result (raw JSON and parsed).</summary>
    public (string Json, CniResult Result) Add(string config, IReadOnlyDictionary<string, string> env)
    {
        var stdout = Invoke("ADD", config, env);
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            return (stdout, CniResult.Parse(doc.RootElement, $"result of ipam plugin {Type}"));
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.IpamFailed, $"ipam plugin {Type} printed no valid JSON result: {e.Message}");
        }
        catch (CniException e)
        {
            throw new CniException(CniErrorCode.IpamFailed, e.Message);
        }
    }

    /// <summary>Runs a command that prints nothing on success (DEL, CHECK, GC, STATUS).</summary>
    public void Run(string command, string config, IReadOnlyDictionary<string, string> env) => Invoke(command, config, env);

    /// <summary>The versions the plugin reports through VERSION (empty when it does not answer).</summary>
    public IReadOnlyList<string> SupportedVersions(IReadOnlyDictionary<string, string> env)
    {
        try
        {
            var stdout = Invoke("VERSION", $"{{\"cniVersion\":\"{CniVersions.Current}\"}}", env);
            using var doc = JsonDocument.Parse(stdout);
            return doc.RootElement.TryGetProperty("supportedVersions", out var list) && list.ValueKind == JsonValueKind.Array
                ? [.. list.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
                : [];
        }
        catch (Exception e) when (e is CniException or JsonException)
        {
            return [];
        }
    }

    private string Invoke(string command, string config, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        psi.Environment["CNI_COMMAND"] = command;
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new CniException(CniErrorCode.IpamFailed, $"ipam plugin {ExecutablePath} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CniException(CniErrorCode.IpamFailed, $"ipam plugin {ExecutablePath} cannot be executed: {e.Message}");
        }

        using (process)
        {
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(config);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // the plugin exited without reading stdin; its exit code and output tell why
            }

            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new CniException(CniErrorCode.IpamFailed, $"ipam plugin {Type} {command} did not finish within {Timeout.TotalSeconds:0} s");
            }

            var stdout = stdoutTask.GetAwaiter().GetResult();
            if (process.ExitCode == 0)
            {
                return stdout;
            }

            throw Failure(command, process.ExitCode, stdout);
        }
    }

    private CniException Failure(string command, int exitCode, string stdout)
    {
        // Keep the delegate's own code (e.g. 1 for a version it does not speak) and prefix its message.
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            var code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : CniErrorCode.IpamFailed;
            var msg = root.TryGetProperty("msg", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : stdout.Trim();
            var details = root.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return new CniException(code, $"ipam plugin {Type} {command} failed: {msg}", details);
        }
        catch (JsonException)
        {
            return new CniException(CniErrorCode.IpamFailed, $"ipam plugin {Type} {command} failed with exit code {exitCode}: {stdout.Trim()}");
        }
    }
}
