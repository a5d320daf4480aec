using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Lab.Kubelet.Cri.V1;
using Contiv.Lab.Lab;
using Contiv.Linux;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// Runs one pod through a CRI runtime, in the order kubelet's runtime manager uses:
/// <c>RunPodSandbox</c> (the runtime creates the network namespace and calls the CNI chain itself),
/// <c>PodSandboxStatus</c> (pod IP, namespace path), per container <c>CreateContainer</c> +
/// <c>StartContainer</c>, <c>ContainerStatus</c> to follow them (restarts per <c>restartPolicy</c>
/// with back-off; readiness and liveness probes as the process runner runs them, exec probes through
/// <c>ExecSync</c>), and on deletion <c>StopContainer</c>, <c>RemoveContainer</c>,
/// <c>StopPodSandbox</c> (CNI DEL by the runtime) and <c>RemovePodSandbox</c>; finally the pod
/// object is deleted. A sandbox record is kept like the process runner's, so a restarted kubelet,
/// <c>node delete</c> and the connectivity check find the pod's namespace.
/// </summary>
internal sealed class CriPodWorker : IPodWorker
{
    /// <summary>Value of <see cref="SandboxRecord.Runtime"/> for sandboxes owned by a CRI runtime.</summary>
    public const string RuntimeName = "cri";

    private readonly KubeletOptions _options;
    private readonly IKubernetes _client;
    private readonly CriConnection _cri;
    private readonly PodEvents? _events;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<CriContainer> _containers = [];
    private readonly string _component;
    private V1Pod _pod;
    private volatile bool _removed;
    private SandboxRecord? _sandbox;
    private PodSandboxConfig? _sandboxConfig;
    private string? _podIp;
    private string? _networkProblem;
    private string? _lastStatus;

    public CriPodWorker(KubeletOptions options, IKubernetes client, CriConnection cri, V1Pod pod, PodEvents? events)
    {
        _options = options;
        _client = client;
        _cri = cri;
        _pod = pod;
        _events = events;
        _component = $"kubelet/{options.NodeName} pod {pod.Namespace()}/{pod.Name()}";
    }

    /// <inheritdoc />
    public string Uid => _pod.Uid();

    /// <inheritdoc />
    public string Namespace => _pod.Namespace();

    /// <inheritdoc />
    public string Name => _pod.Name();

    /// <inheritdoc />
    public string? NetnsPath => _sandbox is { Netns.Length: > 0 } s ? s.NetnsPath : null;

    /// <inheritdoc/>
    /// <remarks>
    /// The mount namespace of the first running container's process (its root file system: the runtime pivoted into the
    /// image's), so an interactive <c>kubectl exec</c> (stdin) runs the container's own programs; non-interactive commands
    /// go through CRI <c>ExecSync</c> (<see cref="ExecSyncAsync"/>).
    /// </remarks>
    public string? MountNamespacePath => _containers.FirstOrDefault(c => c.IsRunning && c.Pid is not null)?.Pid is { } pid ? $"/proc/{pid}/ns/mnt" : null;

    /// <inheritdoc />
    public Task Completion { get; private set; } = Task.CompletedTask;

    private bool Terminating => _removed || _pod.Metadata.DeletionTimestamp is not null;

    private string LogDir => Path.Combine(_options.PodLogDir, $"{_pod.Namespace()}_{_pod.Name()}_{Uid[..8]}");

    /// <inheritdoc />
    public void Start(CancellationToken ct) => Completion = Task.Run(() => RunAsync(ct), CancellationToken.None);

    /// <inheritdoc />
    public void Update(V1Pod pod)
    {
        _pod = pod;
        _wake.Release();
    }

