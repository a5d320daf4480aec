using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Kubelet;

/// <summary>A CNI plugin failed: its error JSON (<c>code</c>, <c>msg</c>, <c>details</c>) or its exit status.</summary>
public sealed class CniException(string message) : Exception(message);

/// <summary>Identity of one pod sandbox as the runtime passes it to CNI.</summary>
/// <param name="ContainerId">Sandbox (infra container) id.</param>
/// <param name="NetnsPath">Path of the pod's network namespace.</param>
/// <param name="IfName">Interface name inside the pod (<c>eth0</c>).</param>
/// <param name="PodNamespace">Kubernetes namespace of the pod.</param>
/// <param name="PodName">Pod name.</param>
/// <param name="PodUid">Pod UID.</param>
public sealed record CniSandbox(string ContainerId, string NetnsPath, string IfName, string PodNamespace, string PodName, string PodUid)
{
    /// <summary>CNI_ARGS the way kubelet builds them.</summary>
    public string CniArgs => $"IgnoreUnknown=1;K8S_POD_NAMESPACE={PodNamespace};K8S_POD_NAME={PodName};K8S_POD_INFRA_CONTAINER_ID={ContainerId};K8S_POD_UID={PodUid}";
}

/// <summary>
/// Runs a CNI plugin chain the way libcni does for a container runtime: every plugin gets the
/// list's <c>name</c> and <c>cniVersion</c>, <c>prevResult</c> from the previous plugin (ADD) or the
/// cached result (DEL, CHECK), <c>runtimeConfig</c> for the capabilities it declares, and the
/// <c>CNI_*</c> variables. Plugins are executed inside the node's host network namespace (via
/// nsenter), like a kubelet running on that node would; stdout is the result, a non-zero exit
/// carries an error JSON.
/// </summary>
public sealed class CniInvoker(CniNetworkList list, string binPath, string? hostNetnsPath, string logDirectory)
{
    private static readonly TimeSpan PluginTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The configuration list.</summary>
    public CniNetworkList List => list;

