using System.Net;
using System.Net.Sockets;

namespace Contiv.Lab.Lab;

/// <summary>TCP ports on 127.0.0.1 for the lab's control plane and node daemons.</summary>
public static class Ports
{
    /// <summary>
    /// <paramref name="preferred"/> when it is free (the default instance uses well-known ports so
    /// docs and muscle memory work), else a free port chosen by the kernel.
    /// </summary>
    public static int Pick(int? preferred, ISet<int>? taken = null)
    {
        if (preferred is { } p && taken?.Contains(p) != true && IsFree(p))
        {
            taken?.Add(p);
            return p;
        }

        while (true)
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            if (taken?.Contains(port) != true)
            {
                taken?.Add(port);
                return port;
            }
        }
    }

    /// <summary>True when nothing listens on 127.0.0.1:<paramref name="port"/> and it can be bound.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
