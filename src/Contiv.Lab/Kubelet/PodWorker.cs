using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Contiv.Lab.Lab;
using Contiv.Linux;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// Runs one pod on this node from start to removal: creates the pod's network namespace, calls
/// the CNI chain (ADD), starts the containers inside, reports phase, IPs and readiness into the
/// pod's status, restarts containers per <c>restartPolicy</c>, runs CNI CHECK periodically, and on
/// deletion stops the containers, calls CNI DEL, removes the namespace and finally deletes the pod
/// object (grace period 0). A failing sandbox start is retried with back-off, like kubelet does.
/// </summary>
internal sealed partial class PodWorker : IPodWorker
{
    private readonly KubeletOptions _options;
    private readonly IKubernetes _client;
    private readonly CniInvoker _cni;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<ContainerProcess> _containers = [];
    private readonly string _component;
    private V1Pod _pod;
    private volatile bool _removed;
    private SandboxRecord? _sandbox;
    private string? _lastStatus;
    private string? _networkProblem;
    // When the last status was computed: an exit after it still has to be reported.
    private DateTimeOffset _statusAt;
    private readonly PodEvents? _events;
    private readonly Dictionary<ContainerProcess, ContainerProbes> _probes = [];

    public PodWorker(KubeletOptions options, IKubernetes client, CniInvoker cni, V1Pod pod, PodEvents? events = null)
    {
        _events = events;
        _options = options;
        _client = client;
        _cni = cni;
        _pod = pod;
        _component = $"kubelet/{options.NodeName} pod {pod.Namespace()}/{pod.Name()}";
    }

    public string Uid => _pod.Uid();

    /// <summary>The pod's namespace.</summary>
    public string Namespace => _pod.Namespace();

    /// <summary>The pod's name.</summary>
    public string Name => _pod.Name();

    /// <summary>The path of the pod's network namespace once its sandbox exists (exec), else null.</summary>
    public string? NetnsPath => _sandbox is { } s && (s.Result is not null || s.HostNetwork) ? s.NetnsPath : null;

    /// <summary>The mount namespace of the pod's first running container when it has its own (its resolv.conf), else null.</summary>
    public string? MountNamespacePath => _containers.FirstOrDefault(c => c.IsRunning)?.MountNamespacePath;

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts the worker loop.</summary>
    public void Start(CancellationToken ct) => Completion = Task.Run(() => RunAsync(ct), CancellationToken.None);

    /// <summary>A newer version of the pod arrived.</summary>
    public void Update(V1Pod pod)
    {
        _pod = pod;
        _wake.Release();
    }

    /// <summary>The pod object is gone from the API server.</summary>
    public void MarkRemoved()
    {
        _removed = true;
        _wake.Release();
    }

    private bool Terminating => _removed || _pod.Metadata.DeletionTimestamp is not null;

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        var nextCheck = NextCheck();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (Terminating)
                {
                    await TearDownAsync(CancellationToken.None).ConfigureAwait(false);
                    if (!_removed)
                    {
                        await DeletePodObjectAsync().ConfigureAwait(false);
                    }

                    return;
                }

                if (_containers.Count == 0 && NeedsMissingImage())
                {
                    // Nothing runs: see PodWorker.Images.cs. Checked again when the pod changes.
                    await ReportMissingImageAsync(ct).ConfigureAwait(false);
                    await WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                    continue;
                }

                if (_sandbox?.Result is null && !(_sandbox?.HostNetwork ?? false))
                {
                    if (!await TryCreateSandboxAsync(ct).ConfigureAwait(false))
                    {
                        await ReportStatusAsync(ct).ConfigureAwait(false);
                        await WaitAsync(backoff, ct).ConfigureAwait(false);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                        continue;
                    }
                }

                await RestartUnhealthyAsync().ConfigureAwait(false);
                RunContainers();
                await ReportStatusAsync(ct).ConfigureAwait(false);

