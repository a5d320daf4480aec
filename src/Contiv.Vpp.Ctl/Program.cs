using System.Net.Sockets;
using System.Text;

// contiv-vppctl: FD.io vppctl's twin for contiv-vpp's debug CLI socket.
// Protocol: one command per line; the server answers '+' (ok) or '-' (error), the output, then NUL.
const string DefaultSocket = "/run/vpp/cli.sock";
var socketPath = DefaultSocket;
var words = new List<string>(args);
if (words.Count > 0 && words[0] is "-h" or "--help")
{
    Console.WriteLine("""
        contiv-vppctl — debug CLI client for contiv-vpp (FD.io vppctl syntax)

        Usage: contiv-vppctl [-s <cli-socket>] [command words...]
          -s <path>   CLI socket of the data plane [/run/vpp/cli.sock]; only recognised as the first argument
          With command words: runs that command, prints its output and exits (1 when the command failed).
          Without words: interactive session with a 'vpp# ' prompt; 'quit' or end of input leaves.
        Examples: contiv-vppctl show interface
                  contiv-vppctl -s /run/vpp/cli-node1.sock show ip fib table 1
        """);
    return 0;
}

if (words.Count > 0 && words[0] == "-s")
{
    if (words.Count < 2)
    {
        Console.Error.WriteLine("contiv-vppctl: -s needs a socket path");
        return 2;
    }

    socketPath = words[1];
    words.RemoveRange(0, 2);
}

Socket socket;
try
{
    socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    socket.Connect(new UnixDomainSocketEndPoint(socketPath));
}
catch (SocketException e)
{
    Console.Error.WriteLine($"contiv-vppctl: cannot connect to CLI socket {socketPath}: {e.Message}");
    return 1;
}

using (socket)
{
    using var stream = new NetworkStream(socket, ownsSocket: false);
    if (words.Count > 0)
    {
        var (ok, output) = Run(stream, string.Join(' ', words));
        Console.Out.Write(output);
        return ok ? 0 : 1;
    }

    var interactive = !Console.IsInputRedirected;
    while (true)
    {
        if (interactive)
        {
            Console.Out.Write("vpp# ");
        }

        var line = Console.In.ReadLine();
        if (line is null || line.Trim() is "quit" or "q" or "exit")
        {
            return 0;
        }

        if (line.Trim().Length == 0)
        {
            continue;
        }

        var (_, output) = Run(stream, line);
        Console.Out.Write(output);
    }
}

static (bool Ok, string Output) Run(NetworkStream stream, string command)
{
    var bytes = Encoding.UTF8.GetBytes(command.Replace('\n', ' ') + "\n");
    stream.Write(bytes);
    var reply = new MemoryStream();
    var buf = new byte[65536];
    while (true)
    {
        var n = stream.Read(buf);
        if (n <= 0)
        {
            break;
        }

        var end = Array.IndexOf(buf, (byte)0, 0, n);
        if (end >= 0)
        {
            reply.Write(buf, 0, end);
            break;
        }

        reply.Write(buf, 0, n);
    }

    var text = Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
    if (text.Length == 0)
    {
        return (false, "contiv-vppctl: connection closed by the data plane\n");
    }

    return (text[0] == '+', text[1..]);
}
