using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;

namespace Contiv.Lab.Kubelet;

/// <summary>A command (no stdin) run to its end in a container by the runtime: exit code and output, or null when the container does not run.</summary>
internal delegate Task<(int ExitCode, byte[] Stdout, byte[] Stderr)?> ExecSyncCall(IReadOnlyList<string> argv, CancellationToken ct);

/// <summary>
/// <c>exec</c> over the Kubernetes WebSocket channel protocol (<c>v5.channel.k8s.io</c>, and <c>v4</c> without the
/// close signal), what kubectl 1.32 speaks: binary messages whose first byte is the channel — 0 stdin, 1 stdout,
/// 2 stderr, 3 the final Status (JSON), 4 terminal resize, 255 (v5) "close this channel" (<c>[255, 0]</c> ends stdin).
/// The command runs inside the pod's network namespace (nsenter) with pipes, or with <c>tty</c> on a pseudo-terminal of
/// its own (<see cref="PtyProcess"/>). A container of a CRI runtime runs a command without stdin and tty through the
/// runtime's <c>ExecSync</c> instead (<see cref="RunSyncAsync"/>). After the Status the kubelet closes the WebSocket and
/// waits for the peer's close frame before it drops the connection (<see cref="CloseAsync"/>).
/// </summary>
internal static class KubeletExec
{
    /// <summary>Sub-protocols served, preferred first.</summary>
    public static readonly string[] Protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private const byte Stdin = 0;
    private const byte Stdout = 1;
    private const byte Stderr = 2;
    private const byte Error = 3;
    private const byte Resize = 4;
    private const byte Close = 255;

    /// <summary>True when the exec request asks for stdin (an interactive command).</summary>
    public static bool WantsStdin(HttpListenerRequest request) => request.QueryString["stdin"] is "true" or "1";

    /// <summary>True when the exec request asks for a terminal.</summary>
    public static bool WantsTty(HttpListenerRequest request) => request.QueryString["tty"] is "true" or "1";