                if (DateTime.UtcNow >= nextCheck)
                {
                    await CheckNetworkAsync(ct).ConfigureAwait(false);
                    nextCheck = NextCheck();
                    await ReportStatusAsync(ct).ConfigureAwait(false);
                }

                await WaitAsync(IdleWait(nextCheck), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            if (ct.IsCancellationRequested)
            {
                // The kubelet stops (lab down, node removal): leave nothing behind on this node.
                await TearDownAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>When the next periodic CNI CHECK is due; never when the interval is zero (off).</summary>
    private DateTime NextCheck() => _options.CheckInterval > TimeSpan.Zero ? DateTime.UtcNow + _options.CheckInterval : DateTime.MaxValue;

    /// <summary>
    /// How long the loop may sleep: 1 s while a container waits to be (re)started (the crash back-off is
    /// counted in whole passes) or an exit is not reported yet, else until the next CNI CHECK (for ever
    /// without periodic CHECKs). Container exits and pod updates wake the loop earlier, so a pod whose
    /// containers run costs no wake-ups.
    /// </summary>
    private TimeSpan IdleWait(DateTime nextCheck)
    {
        var policy = _pod.Spec.RestartPolicy ?? "Always";
        foreach (var c in _containers)
        {
            if (c.IsRunning)
            {
                continue;
            }

            var restart = c.StartedAt is null || policy == "Always" || (policy == "OnFailure" && c.LastExitCode != 0);
            if (restart || c.FinishedAt is not { } finished || finished >= _statusAt)
            {
                return TimeSpan.FromSeconds(1);
            }
        }

        if (nextCheck == DateTime.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var wait = nextCheck - DateTime.UtcNow;
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        var exits = _containers.Where(c => c.IsRunning).Select(c => c.Exited).ToList();
        if (exits.Count == 0)
        {
            await _wake.WaitAsync(delay, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            return;
        }

        // A container exit ends the wait: the semaphore wait is then cancelled, or it would stay queued
        // (for ever without periodic CHECKs) and swallow the next wake-up of a pod update.
        using var stopWake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wake.WaitAsync(delay, stopWake.Token);
        if (await Task.WhenAny(exits.Append(wake)).ConfigureAwait(false) != wake)
        {
            await stopWake.CancelAsync().ConfigureAwait(false);
            try
            {
                await wake.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        ct.ThrowIfCancellationRequested();
    }

    private async Task<bool> TryCreateSandboxAsync(CancellationToken ct)
    {
        var hostNetwork = _pod.Spec.HostNetwork == true;
        if (_sandbox is null)
        {
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            _sandbox = new SandboxRecord
            {
                PodUid = Uid,
                PodNamespace = _pod.Namespace(),
                PodName = _pod.Name(),
                ContainerId = id,
                HostNetwork = hostNetwork,
                Netns = hostNetwork ? _options.NodeNetns : NetnsName(_pod, id),
                RuntimeConfig = RuntimeConfig(_pod)?.ToJsonString(),
            };
        }

        if (hostNetwork)
        {
            _sandbox.Save(_options.SandboxDir);
            return true;
        }

        try
        {
            if (!NetworkNamespace.Exists(_sandbox.Netns))
            {
                // Saved first: a crash between here and ADD still lets the next kubelet clean up.
                _sandbox.Save(_options.SandboxDir);
                NetworkNamespace.Create(_sandbox.Netns).Dispose();
            }

            var result = await _cni.AddAsync(_sandbox.ToCni(), _sandbox.RuntimeConfigJson, ct).ConfigureAwait(false);
            _sandbox.Result = result.ToJsonString();
            _sandbox.Save(_options.SandboxDir);
            _networkProblem = null;
            LabLog.Info(_component, $"sandbox {_sandbox.ContainerId[..12]} netns {_sandbox.Netns} IP {PodIp(result) ?? "none"}");
            return true;
        }
        catch (Exception e) when (e is CniException or IOException or TimeoutException or NetlinkException or InvalidOperationException)
        {
            _networkProblem = e.Message;
            LabLog.Warn(_component, $"sandbox creation failed (will retry): {e.Message}");
            _events?.Warning(_pod, "FailedCreatePodSandBox", $"Failed to create pod sandbox: failed to set up network for sandbox \"{_sandbox.ContainerId[..12]}\": {e.Message}");
            return false;
        }
    }

    private void RunContainers()
    {
        if (_containers.Count == 0)
        {
            foreach (var spec in _pod.Spec.Containers)
            {
                _containers.Add(new ContainerProcess(spec, Path.Combine(_options.PodLogDir, $"{_pod.Namespace()}_{_pod.Name()}_{Uid[..8]}", spec.Name + ".log")));
            }
        }

        var policy = _pod.Spec.RestartPolicy ?? "Always";
        foreach (var c in _containers)
        {
            if (c.IsRunning)
            {
                continue;
            }

            var first = c.StartedAt is null;
            var restart = first || policy == "Always" || (policy == "OnFailure" && c.LastExitCode != 0);
            if (!restart)
            {
                continue;
            }

            // Crash-loop back-off: 1 s doubling to 10 s, measured from the last exit.
            if (!first && c.FinishedAt is { } finished && DateTimeOffset.UtcNow - finished < TimeSpan.FromSeconds(Math.Min(10, 1 << Math.Min(c.RestartCount, 4))))
            {
                continue;
            }

            try
            {
                if (!first)
                {
                    c.RestartCount++;
                }

                var podDir = Path.Combine(_options.PodLogDir, $"{_pod.Namespace()}_{_pod.Name()}_{Uid[..8]}");
                c.Start(_sandbox!.NetnsPath, podDir, new Dictionary<string, string>
                {
                    [Commands.DnsCommand.ControlNetnsVariable] = $"/proc/{Environment.ProcessId}/ns/net",
                    ["HOSTNAME"] = _pod.Name(),
                    ["POD_NAME"] = _pod.Name(),
                    ["POD_NAMESPACE"] = _pod.Namespace(),
                    ["POD_IP"] = PodIp(_sandbox.ResultJson) ?? _options.HostIp,
                    ["NODE_NAME"] = _options.NodeName,
                }, WriteResolvConf(podDir));
                StartProbes(c);
                LabLog.Info(_component, $"container {c.Name} started (pid {c.Pid}): {string.Join(' ', c.Argv)}");
                _events?.Normal(_pod, "Created", $"Created container {c.Name}", c.Name);
                _events?.Normal(_pod, "Started", $"Started container {c.Name}", c.Name);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                LabLog.Error(_component, $"container {c.Name} cannot start: {e.Message}");
                _events?.Warning(_pod, "Failed", $"Error: {e.Message}", c.Name);
                c.RestartCount++;
            }
        }
    }

    /// <summary>The pod's resolv.conf (written into its directory), or null when it keeps the node's.</summary>
    private string? WriteResolvConf(string podDir)
    {
        if (PodDnsConfig.Render(_pod, _options.ClusterDns, _options.ClusterDomain) is not { } text)
        {
            return null;
        }

        Directory.CreateDirectory(podDir);
        var path = Path.Combine(podDir, "resolv.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private void StartProbes(ContainerProcess c)
    {
        if (_probes.Remove(c, out var old))
        {
            old.Dispose();
        }

        var spec = _pod.Spec.Containers.First(s => s.Name == c.Name);
        var podIp = SandboxAddress;
        var netns = _sandbox!.NetnsPath;
        _probes[c] = new ContainerProbes(spec, netns, podIp, (argv, timeout, ct) => PodCommand.RunAsync(netns, c.MountNamespacePath, argv, timeout, ct), (probe, failure) =>
        {
            if (failure is not null)
            {
                _events?.Warning(_pod, "Unhealthy", $"{probe.Kind} probe failed: {failure}", c.Name);
            }

            _wake.Release();
        });
    }

    /// <summary>Containers whose liveness probe failed are stopped; the restart policy then starts them again.</summary>
    private async Task RestartUnhealthyAsync()
    {
        foreach (var (c, probes) in _probes.ToList())
        {
            if (c.IsRunning && probes.LivenessFailed)
            {
                _events?.Normal(_pod, "Killing", $"Container {c.Name} failed liveness probe, will be restarted", c.Name);
                probes.Dispose();
                _probes.Remove(c);
                await c.StopAsync(TimeSpan.FromSeconds(Math.Min(_pod.Spec.TerminationGracePeriodSeconds ?? 30, _options.MaxGrace.TotalSeconds))).ConfigureAwait(false);
            }
        }
    }

    // The address probes and hooks reach the pod at: its IP, or the node's for a host-network pod.
    private string? SandboxAddress => _sandbox is null ? null : _sandbox.HostNetwork ? _options.HostIp : PodIp(_sandbox.ResultJson);

    /// <summary>preStop hook (exec, httpGet or sleep) within the grace period, then SIGTERM/SIGKILL.</summary>
    private async Task StopContainerAsync(ContainerProcess c, TimeSpan grace)
    {
        if (_probes.Remove(c, out var probes))
        {
            probes.Dispose();
        }

        var started = DateTime.UtcNow;
        var spec = _pod.Spec.Containers.FirstOrDefault(s => s.Name == c.Name);
        if (c.IsRunning && spec?.Lifecycle?.PreStop is { } hook && _sandbox is { } sandbox)
        {
            try
            {
                if (hook.Sleep is { } sleep)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(sleep.Seconds, grace.TotalSeconds))).ConfigureAwait(false);
                }
                else if (hook.HttpGet is { } http)
                {
                    // As kubelet: a GET to the pod IP (or host) from inside the pod's network, bounded by the grace
                    // period; any answer below 400 is success. Run as a one-shot httpGet probe.
                    var once = new V1Probe { HttpGet = http, TimeoutSeconds = (int)Math.Max(1, Math.Ceiling(grace.TotalSeconds)) };
                    var get = new ProbeRunner("PreStop hook", once, spec, sandbox.NetnsPath, SandboxAddress, (_, _, _) => Task.FromResult((-1, string.Empty)), (_, _) => { });
                    if (await get.ProbeOnceAsync(CancellationToken.None).ConfigureAwait(false) is { } failure)
                    {
                        _events?.Warning(_pod, "FailedPreStopHook", $"PreStopHook failed: {failure}", c.Name);
                    }
                }
                else if (hook.Exec?.Command is { Count: > 0 } command)
                {
                    var (code, output) = await PodCommand.RunAsync(sandbox.NetnsPath, c.MountNamespacePath, [.. command], grace, CancellationToken.None).ConfigureAwait(false);
                    if (code != 0)
                    {
                        _events?.Warning(_pod, "FailedPreStopHook", $"PreStopHook failed: exit {code}: {output.Trim()}", c.Name);
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                _events?.Warning(_pod, "FailedPreStopHook", $"PreStopHook failed: {e.Message}", c.Name);
            }
        }

        var left = grace - (DateTime.UtcNow - started);
        await c.StopAsync(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    private async Task CheckNetworkAsync(CancellationToken ct)
    {
        if (_sandbox is not { HostNetwork: false, ResultJson: { } result })
        {
            return;
        }

        try
        {
            if (await _cni.CheckAsync(_sandbox.ToCni(), result, _sandbox.RuntimeConfigJson, ct).ConfigureAwait(false))
            {
                if (_networkProblem is not null)
                {
                    LabLog.Info(_component, "CNI CHECK passes again");
                }

                _networkProblem = null;
            }
        }
        catch (Exception e) when (e is CniException or IOException or TimeoutException)
        {
            _networkProblem = "CNI CHECK failed: " + e.Message;
            LabLog.Warn(_component, _networkProblem);
        }
    }

    private async Task TearDownAsync(CancellationToken ct)
    {
        var grace = TimeSpan.FromSeconds(Math.Min(_pod.Spec.TerminationGracePeriodSeconds ?? 30, _options.MaxGrace.TotalSeconds));
        foreach (var c in _containers.Where(c => c.IsRunning))
        {
            _events?.Normal(_pod, "Killing", $"Stopping container {c.Name}", c.Name);
        }

        await Task.WhenAll(_containers.Select(c => StopContainerAsync(c, grace))).ConfigureAwait(false);
        if (_sandbox is null)
        {
            return;
        }

        await RemoveSandboxAsync(_sandbox, _cni, _options, _component, ct).ConfigureAwait(false);
        _sandbox = null;
    }

    /// <summary>CNI DEL (when ADD had run), kill leftovers in the namespace, delete it, forget the record.</summary>
    internal static async Task RemoveSandboxAsync(SandboxRecord sandbox, CniInvoker cni, KubeletOptions options, string component, CancellationToken ct)
    {
        if (!sandbox.HostNetwork)
        {
            // As kubelet does, a failed DEL is retried (the plugin reports what it could not remove, e.g. while the
            // agent or its data plane restarts); after the last attempt the namespace goes anyway.
            const int attempts = 3;
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    await cni.DeleteAsync(sandbox.ToCni(), sandbox.ResultJson, sandbox.RuntimeConfigJson, timeout.Token).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is CniException or IOException or TimeoutException or OperationCanceledException)
                {
                    var last = attempt == attempts || ct.IsCancellationRequested;
                    LabLog.Warn(component, $"CNI DEL of sandbox {sandbox.ContainerId[..12]} failed (attempt {attempt}/{attempts}{(last ? ", namespace removed anyway" : ", retrying in 2 s")}): {e.Message}");
                    if (last)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
                }
            }

            Network.LabTopology.KillProcessesIn(sandbox.Netns);
            if (NetworkNamespace.Exists(sandbox.Netns))
            {
                NetworkNamespace.Delete(sandbox.Netns);
            }
        }

        sandbox.Delete(options.SandboxDir);
        LabLog.Info(component, $"sandbox {sandbox.ContainerId[..12]} removed");
    }

    private async Task DeletePodObjectAsync()
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(_pod.Name(), _pod.Namespace(),
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Uid } }).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            // Already gone, or a new pod of the same name: nothing of ours left to delete.
        }
    }

    private async Task ReportStatusAsync(CancellationToken ct)
    {
        if (Terminating)
        {
            return;
        }

        _statusAt = DateTimeOffset.UtcNow;
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var podIp = SandboxAddress;
        var networkReady = podIp is not null;
        var running = networkReady && _containers.Count > 0 && _containers.All(c => c.IsRunning);
        var containersReady = running && _containers.All(ContainerReady);
        var policy = _pod.Spec.RestartPolicy ?? "Always";
        var allDone = networkReady && _containers.Count > 0 && _containers.All(c => !c.IsRunning && c.LastExitCode is not null);
        var phase = running ? "Running"
            : allDone && policy != "Always" && _containers.All(c => c.LastExitCode == 0) ? "Succeeded"
            : allDone && policy == "Never" ? "Failed"
            : networkReady && _containers.Any(c => c.IsRunning || c.RestartCount > 0) ? "Running"
            : "Pending";
        var ready = running && _containers.All(ContainerReady) && _networkProblem is null;

        var conditions = new JsonArray
        {
            Condition("PodScheduled", true, null, null),
            Condition("PodReadyToStartContainers", networkReady, networkReady ? null : "NetworkNotReady", _networkProblem),
            Condition("Initialized", true, null, null),
            Condition("ContainersReady", containersReady, containersReady ? null : "ContainersNotReady", null),
            Condition("Ready", ready, ready ? null : _networkProblem is null ? "ContainersNotReady" : "NetworkNotReady", _networkProblem),
        };
        var statuses = new JsonArray();
        foreach (var c in _containers)
        {
            JsonObject state = c.IsRunning
                ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Time(c.StartedAt) } }
                : c.LastExitCode is { } code
                    ? new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = code, ["startedAt"] = Time(c.StartedAt), ["finishedAt"] = Time(c.FinishedAt), ["reason"] = code == 0 ? "Completed" : "Error" } }
                    : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } };
            statuses.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["image"] = c.Image,
                ["imageID"] = string.Empty,
                ["containerID"] = c.Pid is { } pid ? $"lab://{pid}" : null,
                ["ready"] = ContainerReady(c),
                ["started"] = c.IsRunning,
                ["restartCount"] = c.RestartCount,
                ["state"] = state,
            });
        }

        var status = new JsonObject
        {
            ["phase"] = phase,
            ["hostIP"] = _options.HostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = _options.HostIp }),
            ["podIP"] = podIp,
            ["podIPs"] = podIp is null ? null : new JsonArray(new JsonObject { ["ip"] = podIp }),
            ["conditions"] = conditions,
            ["containerStatuses"] = statuses,
        };

        // Only real changes are written (timestamps of transitions are kept from the first write).
        var fingerprint = status.ToJsonString();
        if (fingerprint == _lastStatus)
        {
            return;
        }

        status["startTime"] = _pod.Status?.StartTime is { } st ? st.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : now;
        foreach (var cond in conditions)
        {
            cond!["lastTransitionTime"] = now;
        }

        try
        {
            var patch = new JsonObject { ["status"] = status }.ToJsonString();
            var updated = await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), _pod.Name(), _pod.Namespace(), cancellationToken: ct).ConfigureAwait(false);
            if (updated.Uid() == Uid && !Terminating)
            {
                _pod = updated;
            }

            _lastStatus = fingerprint;
        }
        catch (HttpOperationException e)
        {
            LabLog.Warn(_component, $"status update failed: {(int)e.Response.StatusCode} {e.Response.Content}");
        }
        catch (HttpRequestException e)
        {
            LabLog.Warn(_component, $"status update failed: {e.Message}");
        }
    }

    /// <summary>Running, and its readiness probe (if any) passed.</summary>
    private bool ContainerReady(ContainerProcess c) => c.IsRunning && (!_probes.TryGetValue(c, out var p) || p.Ready);

    private static JsonObject Condition(string type, bool status, string? reason, string? message) => new()
    {
        ["type"] = type,
        ["status"] = status ? "True" : "False",
        ["reason"] = reason,
        ["message"] = status ? null : message,
    };

    private static string? Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The pod IP from a CNI result: the first IPv4 address of <c>ips</c> without its prefix length.</summary>
    internal static string? PodIp(JsonObject? result)
    {
        if (result?["ips"] is not JsonArray ips)
        {
            return null;
        }

        foreach (var ip in ips)
        {
            if (ip?["address"]?.GetValue<string>() is { } cidr)
            {
                var slash = cidr.IndexOf('/', StringComparison.Ordinal);
                return slash < 0 ? cidr : cidr[..slash];
            }
        }

        return null;
    }

    /// <summary>runtimeConfig for the <c>portMappings</c> capability from the containers' hostPorts.</summary>
    private static JsonObject? RuntimeConfig(V1Pod pod)
    {
        var mappings = new JsonArray();
        foreach (var c in pod.Spec.Containers)
        {
            foreach (var p in c.Ports ?? [])
            {
                if (p.HostPort is > 0)
                {
                    mappings.Add(new JsonObject { ["hostPort"] = p.HostPort, ["containerPort"] = p.ContainerPort, ["protocol"] = (p.Protocol ?? "TCP").ToLowerInvariant(), ["hostIP"] = p.HostIP ?? string.Empty });
                }
            }
        }

        return mappings.Count == 0 ? null : new JsonObject { ["portMappings"] = mappings };
    }

    /// <summary>Pod namespace name: lab prefix, pod name (cut), first 8 hex digits of the sandbox id.</summary>
    private string NetnsName(V1Pod pod, string sandboxId)
    {
        var name = pod.Name();
        if (name.Length > 40)
        {
            name = name[..40];
        }

        return $"{_options.PodNetnsPrefix}{name}-{sandboxId[..8]}";
    }
}