    /// <summary>ADD through the whole chain; returns the last plugin's result. On failure the chain is deleted again.</summary>
    public async Task<JsonObject> AddAsync(CniSandbox sandbox, JsonObject? runtimeConfig, CancellationToken ct)
    {
        JsonObject? prev = null;
        foreach (var plugin in list.Plugins)
        {
            try
            {
                prev = await InvokeAsync("ADD", plugin, sandbox, prev, runtimeConfig, ct).ConfigureAwait(false)
                    ?? throw new CniException($"CNI ADD {Type(plugin)}: plugin printed no result");
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                await DeleteAsync(sandbox, prev, runtimeConfig, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        return prev!;
    }

    /// <summary>DEL through the chain in reverse order; every plugin is called even when one fails, the first error is thrown.</summary>
    public async Task DeleteAsync(CniSandbox sandbox, JsonObject? cachedResult, JsonObject? runtimeConfig, CancellationToken ct)
    {
        Exception? first = null;
        for (var i = list.Plugins.Count - 1; i >= 0; i--)
        {
            try
            {
                await InvokeAsync("DEL", list.Plugins[i], sandbox, cachedResult, runtimeConfig, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CniException or IOException or TimeoutException)
            {
                first ??= e;
            }
        }

        if (first is not null)
        {
            throw first;
        }
    }

    /// <summary>CHECK through the chain with the cached result; throws on the first failure. No-op below spec 0.4.0.</summary>
    public async Task<bool> CheckAsync(CniSandbox sandbox, JsonObject cachedResult, JsonObject? runtimeConfig, CancellationToken ct)
    {
        if (!list.SupportsCheck)
        {
            return false;
        }

        foreach (var plugin in list.Plugins)
        {
            await InvokeAsync("CHECK", plugin, sandbox, cachedResult, runtimeConfig, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<JsonObject?> InvokeAsync(string command, JsonObject plugin, CniSandbox sandbox, JsonObject? prevResult, JsonObject? runtimeConfig, CancellationToken ct)
    {
        var type = Type(plugin);
        var exe = binPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, type)).FirstOrDefault(File.Exists)
            ?? throw new CniException($"CNI {command} {type}: plugin not found in CNI_PATH {binPath}");

        var conf = (JsonObject)plugin.DeepClone();
        conf["name"] = list.Name;
        conf["cniVersion"] = list.CniVersion;
        if (prevResult is not null)
        {
            conf["prevResult"] = prevResult.DeepClone();
        }

        if (plugin["capabilities"] is JsonObject caps && runtimeConfig is not null)
        {
            var rc = new JsonObject();
            foreach (var (cap, enabled) in caps)
            {
                if (enabled?.GetValueKind() == JsonValueKind.True && runtimeConfig[cap] is { } value)
                {
                    rc[cap] = value.DeepClone();
                }
            }

            if (rc.Count > 0)
            {
                conf["runtimeConfig"] = rc;
            }
        }

        var psi = new ProcessStartInfo(hostNetnsPath is null ? exe : LabBinaries.Nsenter)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (hostNetnsPath is not null)
        {
            psi.ArgumentList.Add("--net=" + hostNetnsPath);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(exe);
        }

        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = sandbox.ContainerId;
        psi.Environment["CNI_NETNS"] = sandbox.NetnsPath;
        psi.Environment["CNI_IFNAME"] = sandbox.IfName;
        psi.Environment["CNI_ARGS"] = sandbox.CniArgs;
        psi.Environment["CNI_PATH"] = binPath;

        var stdin = conf.ToJsonString();
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new CniException($"CNI {command} {type}: cannot start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.StandardInput.WriteAsync(stdin.AsMemory(), ct).ConfigureAwait(false);
        p.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PluginTimeout);
        try
        {
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"CNI {command} {type} for pod {sandbox.PodNamespace}/{sandbox.PodName} did not finish within {PluginTimeout.TotalSeconds:0}s");
        }

        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        Log(command, type, sandbox, stdin, output, errors, p.ExitCode, sw.Elapsed);
        if (p.ExitCode != 0)
        {
            var message = $"exit code {p.ExitCode}";
            try
            {
                if (JsonNode.Parse(output) is JsonObject err)
                {
                    message = $"code {err["code"]}: {err["msg"]}" + (err["details"] is { } d && d.ToString().Length > 0 ? $" ({d})" : string.Empty);
                }
            }
            catch (JsonException)
            {
                message += string.IsNullOrWhiteSpace(errors) ? string.Empty : ": " + errors.Trim();
            }

            throw new CniException($"CNI {command} {type} for pod {sandbox.PodNamespace}/{sandbox.PodName} failed: {message}");
        }

        if (command != "ADD" || string.IsNullOrWhiteSpace(output))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(output) as JsonObject ?? throw new CniException($"CNI ADD {type}: result is not a JSON object: {output}");
        }
        catch (JsonException e)
        {
            throw new CniException($"CNI ADD {type}: result is not JSON ({e.Message}): {output}");
        }
    }

    private void Log(string command, string type, CniSandbox sandbox, string stdin, string stdout, string stderr, int exitCode, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O} {command} {type} pod={sandbox.PodNamespace}/{sandbox.PodName} container={sandbox.ContainerId[..12]} netns={sandbox.NetnsPath} exit={exitCode} {elapsed.TotalMilliseconds:0}ms\n");
        sb.Append("  stdin:  ").Append(stdin).Append('\n');
        if (stdout.Length > 0)
        {
            sb.Append("  stdout: ").Append(stdout.Trim()).Append('\n');
        }

        if (stderr.Length > 0)
        {
            sb.Append("  stderr: ").Append(stderr.Trim()).Append('\n');
        }

        Directory.CreateDirectory(logDirectory);
        File.AppendAllText(Path.Combine(logDirectory, "cni.log"), sb.ToString());
    }

    private static string Type(JsonObject plugin) => plugin["type"]!.GetValue<string>();
}
