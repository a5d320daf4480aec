using System.Net;
using System.Net.Sockets;
using System.Text;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// The kubelet stand-in's HTTP endpoint on 127.0.0.1 (its port is the Node's <c>daemonEndpoints.kubeletEndpoint.Port</c>;
/// the lab's kubelets all run in the root namespace, so the API server reaches every one on loopback):
/// <c>GET /containerLogs/{namespace}/{pod}/{container}?follow=&amp;tailLines=</c> serves a container's log file, which is
/// what <c>kubectl logs</c> reaches through the API server (the log lines the kubelet itself writes, <c>--- … start:</c>, are
/// left out), <c>/exec/{namespace}/{pod}/{container}?command=…</c> over a WebSocket (<see cref="KubeletExec"/>) and
/// <c>/portForward/{namespace}/{pod}?port=P</c> over a WebSocket (<see cref="KubeletPortForward"/>).
/// </summary>
public sealed class KubeletServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _podLogDir;
    private readonly string _component;

    private readonly Func<string, string, string?> _netnsOf;
    private readonly Func<string, string, string?>? _mountNamespaceOf;

    /// <summary>
    /// Listens on a free loopback port. <paramref name="netnsOf"/> maps a pod (namespace, name) to the network namespace
    /// its commands run in: a path, "" for none (the host's), null when the pod does not run here.
    /// </summary>
    public KubeletServer(string podLogDir, string component, Func<string, string, string?> netnsOf, Func<string, string, string?>? mountNamespaceOf = null)
    {
        _mountNamespaceOf = mountNamespaceOf;
        _podLogDir = podLogDir;
        _netnsOf = netnsOf;
        _component = component;
        for (var attempt = 0; ; attempt++)
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
            }

            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                return;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Taken between the probe and the bind: try another port.
            }
        }
    }

    /// <summary>
    /// Maps a pod (namespace, name) and container name to the runtime's <c>ExecSync</c> for it (a CRI runtime), or null:
    /// exec without stdin then runs in the container through the runtime, not through nsenter.
    /// </summary>
    internal Func<string, string, string, ExecSyncCall?>? ExecSyncOf { get; init; }

    /// <summary>The port served on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Serves until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var reg = ct.Register(_listener.Stop);
        while (!ct.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(ctx, ct), CancellationToken.None);
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx, CancellationToken ct)
    {
        try
        {
            var parts = ctx.Request.Url!.AbsolutePath.Trim('/').Split('/');
            if (parts is ["containerLogs", var ns, var pod, var container])
            {
                await LogsAsync(ctx, ns, pod, container, ct).ConfigureAwait(false);
            }
            else if (parts is ["exec", var ens, var epod, var econtainer] && ctx.Request.IsWebSocketRequest)
            {
                if (!KubeletExec.WantsStdin(ctx.Request) && !KubeletExec.WantsTty(ctx.Request) && ExecSyncOf?.Invoke(ens, epod, econtainer) is { } sync)
                {
                    await KubeletExec.RunSyncAsync(ctx, sync, _component, ct).ConfigureAwait(false);
                }
                else if (_netnsOf(ens, epod) is { } netns)
                {
                    await KubeletExec.RunAsync(ctx, netns, _component, ct, _mountNamespaceOf?.Invoke(ens, epod)).ConfigureAwait(false);
                }
                else
                {
                    await WriteTextAsync(ctx, 404, $"pod {ens}/{epod} is not running on this node").ConfigureAwait(false);
                }
            }
            else if (parts is ["portForward", var pns, var ppod] && ctx.Request.IsWebSocketRequest)
            {
                if (_netnsOf(pns, ppod) is { } netns)
                {
                    await KubeletPortForward.RunAsync(ctx, netns, ppod, ct).ConfigureAwait(false);
                }
                else
                {
                    await WriteTextAsync(ctx, 404, $"pod {pns}/{ppod} is not running on this node").ConfigureAwait(false);
                }
            }
            else
            {
                await WriteTextAsync(ctx, 404, "not found").ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or HttpListenerException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            LabLog.Warn(_component, $"{ctx.Request.Url?.AbsolutePath}: {e.Message}");
        }
        finally
        {
            try
            {
                ctx.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>The newest log file of a container (pods of the same name get a new uid directory).</summary>
    public static string? LogFile(string podLogDir, string ns, string pod, string container)
    {
        if (!Directory.Exists(podLogDir))
        {
            return null;
        }

        return Directory.EnumerateDirectories(podLogDir, $"{ns}_{pod}_*")
            .Where(d => Path.GetFileName(d).Length == ns.Length + pod.Length + 10)
            .Select(d => Path.Combine(d, container + ".log"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    private static bool IsKubeletLine(string line) => line.StartsWith("--- ", StringComparison.Ordinal) && line.Contains(" start: ", StringComparison.Ordinal);

    private async Task LogsAsync(HttpListenerContext ctx, string ns, string pod, string container, CancellationToken ct)
    {
        var file = LogFile(_podLogDir, ns, pod, container);
        if (file is null)
        {
            await WriteTextAsync(ctx, 404, $"container \"{container}\" in pod \"{pod}\" has no log on this node").ConfigureAwait(false);
            return;
        }

        var q = ctx.Request.QueryString;
        var follow = q["follow"] is "true" or "1";
        var tail = int.TryParse(q["tailLines"], System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : -1;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        ctx.Response.SendChunked = true;
        var output = ctx.Response.OutputStream;
        await using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        var lines = new List<string>();
        var joiner = new Cri.CriLogLine.Joiner();
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (!IsKubeletLine(line) && joiner.Add(line) is { } joined)
            {
                lines.Add(joined);
            }
        }

        foreach (var line in tail >= 0 ? lines.Skip(Math.Max(0, lines.Count - tail)) : lines)
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ct).ConfigureAwait(false);
        }

        await output.FlushAsync(ct).ConfigureAwait(false);
        if (!follow)
        {
            return;
        }

        // Follow: poll for appended lines until the client goes away or the file is removed with its pod.
        var partial = new StringBuilder();
        var buffer = new char[8192];
        while (!ct.IsCancellationRequested && File.Exists(file))
        {
            var n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
                continue;
            }

            partial.Append(buffer, 0, n);
            var text = partial.ToString();
            var end = text.LastIndexOf('\n');
            if (end < 0)
            {
                continue;
            }

            partial.Clear().Append(text[(end + 1)..]);
            var sb = new StringBuilder();
            foreach (var line in text[..end].Split('\n'))
            {
                if (!IsKubeletLine(line) && joiner.Add(line) is { } joined)
                {
                    sb.Append(joined).Append('\n');
                }
            }

            await output.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteTextAsync(HttpListenerContext ctx, int code, string text)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain";
        var bytes = Encoding.UTF8.GetBytes(text);
        await ctx.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Close();
}