    /// <summary>The negotiated sub-protocol and the command, or null after answering 400.</summary>
    private static async Task<(string Protocol, string[] Command)?> NegotiateAsync(HttpListenerContext ctx, CancellationToken ct)
    {
        var requested = (ctx.Request.Headers["Sec-WebSocket-Protocol"] ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var protocol = Protocols.FirstOrDefault(p => requested.Contains(p));
        var command = ctx.Request.QueryString.GetValues("command") ?? [];
        if (protocol is null || command.Length == 0)
        {
            ctx.Response.StatusCode = 400;
            var why = Encoding.UTF8.GetBytes(protocol is null ? $"exec needs one of the sub-protocols {string.Join(", ", Protocols)}" : "no command given");
            await ctx.Response.OutputStream.WriteAsync(why, ct).ConfigureAwait(false);
            return null;
        }

        return (protocol, command);
    }

    /// <summary>Sends one channel frame (the channel byte, then the data); one frame at a time.</summary>
    private static async Task SendAsync(WebSocket ws, SemaphoreSlim gate, byte channel, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame.AsMemory(1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await ws.SendAsync(frame, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Runs the request's command (no stdin) through a CRI runtime's <c>ExecSync</c> in the container: its stdout and
    /// stderr (stdout only with <c>tty</c>) once it ended, then the Status with its exit code.
    /// </summary>
    public static async Task RunSyncAsync(HttpListenerContext ctx, ExecSyncCall exec, string component, CancellationToken ct)
    {
        if (await NegotiateAsync(ctx, ct).ConfigureAwait(false) is not var (protocol, command))
        {
            return;
        }

        var tty = ctx.Request.QueryString["tty"] is "true" or "1";
        var wsContext = await ctx.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        using var ws = wsContext.WebSocket;
        using var gate = new SemaphoreSlim(1, 1);
        LabLog.Info(component, $"exec {string.Join(' ', command)} (CRI ExecSync)");
        string status;
        try
        {
            if (await exec(command, ct).ConfigureAwait(false) is var (code, stdout, stderr))
            {
                if (stdout.Length > 0)
                {
                    await SendAsync(ws, gate, Stdout, stdout, ct).ConfigureAwait(false);
                }

                if (stderr.Length > 0)
                {
                    await SendAsync(ws, gate, tty ? Stdout : Stderr, stderr, ct).ConfigureAwait(false);
                }

                status = Status(code, null);
            }
            else
            {
                status = Status(126, "failed to exec in container: the container is not running");
            }
        }
        catch (Grpc.Core.RpcException e) when (!ct.IsCancellationRequested)
        {
            status = Status(126, $"failed to exec in container: {e.Status.Detail}");
        }

        await SendAsync(ws, gate, Error, Encoding.UTF8.GetBytes(status), ct).ConfigureAwait(false);
        await CloseAsync(ws, input: null, ct).ConfigureAwait(false);
    }

    /// <summary>How long the kubelet waits for the peer's close frame after sending its own.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The end of an exec, after the Status went out on the error channel: our close frame, then the peer's close frame
    /// read (by <paramref name="input"/>, the loop already receiving, or here) within <see cref="CloseWait"/>, and only
    /// then the connection dropped. Returning right after our close frame (or cancelling a pending receive, which aborts
    /// the WebSocket) closes the TCP connection while the peer's close frame is unread or in flight: the kernel answers
    /// with a reset, and a client that has not read the Status yet (the API server relays it) fails with "error reading
    /// from error stream: … connection reset by peer".
    /// </summary>
    private static async Task CloseAsync(WebSocket ws, Task? input, CancellationToken ct)
    {
        if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(CloseWait);
        try
        {
            if (input is not null)
            {
                await input.WaitAsync(wait.Token).ConfigureAwait(false);
                return;
            }

            var buffer = new byte[1024];
            while (ws.State == WebSocketState.CloseSent)
            {
                // Whatever the peer still sends before its close frame (stdin, a resize) is dropped.
                if ((await ws.ReceiveAsync(buffer, wait.Token).ConfigureAwait(false)).MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // No close frame in time, or the peer dropped the connection itself: nothing to wait for.
        }
    }

    /// <summary>
    /// Runs the request's command for a WebSocket client; <paramref name="netnsPath"/> "" runs it without entering a
    /// namespace. Without <c>tty</c> on pipes (stdout and stderr on their channels), with <c>tty</c> on a pseudo-terminal
    /// (<see cref="PtyProcess"/>: the terminal's output on stdout, resize messages set its window size).
    /// </summary>
    public static async Task RunAsync(HttpListenerContext ctx, string netnsPath, string component, CancellationToken ct, string? mountNamespacePath = null)
    {
        if (await NegotiateAsync(ctx, ct).ConfigureAwait(false) is not var (protocol, command))
        {
            return;
        }

        var q = ctx.Request.QueryString;
        bool Flag(string name) => q[name] is "true" or "1";
        var tty = Flag("tty");
        var wsContext = await ctx.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        using var ws = wsContext.WebSocket;
        var sendGate = new SemaphoreSlim(1, 1);
        Task SendAsync(byte channel, ReadOnlyMemory<byte> data) => KubeletExec.SendAsync(ws, sendGate, channel, data, ct);

        var argv = new List<string>();
        if (netnsPath.Length > 0)
        {
            argv.Add(LabBinaries.Nsenter);
            argv.Add("--net=" + netnsPath);
            if (mountNamespacePath is not null)
            {
                // The container's own mounts (its resolv.conf, a CRI container's root file system), as an exec joins all of a container's namespaces.
                argv.Add("--mount=" + mountNamespacePath);
            }

            argv.Add("--");
        }

        argv.AddRange(command);
        if (tty)
        {
            await RunOnTerminalAsync(ws, SendAsync, argv, Flag("stdin"), component, netnsPath, ct).ConfigureAwait(false);
            return;
        }

        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        DaemonRuntime.Scrub(psi.Environment);
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await SendAsync(Error, Encoding.UTF8.GetBytes(Status(126, $"failed to exec in container: {command[0]}: {e.Message}"))).ConfigureAwait(false);
            await CloseAsync(ws, input: null, ct).ConfigureAwait(false);
            return;
        }

        using (process)
        {
            LabLog.Info(component, $"exec {string.Join(' ', command)} (pid {process.Id}{(netnsPath.Length > 0 ? ", netns " + netnsPath : string.Empty)})");
            if (!Flag("stdin"))
            {
                process.StandardInput.Close();
            }

            async Task PumpAsync(Stream from, byte channel)
            {
                var buffer = new byte[16384];
                int n;
                while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await SendAsync(channel, buffer.AsMemory(0, n)).ConfigureAwait(false);
                }
            }

            var stdout = PumpAsync(process.StandardOutput.BaseStream, Stdout);
            var stderr = PumpAsync(process.StandardError.BaseStream, Stderr);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var input = Task.Run(async () =>
            {
                await ReceiveInputAsync(
                    ws,
                    async data =>
                    {
                        if (!process.HasExited)
                        {
                            await process.StandardInput.BaseStream.WriteAsync(data, stop.Token).ConfigureAwait(false);
                            await process.StandardInput.BaseStream.FlushAsync(stop.Token).ConfigureAwait(false);
                        }
                    },
                    process.StandardInput.Close,
                    resize: null,
                    stop.Token).ConfigureAwait(false);
                if (!process.HasExited)
                {
                    // The client closed or went away while the command still runs.
                    process.Kill(entireProcessTree: true);
                }
            }, CancellationToken.None);

            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            await SendAsync(Error, Encoding.UTF8.GetBytes(Status(process.ExitCode, null))).ConfigureAwait(false);
            await CloseAsync(ws, input, ct).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await input.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>kubectl exec -t</c>: the command on a pseudo-terminal of its own (a new session, the pty its controlling
    /// terminal). The terminal's output goes to the stdout channel as it comes, typed input (stdin channel) to the
    /// terminal, resize messages (channel 4, <c>{"Width":…,"Height":…}</c>) set its window size; the end of stdin is an
    /// end-of-file character (Ctrl-D). The Status carries the exit code once the command exited and its output is read.
    /// </summary>
    private static async Task RunOnTerminalAsync(WebSocket ws, Func<byte, ReadOnlyMemory<byte>, Task> send, List<string> argv, bool stdin, string component, string netnsPath, CancellationToken ct)
    {
        // The client's messages are received from the start: kubectl sends its terminal's size right after connecting,
        // and the command starts on a terminal of that size (waiting up to 1 s for it), so a program that asks at once
        // (stty size, a full-screen editor) sees the right one; input typed meanwhile waits for the terminal.
        var gate = new object();
        PtyProcess? pty = null;
        (int Width, int Height)? size = null;
        var early = new List<byte[]>();
        var sized = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Deliver(ReadOnlySpan<byte> data)
        {
            lock (gate)
            {
                if (!stdin)
                {
                    return;
                }

                if (pty is null)
                {
                    early.Add(data.ToArray());
                }
                else if (!pty.HasExited)
                {
                    pty.Write(data);
                }
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var input = Task.Run(async () =>
        {
            await ReceiveInputAsync(
                ws,
                data =>
                {
                    Deliver(data.Span);
                    return Task.CompletedTask;
                },
                () => Deliver([4]),
                (width, height) =>
                {
                    lock (gate)
                    {
                        if (pty is null)
                        {
                            size = (width, height);
                            sized.TrySetResult();
                        }
                        else
                        {
                            pty.Resize(width, height);
                        }
                    }
                },
                stop.Token).ConfigureAwait(false);
            lock (gate)
            {
                // The client closed or went away: a command still running is killed.
                pty?.Kill();
            }
        }, CancellationToken.None);

        await Task.WhenAny(sized.Task, input, Task.Delay(TimeSpan.FromSeconds(1), ct)).ConfigureAwait(false);
        try
        {
            lock (gate)
            {
                pty = PtyProcess.Start(argv, size?.Width ?? 80, size?.Height ?? 24);
                foreach (var data in early)
                {
                    pty.Write(data);
                }
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            await send(Error, Encoding.UTF8.GetBytes(Status(126, $"failed to exec in container: {argv[^1]}: {e.Message}"))).ConfigureAwait(false);
            await CloseAsync(ws, input, ct).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await input.ConfigureAwait(false);
            return;
        }

        using (pty)
        {
            LabLog.Info(component, $"exec -t {string.Join(' ', argv)} (pid {pty.Pid}{(netnsPath.Length > 0 ? ", netns " + netnsPath : string.Empty)})");
            if (input.IsCompleted)
            {
                pty.Kill();
            }

            // A blocking reader of its own (poll + read on the pty master), off the thread pool.
            var output = Task.Factory.StartNew(
                () =>
                {
                    var buffer = new byte[16384];
                    int n;
                    while ((n = pty.Read(buffer)) > 0)
                    {
                        send(Stdout, buffer.AsMemory(0, n).ToArray()).GetAwaiter().GetResult();
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            try
            {
                await pty.WaitForExitAsync(ct).ConfigureAwait(false);
                await output.ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
            {
                pty.Kill();
                throw;
            }

            await send(Error, Encoding.UTF8.GetBytes(Status(pty.ExitCode, null))).ConfigureAwait(false);
            await CloseAsync(ws, input, ct).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await input.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The client's messages until its close frame (also after ours went out, see <see cref="CloseAsync"/>), the client
    /// going away or <paramref name="ct"/>: stdin data, the v5 close of stdin (<c>[255, 0]</c>) and terminal resizes.
    /// </summary>
    private static async Task ReceiveInputAsync(WebSocket ws, Func<ReadOnlyMemory<byte>, Task> stdin, Action closeStdin, Action<int, int>? resize, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            while (ws.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    message.Write(buffer, 0, r.Count);
                }
                while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var data = message.GetBuffer().AsMemory(0, (int)message.Length);
                if (data.Length < 2)
                {
                    continue;
                }

                switch (data.Span[0])
                {
                    case Stdin:
                        await stdin(data[1..]).ConfigureAwait(false);
                        break;
                    case Resize when resize is not null:
                        try
                        {
                            using var size = System.Text.Json.JsonDocument.Parse(data[1..]);
                            resize(size.RootElement.GetProperty("Width").GetInt32(), size.RootElement.GetProperty("Height").GetInt32());
                        }
                        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                        {
                            // Not a size: ignored.
                        }

                        break;
                    case Close when data.Span[1] == Stdin:
                        closeStdin();
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away or the command ended: nothing more to forward.
        }
    }

    /// <summary>The Status kubectl reads from the error channel: Success, or NonZeroExitCode with the code as cause.</summary>
    private static string Status(int exitCode, string? message)
    {
        if (exitCode == 0 && message is null)
        {
            return """{"metadata":{},"status":"Success"}""";
        }

        var code = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = (message ?? $"command terminated with non-zero exit code: exit status {code}").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"" + text + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"" + code + "\"}]}}";
    }
}
