using System.Diagnostics;
using System.Net.Sockets;
using Contiv.Hosting;
using Contiv.Linux.Files;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Security;

/// <summary>
/// A socket shared with a group (<c>--cni-socket-group</c>, contiv-vpp's <c>--socket-group</c>): it appears at its
/// path already with mode 0660 and that group; without a group it stays 0600; a group that does not exist is named.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SharedSocketGroupTests
{
    [RootFact]
    public void A_socket_published_for_a_group_is_0660_and_belongs_to_that_group()
    {
        var dir = Directory.CreateTempSubdirectory("ctsock-").FullName;
        try
        {
            var shared = Publish(Path.Combine(dir, "shared.sock"), "daemon");
            var own = Publish(Path.Combine(dir, "own.sock"), null);

            Assert.Equal(PrivateUnixSocket.GroupMode, File.GetUnixFileMode(shared));
            Assert.Equal(UnixGroup.Resolve("daemon").ToString(System.Globalization.CultureInfo.InvariantCulture), Stat("%g", shared));
            Assert.Equal(PrivateUnixSocket.Mode, File.GetUnixFileMode(own));
            Assert.Equal("0", Stat("%g", own));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [RootFact]
    public void An_unknown_group_is_refused_by_name_before_anything_listens()
    {
        var dir = Directory.CreateTempSubdirectory("ctsock-").FullName;
        try
        {
            var e = Assert.Throws<ArgumentException>(() => PrivateUnixSocket.Prepare(Path.Combine(dir, "x.sock"), "no-such-group-ct"));
            Assert.Contains("no-such-group-ct", e.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Groups_resolve_by_name_from_the_group_file_or_by_number()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "root:x:0:\ncontiv:x:4242:alice,bob\n");
            Assert.Equal(4242u, UnixGroup.Resolve("contiv", file));
            Assert.Equal(17u, UnixGroup.Resolve("17", file));
            Assert.Throws<ArgumentException>(() => UnixGroup.Resolve("alice", file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Publish(string path, string? group)
    {
        var socket = PrivateUnixSocket.Prepare(path, group);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket.StagingPath));
        listener.Listen(1);
        socket.Publish();
        return path;
    }

    private static string Stat(string format, string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true })!;
        var o = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return o;
    }
}
