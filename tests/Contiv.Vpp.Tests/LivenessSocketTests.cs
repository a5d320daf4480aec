using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Net.Client;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Tests;

/// <summary>The real daemon's liveness socket (docs/dataplane.md, "Liveness socket").</summary>
public sealed class LivenessSocketTests
{
    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_liveness_socket_names_the_instance_echoes_pings_and_closes_when_the_daemon_dies()
    {
        using var scope = new NetnsScope();
        using var vpp = new VppProcess(scope.Create("node"));
        var path = DataplaneLiveness.PathFor(vpp.ApiSocket);
        var sw = Stopwatch.StartNew();
        while (!File.Exists(path) && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(50);
        }

        Assert.True(File.Exists(path), $"no liveness socket at {path}: {vpp.Log}");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000 };
        live.Connect(new UnixDomainSocketEndPoint(path));
        var line = ReadLine(live);

        // The same identity the API reports.
        string instance;
        using (var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = Unix(vpp.ApiSocket) }))
        {
            instance = new Api.Dataplane.DataplaneClient(channel).GetVersion(new Empty()).InstanceId;
        }

        Assert.False(string.IsNullOrEmpty(instance));
        Assert.Equal(instance, line);

        // Pings come back as sent; a second client gets the same line.
        live.Send("?!"u8);
        var echo = new byte[8];
        var got = 0;
        while (got < 2)
        {
            got += live.Receive(echo, got, echo.Length - got, SocketFlags.None);
        }

        Assert.Equal("?!", Encoding.ASCII.GetString(echo, 0, got));
        using (var second = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000 })
        {
            second.Connect(new UnixDomainSocketEndPoint(path));
            Assert.Equal(instance, ReadLine(second));
        }

        // SIGKILL: no goodbye from the daemon, the kernel ends the connection.
        _ = Shell.Run($"kill -KILL {vpp.Pid}");
        sw.Restart();
        Assert.Equal(0, live.Receive(echo));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"the end came after {sw.Elapsed}");
    }

    private static string ReadLine(Socket s)
    {
        var buffer = new byte[DataplaneLiveness.MaxInstanceLineBytes];
        var filled = 0;
        while (Array.IndexOf(buffer, (byte)'\n', 0, filled) < 0)
        {
            var n = s.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
            Assert.True(n > 0, "the connection ended before the instance line");
            filled += n;
        }

        Assert.Equal((byte)'\n', buffer[filled - 1]);
        return Encoding.UTF8.GetString(buffer, 0, filled - 1);
    }

    private static SocketsHttpHandler Unix(string socket) => new()
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    };
}
