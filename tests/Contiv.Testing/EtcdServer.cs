using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Contiv.Testing;

/// <summary>
/// A real single-member etcd (Debian's <c>/usr/bin/etcd</c>, v3.4) for one test or test class:
/// free 127.0.0.1 client and peer ports, a private data directory, and start/stop/kill/restart/wipe
/// on demand. Every method that (re)starts etcd returns only once <c>/health</c> reports healthy.
/// Disposing kills the process and deletes the data directory, also after a failed test.
/// Talks to etcd only over its HTTP/JSON gateway, never through the code under test.
/// </summary>
/// <remarks>
/// The data directory lives on tmpfs (<c>/dev/shm</c>) when available: etcd fsyncs every commit and
/// tests writing thousands of keys would otherwise be dominated by disk latency.
/// </remarks>
public sealed class EtcdServer : IAsyncDisposable, IDisposable
{
    /// <summary>Path of the etcd binary; override with the <c>CONTIV_ETCD</c> environment variable.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("CONTIV_ETCD") is { Length: > 0 } p ? p : "/usr/bin/etcd";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _name = "ct" + Guid.NewGuid().ToString("N")[..8];
    private readonly HttpClient _http;
    private readonly object _logLock = new();
    private readonly Queue<string> _log = new();
    // etcd runs under a small sh watchdog whose stdin is a pipe from this process: when this process
    // dies without disposing (killed test host), the pipe closes and the watchdog kills etcd and
    // deletes the data, so no orphaned etcd keeps its port and its tmpfs memory.
    private const string WatchdogScript = """
        exec 3<&0
        bin=$1; shift
        "$bin" "$@" </dev/null 3<&- &
        pid=$!
        echo "etcd-pid $pid"
        (
          while read -r _; do :; done <&3
          trap '' TERM
          kill -9 "$pid" 2>/dev/null
          sleep 0.2
          rm -rf "$CONTIV_ETCD_ROOT"
        ) &
        watchdog=$!
        exec 3<&-
        wait "$pid"
        code=$?
        kill "$watchdog" 2>/dev/null
        exit $code
        """;

    private Process? _process; // the watchdog shell; etcd is its child
    private volatile int _etcdPid;
    private bool _disposed;