    /// <inheritdoc />
    public void MarkRemoved()
    {
        _removed = true;
        _wake.Release();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (Terminating)
                {
                    await TearDownAsync(shuttingDown: false).ConfigureAwait(false);
                    if (!_removed)
                    {
                        await DeletePodObjectAsync().ConfigureAwait(false);
                    }

                    return;
                }

                if (_sandbox is null)
                {
                    if (!await TryRunSandboxAsync(ct).ConfigureAwait(false))
                    {
                        await ReportStatusAsync(ct).ConfigureAwait(false);
                        await WaitAsync(backoff, ct).ConfigureAwait(false);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                        continue;
                    }
                }

                await SyncContainersAsync(ct).ConfigureAwait(false);
                await RefreshAsync(ct).ConfigureAwait(false);
                await RestartUnhealthyAsync(ct).ConfigureAwait(false);
                await ReportStatusAsync(ct).ConfigureAwait(false);
                await WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            if (ct.IsCancellationRequested)
            {
                // The kubelet stops (lab down, node removal): leave nothing behind in the runtime.
                await TearDownAsync(shuttingDown: true).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        await _wake.WaitAsync(delay, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private async Task<bool> TryRunSandboxAsync(CancellationToken ct)
    {
        _sandboxConfig ??= SandboxConfig();
        Directory.CreateDirectory(LogDir);
        try
        {
            var run = await _cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = _sandboxConfig }, cancellationToken: ct).ConfigureAwait(false);
            var status = await _cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = run.PodSandboxId, Verbose = true }, cancellationToken: ct).ConfigureAwait(false);
            var hostNetwork = _pod.Spec.HostNetwork == true;
            var netnsPath = hostNetwork ? "/run/netns/" + _options.NodeNetns : NetnsPathOf(status);
            _podIp = hostNetwork ? _options.HostIp : status.Status?.Network?.Ip is { Length: > 0 } ip ? ip : null;
            _sandbox = new SandboxRecord
            {
                PodUid = Uid,
                PodNamespace = _pod.Namespace(),
                PodName = _pod.Name(),
                ContainerId = run.PodSandboxId,
                HostNetwork = hostNetwork,
                Netns = netnsPath is null ? string.Empty : Path.GetFileName(netnsPath),
                Runtime = RuntimeName,
                Result = _podIp is null || hostNetwork ? null : new JsonObject { ["cniVersion"] = "1.0.0", ["ips"] = new JsonArray(new JsonObject { ["address"] = _podIp + "/32" }) }.ToJsonString(),
            };
            _sandbox.Save(_options.SandboxDir);
            _networkProblem = null;
            LabLog.Info(_component, $"sandbox {run.PodSandboxId[..12]} (CRI) netns {netnsPath ?? "?"} IP {_podIp ?? "none"}");
            return true;
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            // containerd's error carries the CNI plugin's message, as kubelet's event does.
            _networkProblem = e.Status.Detail;
            LabLog.Warn(_component, $"RunPodSandbox failed (will retry): {e.Status.StatusCode}: {e.Status.Detail}");
            _events?.Warning(_pod, "FailedCreatePodSandBox", $"Failed to create pod sandbox: {e.Status.Detail}");
            await RemoveFailedSandboxesAsync(ct).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// containerd keeps a sandbox whose network setup failed (not ready, its name still reserved), so the next
    /// RunPodSandbox of the pod would fail with "failed to reserve sandbox name". As kubelet cleans up a pod's dead
    /// sandboxes before it creates another, the pod's not-ready sandboxes are stopped (CNI DEL by the runtime) and removed.
    /// </summary>
    private async Task RemoveFailedSandboxesAsync(CancellationToken ct)
    {
        try
        {
            var filter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxNotready } };
            filter.LabelSelector.Add("io.kubernetes.pod.uid", Uid);
            var left = await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, cancellationToken: ct).ConfigureAwait(false);
            foreach (var sandbox in left.Items)
            {
                await _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox.Id }, cancellationToken: ct).ConfigureAwait(false);
                await _cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox.Id }, cancellationToken: ct).ConfigureAwait(false);
                LabLog.Info(_component, $"removed the failed sandbox {sandbox.Id[..Math.Min(12, sandbox.Id.Length)]}");
            }
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            LabLog.Warn(_component, $"removing the pod's failed sandboxes: {e.Status.StatusCode}: {e.Status.Detail} (the next attempt tries again)");
        }
    }

    /// <summary>containerd's verbose sandbox info names the network namespace in the OCI runtime spec it created.</summary>
    private static string? NetnsPathOf(PodSandboxStatusResponse status)
    {
        if (!status.Info.TryGetValue("info", out var text))
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(text)?["runtimeSpec"]?["linux"]?["namespaces"] is JsonArray namespaces)
            {
                foreach (var ns in namespaces)
                {
                    if (ns?["type"]?.GetValue<string>() == "network" && ns["path"]?.GetValue<string>() is { Length: > 0 } path)
                    {
                        return path;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private PodSandboxConfig SandboxConfig()
    {
        var hostNetwork = _pod.Spec.HostNetwork == true;
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = _pod.Name(), Uid = Uid, Namespace = _pod.Namespace(), Attempt = 0 },
            Hostname = hostNetwork ? string.Empty : _pod.Name(),
            LogDirectory = LogDir,
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = Namespaces(hostNetwork) },
            },
        };
        config.Labels.Add(PodLabels());
        if (SandboxDns(_pod, _options) is { } dns)
        {
            config.DnsConfig = dns;
        }

        foreach (var c in _pod.Spec.Containers)
        {
            foreach (var p in c.Ports ?? [])
            {
                if (p.HostPort is > 0)
                {
                    config.PortMappings.Add(new PortMapping
                    {
                        Protocol = (p.Protocol ?? "TCP") switch { "UDP" => Protocol.Udp, "SCTP" => Protocol.Sctp, _ => Protocol.Tcp },
                        ContainerPort = p.ContainerPort,
                        HostPort = p.HostPort.Value,
                        HostIp = p.HostIP ?? string.Empty,
                    });
                }
            }
        }

        return config;
    }

    /// <summary>
    /// The sandbox's <c>dns_config</c>, from the same <see cref="PodDnsConfig"/> the process runner writes its resolv.conf
    /// with: containerd writes the pod's <c>/etc/resolv.conf</c> from it (null: containerd copies the node's file).
    /// </summary>
    internal static DNSConfig? SandboxDns(V1Pod pod, KubeletOptions options)
    {
        if (PodDnsConfig.Compute(pod, options.ClusterDns, options.ClusterDomain) is not { } dns)
        {
            return null;
        }

        var config = new DNSConfig();
        config.Servers.Add(dns.Nameservers);
        config.Searches.Add(dns.Searches);
        config.Options.Add(dns.Options);
        return config;
    }

    /// <summary>As kubelet sets them: the pod's network (or the node's), a PID namespace per container, the pod's IPC.</summary>
    private static NamespaceOption Namespaces(bool hostNetwork) => new()
    {
        Network = hostNetwork ? NamespaceMode.Node : NamespaceMode.Pod,
        Pid = NamespaceMode.Container,
        Ipc = NamespaceMode.Pod,
    };

    private Dictionary<string, string> PodLabels() => new(StringComparer.Ordinal)
    {
        ["io.kubernetes.pod.name"] = _pod.Name(),
        ["io.kubernetes.pod.namespace"] = _pod.Namespace(),
        ["io.kubernetes.pod.uid"] = Uid,
    };

    private async Task SyncContainersAsync(CancellationToken ct)
    {
        if (_containers.Count == 0)
        {
            _containers.AddRange(_pod.Spec.Containers.Select(spec => new CriContainer(spec)));
        }

        var policy = _pod.Spec.RestartPolicy ?? "Always";
        foreach (var c in _containers)
        {
            if (c.Id is not null && !c.HasExited)
            {
                continue;
            }

            var first = c.Id is null && c.StartedAt is null;
            if (!first)
            {
                var restart = policy == "Always" || (policy == "OnFailure" && c.ExitCode is not 0);
                if (!restart)
                {
                    continue;
                }

                // Crash-loop back-off: 1 s doubling to 10 s, measured from the last exit.
                if (c.FinishedAt is { } finished && DateTimeOffset.UtcNow - finished < TimeSpan.FromSeconds(Math.Min(10, 1 << Math.Min(c.RestartCount, 4))))
                {
                    continue;
                }
            }

            await StartContainerAsync(c, first, ct).ConfigureAwait(false);
        }
    }

    private async Task StartContainerAsync(CriContainer c, bool first, CancellationToken ct)
    {
        try
        {
            if (c.Id is { } old)
            {
                // The exited attempt goes, as kubelet's container GC would remove it.
                await _cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = old }, cancellationToken: ct).ConfigureAwait(false);
                c.Id = null;
                c.Attempt++;
                c.RestartCount++;
            }

            var created = await _cri.Runtime.CreateContainerAsync(new CreateContainerRequest
            {
                PodSandboxId = _sandbox!.ContainerId,
                Config = BuildContainerConfig(c),
                SandboxConfig = _sandboxConfig,
            }, cancellationToken: ct).ConfigureAwait(false);
            c.Id = created.ContainerId;
            c.WaitingReason = null;
            c.WaitingMessage = null;
            _events?.Normal(_pod, "Created", $"Created container {c.Name}", c.Name);
            await _cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created.ContainerId }, cancellationToken: ct).ConfigureAwait(false);
            c.State = ContainerState.ContainerRunning;
            c.StartedAt = DateTimeOffset.UtcNow;
            c.FinishedAt = null;
            c.Pid = await PidOfAsync(created.ContainerId, ct).ConfigureAwait(false);
            LabLog.Info(_component, $"container {c.Name} started ({created.ContainerId[..12]}, pid {c.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}, image {c.Spec.Image})");
            _events?.Normal(_pod, "Started", $"Started container {c.Name}", c.Name);
            StartProbes(c);
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            LabLog.Error(_component, $"container {c.Name} cannot start: {e.Status.StatusCode}: {e.Status.Detail}");
            _events?.Warning(_pod, "Failed", $"Error: {e.Status.Detail}", c.Name);
            c.WaitingReason = c.Id is null ? "CreateContainerError" : "RunContainerError";
            c.WaitingMessage = e.Status.Detail;
            if (!first)
            {
                c.FinishedAt = DateTimeOffset.UtcNow;
            }
        }
    }

    /// <summary>The container's process id from containerd's verbose status (<c>info.pid</c>), null when it does not say.</summary>
    private async Task<int?> PidOfAsync(string containerId, CancellationToken ct)
    {
        try
        {
            var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId, Verbose = true }, cancellationToken: ct).ConfigureAwait(false);
            return status.Info.TryGetValue("info", out var text) && JsonNode.Parse(text)?["pid"]?.GetValue<int>() is > 0 and var pid ? pid : null;
        }
        catch (Exception e) when (e is RpcException or JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The container's probes, run by the same <see cref="ContainerProbes"/> as the process runner's: tcpSocket/httpGet from
    /// a socket in the sandbox's network namespace to the pod IP, exec through CRI <c>ExecSync</c>.
    /// </summary>
    private void StartProbes(CriContainer c)
    {
        c.StopProbes();
        if ((c.Spec.ReadinessProbe is null && c.Spec.LivenessProbe is null && c.Spec.StartupProbe is null) || _sandbox is null)
        {
            return;
        }

        var netns = _sandbox.HostNetwork ? "/run/netns/" + _options.NodeNetns : _sandbox.NetnsPath;
        c.Probes = new ContainerProbes(c.Spec, netns, _podIp, ExecIn(c), (probe, failure) =>
        {
            if (failure is not null)
            {
                _events?.Warning(_pod, "Unhealthy", $"{probe.Kind} probe failed: {failure}", c.Name);
            }

            _wake.Release();
        });
    }

    /// <summary>A command in the container's current attempt through CRI <c>ExecSync</c> (exec probes).</summary>
    private ContainerCommand ExecIn(CriContainer c) => async (argv, timeout, ct) =>
    {
        if (c.Id is not { } id)
        {
            return (-1, "the container does not run");
        }

        try
        {
            var request = new ExecSyncRequest { ContainerId = id, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
            request.Cmd.Add(argv);
            var response = await _cri.Runtime.ExecSyncAsync(request, deadline: DateTime.UtcNow + timeout + TimeSpan.FromSeconds(2), cancellationToken: ct).ConfigureAwait(false);
            var output = response.Stdout.ToStringUtf8() + response.Stderr.ToStringUtf8();
            return (response.ExitCode, output.Length > 512 ? output[..512] : output);
        }
        catch (RpcException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return (-1, $"command timed out after {timeout.TotalSeconds:0.#} s");
        }
        catch (RpcException e)
        {
            return (-1, e.Status.Detail);
        }
    };

    /// <summary>
    /// <c>kubectl exec</c> without stdin: the command runs in the named container (or the first) through CRI
    /// <c>ExecSync</c>, inside all its namespaces and root file system; null when no such container runs.
    /// An exec the runtime cannot start fails with its <see cref="RpcException"/>.
    /// </summary>
    public async Task<(int ExitCode, byte[] Stdout, byte[] Stderr)?> ExecSyncAsync(string container, IReadOnlyList<string> argv, CancellationToken ct)
    {
        var c = _containers.FirstOrDefault(c => (container.Length == 0 || c.Name == container) && c.IsRunning && c.Id is not null);
        if (c?.Id is not { } id)
        {
            return null;
        }

        var request = new ExecSyncRequest { ContainerId = id };
        request.Cmd.Add(argv);
        var response = await _cri.Runtime.ExecSyncAsync(request, cancellationToken: ct).ConfigureAwait(false);
        return (response.ExitCode, response.Stdout.ToByteArray(), response.Stderr.ToByteArray());
    }

    /// <summary>Containers whose liveness probe failed are stopped; the restart policy then starts them again.</summary>
    private async Task RestartUnhealthyAsync(CancellationToken ct)
    {
        foreach (var c in _containers)
        {
            if (c.IsRunning && c.Id is { } id && c.Probes is { LivenessFailed: true })
            {
                _events?.Normal(_pod, "Killing", $"Container {c.Name} failed liveness probe, will be restarted", c.Name);
                c.StopProbes();
                var grace = (long)Math.Min(_pod.Spec.TerminationGracePeriodSeconds ?? 30, _options.MaxGrace.TotalSeconds);
                try
                {
                    await _cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = grace }, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (!ct.IsCancellationRequested)
                {
                    LabLog.Warn(_component, $"stopping unhealthy container {c.Name}: {e.Status.StatusCode}: {e.Status.Detail}");
                }
            }
        }
    }

    private ContainerConfig BuildContainerConfig(CriContainer c)
    {
        var hostNetwork = _pod.Spec.HostNetwork == true;
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = c.Name, Attempt = c.Attempt },
            Image = new ImageSpec { Image = c.Spec.Image ?? string.Empty },
            WorkingDir = c.Spec.WorkingDir ?? string.Empty,
            LogPath = c.Name + ".log",
            Stdin = c.Spec.Stdin == true,
            StdinOnce = c.Spec.StdinOnce == true,
            Tty = c.Spec.Tty == true,
            Linux = new LinuxContainerConfig
            {
                SecurityContext = new LinuxContainerSecurityContext
                {
                    Privileged = c.Spec.SecurityContext?.Privileged == true,
                    NamespaceOptions = Namespaces(hostNetwork),
                },
            },
        };
        config.Command.Add(c.Spec.Command ?? []);
        config.Args.Add(c.Spec.Args ?? []);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["POD_NAME"] = _pod.Name(),
            ["POD_NAMESPACE"] = _pod.Namespace(),
            ["POD_IP"] = _podIp ?? _options.HostIp,
            ["NODE_NAME"] = _options.NodeName,
        };
        foreach (var e in c.Spec.Env ?? [])
        {
            env[e.Name] = e.Value ?? string.Empty;
        }

        config.Envs.Add(env.Select(kv => new KeyValue { Key = kv.Key, Value = kv.Value }));
        config.Labels.Add(PodLabels());
        config.Labels["io.kubernetes.container.name"] = c.Name;
        return config;
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        foreach (var c in _containers.Where(c => c.Id is not null))
        {
            try
            {
                var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = c.Id }, cancellationToken: ct).ConfigureAwait(false);
                var wasRunning = c.IsRunning;
                c.Apply(status.Status);
                if (c.HasExited)
                {
                    c.StopProbes();
                }

                if (wasRunning && c.HasExited)
                {
                    LabLog.Info(_component, $"container {c.Name} exited with code {c.ExitCode}");
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                c.StopProbes();
                c.State = ContainerState.ContainerExited;
                c.ExitCode ??= 137;
                c.FinishedAt ??= DateTimeOffset.UtcNow;
            }
        }
    }

    private async Task TearDownAsync(bool shuttingDown)
    {
        // A stopping kubelet (down, node delete) is itself on a deadline: containers get at most 2 s there.
        var grace = (long)Math.Min(_pod.Spec.TerminationGracePeriodSeconds ?? 30, shuttingDown ? 2 : _options.MaxGrace.TotalSeconds);
        await Task.WhenAll(_containers.Where(c => c.Id is not null).Select(c => StopContainerAsync(c, grace))).ConfigureAwait(false);

        if (_sandbox is not null)
        {
            await RemoveSandboxAsync(_sandbox, _cri, _options, _component).ConfigureAwait(false);
            _sandbox = null;
        }
    }

    /// <summary>
    /// As kubelet does: the container's <c>lifecycle.preStop</c> hook (<c>exec</c> through CRI <c>ExecSync</c> in the
    /// container, or <c>sleep</c>) within the grace period, then <c>StopContainer</c> with what is left of it (at least
    /// 1 s: SIGTERM, then SIGKILL when it ends), then <c>RemoveContainer</c>.
    /// </summary>
    private async Task StopContainerAsync(CriContainer c, long grace)
    {
        c.StopProbes();
        try
        {
            var left = grace;
            if (c.IsRunning && !_removed)
            {
                _events?.Normal(_pod, "Killing", $"Stopping container {c.Name}", c.Name);
                left = await RunPreStopAsync(c, grace).ConfigureAwait(false);
            }

            await _cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c.Id, Timeout = left }).ConfigureAwait(false);
            await _cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c.Id }).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            LabLog.Warn(_component, $"removing container {c.Name}: {e.Status.StatusCode}: {e.Status.Detail}");
        }

        c.Id = null;
    }

    /// <summary>Runs the container's preStop hook, if any, bounded by <paramref name="grace"/> seconds; the seconds left for <c>StopContainer</c>.</summary>
    private async Task<long> RunPreStopAsync(CriContainer c, long grace)
    {
        if (c.Spec.Lifecycle?.PreStop is not { } hook)
        {
            return grace;
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        if (hook.Sleep is { } sleep)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(sleep.Seconds, grace))).ConfigureAwait(false);
        }
        else if (hook.Exec?.Command is { Count: > 0 } command)
        {
            LabLog.Info(_component, $"preStop hook of {c.Name}: {string.Join(' ', command)} (CRI ExecSync)");
            var (code, output) = await ExecIn(c)([.. command], TimeSpan.FromSeconds(grace), CancellationToken.None).ConfigureAwait(false);
            if (code != 0)
            {
                _events?.Warning(_pod, "FailedPreStopHook", $"PreStopHook failed: exit {code}: {output.Trim()}", c.Name);
            }
        }

        return Math.Max(1, grace - (long)watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// StopPodSandbox (the runtime stops the containers and calls CNI DEL) and RemovePodSandbox, retried like
    /// kubelet does; then whatever is left of the namespace and the record.
    /// </summary>
    internal static async Task RemoveSandboxAsync(SandboxRecord sandbox, CriConnection cri, KubeletOptions options, string component)
    {
        const int attempts = 3;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                await cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox.ContainerId }, deadline: deadline).ConfigureAwait(false);
                await cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox.ContainerId }, deadline: deadline).ConfigureAwait(false);
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                break;
            }
            catch (RpcException e)
            {
                var last = attempt == attempts;
                LabLog.Warn(component, $"removing sandbox {sandbox.ContainerId[..12]} (CRI) failed (attempt {attempt}/{attempts}): {e.Status.StatusCode}: {e.Status.Detail}");
                if (last)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
        }

        if (!sandbox.HostNetwork && sandbox.Netns.Length > 0 && NetworkNamespace.Exists(sandbox.Netns))
        {
            Network.LabTopology.KillProcessesIn(sandbox.Netns);
            NetworkNamespace.Delete(sandbox.Netns);
        }

        sandbox.Delete(options.SandboxDir);
        LabLog.Info(component, $"sandbox {sandbox.ContainerId[..12]} (CRI) removed");
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
            // Already gone, or a new pod of the same name.
        }
    }

    private async Task ReportStatusAsync(CancellationToken ct)
    {
        if (Terminating)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var networkReady = _sandbox is not null && _podIp is not null;
        var running = networkReady && _containers.Count > 0 && _containers.All(c => c.IsRunning);
        var ready = running && _containers.All(c => c.IsReady);
        var policy = _pod.Spec.RestartPolicy ?? "Always";
        var allDone = networkReady && _containers.Count > 0 && _containers.All(c => c.HasExited);
        var phase = running ? "Running"
            : allDone && policy != "Always" && _containers.All(c => c.ExitCode == 0) ? "Succeeded"
            : allDone && policy == "Never" ? "Failed"
            : networkReady && _containers.Any(c => c.IsRunning || c.RestartCount > 0) ? "Running"
            : "Pending";
        var conditions = new JsonArray
        {
            Condition("PodScheduled", true, null, null),
            Condition("PodReadyToStartContainers", networkReady, networkReady ? null : "NetworkNotReady", _networkProblem),
            Condition("Initialized", true, null, null),
            Condition("ContainersReady", ready, ready ? null : "ContainersNotReady", null),
            Condition("Ready", ready, ready ? null : "ContainersNotReady", null),
        };
        var statuses = new JsonArray();
        foreach (var c in _containers)
        {
            JsonObject state = c.IsRunning
                ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Time(c.StartedAt) } }
                : c.HasExited && c.ExitCode is { } code
                    ? new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = code, ["startedAt"] = Time(c.StartedAt), ["finishedAt"] = Time(c.FinishedAt), ["reason"] = code == 0 ? "Completed" : "Error" } }
                    : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = c.WaitingReason ?? "ContainerCreating", ["message"] = c.WaitingMessage } };
            statuses.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["image"] = c.Spec.Image,
                ["imageID"] = string.Empty,
                ["containerID"] = c.Id is { } id ? "containerd://" + id : null,
                ["ready"] = c.IsReady,
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
            ["podIP"] = networkReady ? _podIp : null,
            ["podIPs"] = networkReady ? new JsonArray(new JsonObject { ["ip"] = _podIp }) : null,
            ["conditions"] = conditions,
            ["containerStatuses"] = statuses,
        };
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

    private static JsonObject Condition(string type, bool status, string? reason, string? message) => new()
    {
        ["type"] = type,
        ["status"] = status ? "True" : "False",
        ["reason"] = reason,
        ["message"] = status ? null : message,
    };

    private static string? Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
