using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Contiv.Model.Stn;
using Contiv.Testing;
using Grpc.Net.Client;

namespace Contiv.Stn.Tests;

/// <summary>One contiv-stn process (the published executable) acting on a test's host namespace, with its client.</summary>
internal sealed class StnDaemon : IDisposable
{
    private readonly string _dir;
    private readonly string _netns;
    private readonly double _healthDelaySeconds;
    private readonly string[] _extraArgs;
    private readonly double _repairIntervalSeconds;
    private Process? _process;
    private GrpcChannel? _channel;

    public StnDaemon(string netns, double healthDelaySeconds = 30, string? dir = null, double repairIntervalSeconds = 0.5, params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        _repairIntervalSeconds = repairIntervalSeconds;
        _netns = netns;
        _healthDelaySeconds = healthDelaySeconds;
        _dir = dir ?? Directory.CreateTempSubdirectory("ct-stn-").FullName;
        Start();
    }

    public string Socket => Path.Combine(_dir, "stn.sock");

    public string StateFile => Path.Combine(_dir, "stn-state.json");

    public STN.STNClient Client { get; private set; } = null!;

    public Process Process => _process!;

    /// <summary>Starts (or restarts) contiv-stn and waits for its socket.</summary>
    public void Start()
    {
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-stn"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[]
        {
            "--socket", Socket, "--netns", _netns, "--state-file", StateFile,
            "--health-check-delay", _healthDelaySeconds.ToString(CultureInfo.InvariantCulture), "--repair-interval", _repairIntervalSeconds.ToString(CultureInfo.InvariantCulture),
        }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        _process = ChildProcesses.Start(psi);
        _process.OutputDataReceived += (_, e) => LogLines.Enqueue(e.Data);
        _process.ErrorDataReceived += (_, e) => LogLines.Enqueue(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Connectable, not just present: a SIGKILLed predecessor leaves its socket file behind.
        HostNic.WaitFor(() => Accepts(Socket) || _process.HasExited, TimeSpan.FromSeconds(30), "contiv-stn socket " + Socket);
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"contiv-stn exited with {_process.ExitCode}: {Output}");
        }

        _channel?.Dispose();
        var socket = Socket;
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(s, ownsSocket: true);
                },
            },
        });
        Client = new STN.STNClient(_channel);
    }

    public System.Collections.Concurrent.ConcurrentQueue<string?> LogLines { get; } = new();

    public string Output => string.Join('\n', LogLines);

    private static bool Accepts(string path)
    {
        using var s = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Kill() => _process!.Kill();

    /// <summary>Sends SIGTERM and waits for the exit; returns the exit code.</summary>
    public int Terminate()
    {
        Shell.Run($"kill -TERM {_process!.Id}");
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("contiv-stn did not stop within 30 s of SIGTERM: " + Output);
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        // Shown by `dotnet test --logger "console;verbosity=detailed"` when a test fails.
        Console.WriteLine("contiv-stn output:\n" + Output);
        _channel?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
