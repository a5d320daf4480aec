using System.Net;
using System.Text;
using Contiv.Cni.Agent.Http2;

namespace Contiv.Cni.Agent;

/// <summary>
/// An HTTP/1.1 GET of the agent's readiness probe (<c>readinessUrl</c>) that reports the status line: the agent's
/// REST API is plain HTTP on the node. A minimal request on a <see cref="RawSocket"/> instead of
/// <see cref="HttpClient"/>, whose HTTP and TLS stack made up a third of the binary and ≈ 0.3 ms of every
/// invocation's start-up although only STATUS with a readiness URL needs it.
/// </summary>
public static class ReadinessProbe
{
    /// <summary>Sends <c>GET</c> and returns the status code and reason phrase; throws <see cref="IOException"/> when there is no valid answer.</summary>
    public static (int Status, string Reason) Get(Uri url, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme != Uri.UriSchemeHttp)
        {
            throw new IOException($"only http:// is supported, not {url.Scheme}://");
        }

        EndPoint endpoint = IPAddress.TryParse(url.IdnHost, out var ip) ? new IPEndPoint(ip, url.Port) : new DnsEndPoint(url.IdnHost, url.Port);
        var ms = (int)timeout.TotalMilliseconds;
        try
        {
            using var socket = RawSocket.Connect(endpoint, ms);
            socket.Send(Encoding.ASCII.GetBytes(
                $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUser-Agent: contiv-cni\r\nConnection: close\r\n\r\n"), ms);

            // Only the status line matters: "HTTP/1.1 200 OK".
            var buffer = new byte[1024];
            var length = 0;
            int end;
            while ((end = Array.IndexOf(buffer, (byte)'\n', 0, length)) < 0)
            {
                var n = length < buffer.Length ? socket.Receive(buffer.AsSpan(length), ms) : 0;
                if (n == 0)
                {
                    throw new IOException(length == 0 ? "the connection closed without an answer" : "no HTTP status line in the answer");
                }

                length += n;
            }

            var line = Encoding.ASCII.GetString(buffer, 0, end).TrimEnd('\r');
            var parts = line.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length != 3
                || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
            {
                throw new IOException($"not an HTTP status line: '{line}'");
            }

            return (status, parts.Length > 2 ? parts[2] : string.Empty);
        }
        catch (RawSocketException e)
        {
            throw new IOException(e.TimedOut ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message, e);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new IOException(e.Message, e); // name resolution
        }
    }
}
