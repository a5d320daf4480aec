using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Contiv.Linux;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>Runs a short command inside a container (exec probes, preStop hooks): its exit code (-1 on timeout) and the start of its output.</summary>
internal delegate Task<(int ExitCode, string Output)> ContainerCommand(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct);

/// <summary>
/// One readiness or liveness probe of a running container, as kubelet runs it: first after
/// <c>initialDelaySeconds</c>, then every <c>periodSeconds</c>, each attempt bounded by <c>timeoutSeconds</c>;
/// the result flips to success after <c>successThreshold</c> consecutive passes and to failure after
/// <c>failureThreshold</c> consecutive failures. <c>tcpSocket</c> and <c>httpGet</c> connect from a socket
/// created inside the pod's network namespace to the pod IP (or <c>host</c>); <c>exec</c> runs the command in
/// the container through the runtime's <see cref="ContainerCommand"/> (the process runner: nsenter into its
/// namespaces; CRI: <c>ExecSync</c>) and passes on exit code 0; <c>httpGet</c> passes on a status in 200–399.
/// </summary>
internal sealed class ProbeRunner
{
    private readonly string _kind;
    private readonly V1Probe _probe;
    private readonly V1Container _container;
    private readonly string _netnsPath;
    private readonly string? _podIp;
    private readonly ContainerCommand _exec;
    private readonly Action<ProbeRunner, string?> _changed;
    private readonly bool _stopOnSuccess;
    private int _successes;
    private int _failures;

    /// <summary>Creates the probe; <paramref name="changed"/> is called when <see cref="Succeeded"/> flips (with the failure text);
    /// <paramref name="stopOnSuccess"/> (startup probes) ends the probing once it passed.</summary>
    public ProbeRunner(string kind, V1Probe probe, V1Container container, string netnsPath, string? podIp, ContainerCommand exec, Action<ProbeRunner, string?> changed, bool stopOnSuccess = false)
    {
        _stopOnSuccess = stopOnSuccess;
        _kind = kind;
        _probe = probe;
        _container = container;
        _netnsPath = netnsPath;
        _podIp = podIp;
        _exec = exec;
        _changed = changed;
    }

    /// <summary><c>Startup</c>, <c>Readiness</c> or <c>Liveness</c>.</summary>
    public string Kind => _kind;

    /// <summary>The current result: null until the threshold is first reached.</summary>
    public bool? Succeeded { get; private set; }

    /// <summary>The last failure text.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>Probes until cancelled (the container stopped).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, _probe.InitialDelaySeconds ?? 0)), ct).ConfigureAwait(false);
            var period = TimeSpan.FromSeconds(Math.Max(1, _probe.PeriodSeconds ?? 10));
            while (!ct.IsCancellationRequested)
            {
                var failure = await ProbeOnceAsync(ct).ConfigureAwait(false);
                Record(failure);
                if (_stopOnSuccess && Succeeded == true)
                {
                    return;
                }

                await Task.Delay(period, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Record(string? failure)
    {
        if (failure is null)
        {
            _failures = 0;
            _successes++;
            if (Succeeded != true && _successes >= Math.Max(1, _probe.SuccessThreshold ?? 1))
            {
                Succeeded = true;
                _changed(this, null);
            }

            return;
        }

        LastFailure = failure;
        _successes = 0;
        _failures++;
        if (Succeeded != false && _failures >= Math.Max(1, _probe.FailureThreshold ?? 3))
        {
            Succeeded = false;
            _changed(this, failure);
        }
        else if (Succeeded == false)
        {
            // Still failing: reported again (the events aggregate), as kubelet does on every failed probe.
            _changed(this, failure);
        }
    }

    /// <summary>One attempt; null when it passed, else why it failed.</summary>
    internal async Task<string?> ProbeOnceAsync(CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, _probe.TimeoutSeconds ?? 1));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            if (_probe.Exec is { } exec)
            {
                var (code, output) = await _exec([.. exec.Command ?? []], timeout, ct).ConfigureAwait(false);
                return code == 0 ? null : $"command {string.Join(' ', exec.Command ?? [])} exited with {code}: {output.Trim()}";
            }

            if (_probe.TcpSocket is { } tcp)
            {
                var target = Target(tcp.Host, tcp.Port);
                using var socket = await ConnectAsync(target, limit.Token).ConfigureAwait(false);
                return null;
            }

            if (_probe.HttpGet is { } http)
            {
                return await HttpGetAsync(http, limit.Token).ConfigureAwait(false);
            }

            return "only exec, tcpSocket and httpGet probes are run by the lab";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"timeout after {timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return e.Message;
        }
    }

    private async Task<string?> HttpGetAsync(V1HTTPGetAction http, CancellationToken ct)
    {
        if (string.Equals(http.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase))
        {
            return "HTTPS probes are not run by the lab";
        }

        var target = Target(http.Host, http.Port);
        using var socket = await ConnectAsync(target, ct).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new StringBuilder();
        var path = string.IsNullOrEmpty(http.Path) ? "/" : http.Path;
        request.Append(CultureInfo.InvariantCulture, $"GET {path} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n");
        foreach (var h in http.HttpHeaders ?? [])
        {
            request.Append(CultureInfo.InvariantCulture, $"{h.Name}: {h.Value}\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), ct).ConfigureAwait(false);
        var buffer = new byte[256];
        var n = 0;
        while (n < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(n), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            n += read;
            if (Array.IndexOf(buffer, (byte)'\n', 0, n) >= 0)
            {
                break;
            }
        }

        var line = Encoding.ASCII.GetString(buffer, 0, n).Split('\n')[0].Trim();
        var parts = line.Split(' ');
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var status))
        {
            return $"HTTP probe to {target}{path}: no HTTP status line (\"{line}\")";
        }

        return status is >= 200 and < 400 ? null : $"HTTP probe failed with statuscode: {status}";
    }

    private IPEndPoint Target(string? host, IntOrString? port)
    {
        var address = host is { Length: > 0 } h ? IPAddress.Parse(h) : _podIp is { } ip ? IPAddress.Parse(ip) : IPAddress.Loopback;
        return new IPEndPoint(address, ResolvePort(port));
    }

    private int ResolvePort(IntOrString? port)
    {
        var value = port?.Value ?? throw new InvalidOperationException($"{_kind} probe of container {_container.Name} has no port");
        if (int.TryParse(value, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        foreach (var p in _container.Ports ?? [])
        {
            if (p.Name == value)
            {
                return p.ContainerPort;
            }
        }

        throw new InvalidOperationException($"{_kind} probe of container {_container.Name}: no container port named \"{value}\"");
    }

    private async Task<Socket> ConnectAsync(IPEndPoint target, CancellationToken ct)
    {
        using var netns = NetworkNamespace.Open(_netnsPath);
        var socket = await netns.RunAsync(() => new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        try
        {
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