    private EtcdServer(string dataRoot, int clientPort, int peerPort, EtcdTls? tls)
    {
        DataRoot = dataRoot;
        ClientPort = clientPort;
        PeerPort = peerPort;
        Tls = tls;
        _http = new HttpClient(CreateHandler(tls)) { Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>The certificates when the client port serves TLS (<see cref="StartTlsAsync"/>), else null.</summary>
    public EtcdTls? Tls { get; }

    /// <summary>Client port on 127.0.0.1.</summary>
    public int ClientPort { get; }

    /// <summary>Peer port on 127.0.0.1.</summary>
    public int PeerPort { get; }

    /// <summary>Client URL, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string ClientUrl => $"{(Tls is null ? "http" : "https")}://127.0.0.1:{ClientPort}";

    /// <summary>Temp directory owned by this server (holds the data directory).</summary>
    public string DataRoot { get; }

    /// <summary>etcd's data directory.</summary>
    public string DataDir => Path.Combine(DataRoot, "data");

    /// <summary>True while the etcd process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Process id of the running etcd, or null.</summary>
    public int? ProcessId => IsRunning && _etcdPid > 0 ? _etcdPid : null;

    /// <summary>The last lines etcd wrote (stdout and stderr), for failure messages.</summary>
    public string RecentLog
    {
        get
        {
            lock (_logLock)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>Starts a fresh etcd on free ports with an empty data directory and waits until it is healthy.</summary>
    public static Task<EtcdServer> StartAsync(CancellationToken ct = default) => StartAsync(tls: false, ct);

    /// <summary>
    /// Starts etcd whose client port serves TLS and requires a client certificate signed by the test
    /// CA (<see cref="Tls"/>: certificates generated in the temp directory).
    /// </summary>
    public static Task<EtcdServer> StartTlsAsync(CancellationToken ct = default) => StartAsync(tls: true, ct);

    private static async Task<EtcdServer> StartAsync(bool tls, CancellationToken ct)
    {
        var shm = "/dev/shm";
        var baseDir = Directory.Exists(shm) ? shm : Path.GetTempPath();
        var root = Path.Combine(baseDir, "contiv-etcd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var certs = tls ? EtcdTls.Create(Path.Combine(root, "tls")) : null;

        // Free ports are probed, then released and handed to etcd; another process may grab one in
        // between, so a failed start is retried on new ports.
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = new EtcdServer(root, FreePort(), FreePort(), certs);
            try
            {
                await server.LaunchAsync(ct);
                return server;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
                server.KillProcess();
                server._http.Dispose();
                TryDeleteDirectory(server.DataDir);
            }
        }

        TryDeleteDirectory(root);
        throw new InvalidOperationException($"etcd ({Binary}) did not start after 3 attempts", last);
    }

    /// <summary>Stops etcd gracefully (SIGTERM) and waits for it to exit (SIGKILL after 10 s).</summary>
    public async Task StopAsync()
    {
        var p = _process;
        if (p is null || p.HasExited)
        {
            return;
        }

        Signal(15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            KillProcess();
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Kills etcd abruptly (SIGKILL) and waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        var p = _process;
        if (p is null || p.HasExited)
        {
            return;
        }

        Signal(9);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            KillProcess();
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Starts etcd again after a stop or kill, on the same ports and data directory, and waits until healthy.</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
        {
            throw new InvalidOperationException($"etcd on {ClientUrl} is still running (pid {_process!.Id}); stop or kill it first");
        }

        // The kernel may still hold the listening sockets briefly after a kill; retry a few times.
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                await LaunchAsync(ct);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
                KillProcess();
                await Task.Delay(200, ct);
            }
        }

        throw new InvalidOperationException($"etcd did not start again on {ClientUrl}", last);
    }

    /// <summary>
    /// Closes the watchdog's pipe exactly as the death of the test process would, for testing the
    /// fixture itself: etcd is killed and the temp directory deleted without <see cref="Dispose"/>.
    /// </summary>
    public void SimulateOwnerDeath() => _process?.StandardInput.Close();

    /// <summary>Restarts etcd gracefully: <see cref="StopAsync"/> then <see cref="StartAgainAsync"/>.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await StopAsync();
        await StartAgainAsync(ct);
    }

    /// <summary>Stops etcd, deletes its data and starts it empty on the same ports (revision starts over).</summary>
    public async Task WipeAsync(CancellationToken ct = default)
    {
        await KillAsync();
        TryDeleteDirectory(DataDir);
        await StartAgainAsync(ct);
    }

    /// <summary>Writes a key through the HTTP gateway (independent of the code under test); returns the new revision.</summary>
    public async Task<long> PutAsync(string key, string value, CancellationToken ct = default)
    {
        using var doc = await PostAsync("/v3/kv/put", new Dictionary<string, object> { ["key"] = B64(key), ["value"] = B64(value) }, ct);
        return HeaderRevision(doc.RootElement);
    }

    /// <summary>Deletes every key under a prefix ("" = everything) through the HTTP gateway; returns the number deleted.</summary>
    public async Task<long> DeletePrefixAsync(string prefix, CancellationToken ct = default)
    {
        var body = new Dictionary<string, object> { ["key"] = prefix.Length == 0 ? B64("\0") : B64(prefix), ["range_end"] = RangeEndB64(prefix) };
        using var doc = await PostAsync("/v3/kv/deleterange", body, ct);
        return doc.RootElement.TryGetProperty("deleted", out var d) ? long.Parse(d.GetString()!, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Reads a key's value through the HTTP gateway, or null when absent.</summary>
    public async Task<string?> GetAsync(string key, CancellationToken ct = default)
    {
        using var doc = await PostAsync("/v3/kv/range", new Dictionary<string, object> { ["key"] = B64(key) }, ct);
        if (!doc.RootElement.TryGetProperty("kvs", out var kvs) || kvs.GetArrayLength() == 0)
        {
            return null;
        }

        return Encoding.UTF8.GetString(Convert.FromBase64String(kvs[0].GetProperty("value").GetString() ?? string.Empty));
    }

    /// <summary>The store's current revision.</summary>
    public async Task<long> RevisionAsync(CancellationToken ct = default)
    {
        using var doc = await PostAsync("/v3/kv/range", new Dictionary<string, object> { ["key"] = B64("\0"), ["count_only"] = true }, ct);
        return HeaderRevision(doc.RootElement);
    }

    /// <summary>Compacts the history up to <paramref name="revision"/> (physical: waits until done).</summary>
    public async Task CompactAsync(long revision, CancellationToken ct = default)
    {
        using var doc = await PostAsync("/v3/kv/compaction",
            new Dictionary<string, object> { ["revision"] = revision.ToString(CultureInfo.InvariantCulture), ["physical"] = true }, ct);
    }

    /// <summary>Compacts the history up to the current revision; returns that revision.</summary>
    public async Task<long> CompactToCurrentAsync(CancellationToken ct = default)
    {
        var rev = await RevisionAsync(ct);
        await CompactAsync(rev, ct);
        return rev;
    }

    /// <summary>Waits until <c>/health</c> reports healthy or the timeout passes.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = Stopwatch.StartNew();
        string lastError = "no answer";
        while (deadline.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } p)
            {
                throw new InvalidOperationException($"etcd exited with code {p.ExitCode} while starting on {ClientUrl}:\n{RecentLog}");
            }

            try
            {
                var body = await _http.GetStringAsync(new Uri(ClientUrl + "/health"), ct);
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("health", out var h) && h.GetString() == "true")
                {
                    return;
                }

                lastError = body;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                lastError = e.Message;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"etcd on {ClientUrl} not healthy after {timeout.TotalSeconds:0}s (last: {lastError}):\n{RecentLog}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        KillProcess();
        _process?.WaitForExit(5000);
        _process?.Dispose();
        _http.Dispose();
        TryDeleteDirectory(DataRoot);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"etcd {ClientUrl} (data {DataDir}, {(IsRunning ? "running" : "stopped")})";

    private async Task LaunchAsync(CancellationToken ct)
    {
        var peerUrl = $"http://127.0.0.1:{PeerPort}";
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(WatchdogScript);
        psi.ArgumentList.Add("etcd-watchdog");
        psi.ArgumentList.Add(Binary);
        string[] args =
        [
            "--name", _name,
            "--data-dir", DataDir,
            "--listen-client-urls", ClientUrl,
            "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", $"{_name}={peerUrl}",
            "--initial-cluster-state", "new",
            "--initial-cluster-token", _name,
            // One member: short timeouts make (re)starts elect the leader in well under a second.
            "--heartbeat-interval", "50",
            "--election-timeout", "300",
            "--logger", "zap",
            "--log-outputs", "stderr",
            "--log-level", "warn",
        ];
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (Tls is not null)
        {
            foreach (var a in new[] { "--cert-file", Tls.ServerCertFile, "--key-file", Tls.ServerKeyFile, "--trusted-ca-file", Tls.CaFile, "--client-cert-auth" })
            {
                psi.ArgumentList.Add(a);
            }
        }

        // ETCD_* variables from the environment would override the flags.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["CONTIV_ETCD_ROOT"] = DataRoot;
        _etcdPid = 0;
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("etcd-pid ", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                _etcdPid = pid;
            }
            else
            {
                AddLog(e.Data);
            }
        };
        p.ErrorDataReceived += (_, e) => AddLog(e.Data);
        if (!p.Start())
        {
            throw new InvalidOperationException($"cannot start {Binary}");
        }

        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process?.Dispose();
        _process = p;
        await WaitHealthyAsync(StartTimeout, ct);
    }

    private async Task<JsonDocument> PostAsync(string path, Dictionary<string, object> body, CancellationToken ct)
    {
        using var resp = await _http.PostAsJsonAsync(new Uri(ClientUrl + path), body, ct);
        var text = await resp.Content.ReadAsStringAsync(ct);
        if (!resp.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"etcd {path} on {ClientUrl} answered {(int)resp.StatusCode}: {text}");
        }

        return JsonDocument.Parse(text);
    }

    private static long HeaderRevision(JsonElement root)
        => long.Parse(root.GetProperty("header").GetProperty("revision").GetString()!, CultureInfo.InvariantCulture);

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static string RangeEndB64(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return Convert.ToBase64String(bytes.AsSpan(0, i + 1));
            }
        }

        return Convert.ToBase64String(new byte[] { 0 }); // "\0" = to the end of the keyspace
    }

    private void AddLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log.Enqueue(line);
            while (_log.Count > 200)
            {
                _log.Dequeue();
            }
        }
    }

    // Sends a signal to etcd itself (not the watchdog shell); falls back to killing the whole tree.
    private void Signal(int signal)
    {
        var pid = _etcdPid;
        if (pid <= 0 || Kill(pid, signal) != 0)
        {
            KillProcess();
        }
    }

    private void KillProcess()
    {
        try
        {
            if (_process is { HasExited: false } p)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // exited in between
        }
    }

    private static HttpMessageHandler CreateHandler(EtcdTls? tls)
    {
        var handler = new SocketsHttpHandler();
        if (tls is null)
        {
            return handler;
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(tls.CaFile);
        handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(tls.ClientCertFile, tls.ClientKeyFile)];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
        {
            if (cert is not X509Certificate2 c || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(c);
        };
        return handler;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static void TryDeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // best effort: a leftover temp dir must not fail the test that owns the server
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
