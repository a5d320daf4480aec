using System.Globalization;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>
/// An rtnetlink connection to one network namespace: links, addresses, routes and neighbours.
/// The socket is created by a thread inside that namespace (<see cref="Open(NetworkNamespace)"/>)
/// and then works from any thread, so one instance can apply a whole batch of changes to a pod's
/// namespace without entering it again. Calls are synchronous and serialised (thread-safe).
/// <para>
/// Every failure is a <see cref="NetlinkException"/> naming the operation, the object, the
/// namespace and the kernel's errno. "Add" methods fail with <see cref="NetlinkException.IsAlreadyExists"/>
/// when the object exists; "Replace" methods create or overwrite (idempotent); "Delete" methods
/// fail with <see cref="NetlinkException.IsNotFound"/> when it is missing.
/// </para>
/// </summary>
public sealed partial class RtNetlink : IDisposable
{
    private readonly NetlinkSocket _socket;
    private readonly NetlinkWriter _writer = new();
    private readonly Lock _gate = new();

    private RtNetlink(NetlinkSocket socket, string? namespaceName)
    {
        _socket = socket;
        NamespaceName = namespaceName;
    }

    /// <summary>Display name of the namespace this connection configures; null for the calling thread's own.</summary>
    public string? NamespaceName { get; }

    /// <summary>Opens a connection to the network namespace of the calling thread.</summary>
    public static RtNetlink Open() => new(NetlinkSocket.Create(), null);

    /// <summary>Opens a connection to <paramref name="ns"/>: the socket is created on a short-lived thread inside it.</summary>
    public static RtNetlink Open(NetworkNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        return new RtNetlink(ns.Run(() => NetlinkSocket.Create()), ns.DisplayName);
    }

    /// <summary>Opens a connection to the namespace of <paramref name="thread"/>, creating the socket on that thread.</summary>
    public static RtNetlink Open(NamespaceThread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return new RtNetlink(thread.Run(() => NetlinkSocket.Create()), thread.Namespace.DisplayName);
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();

    /// <summary>Starts a request that wants an ack; NLM_F_ACK is added.</summary>
    private NetlinkWriter Begin(ushort type, ushort flags) => _writer.Begin(type, (ushort)(flags | Nl.NLM_F_ACK));

    /// <summary>Sends the request built in the writer; throws a described exception on failure.</summary>
    private void Execute(string operation, Func<string> target, NetlinkMessageHandler? handler = null)
    {
        var error = _socket.Transact(_writer.Finish(_socket.NextSeq()), dump: false, handler, out var kernelMessage);
        if (error != 0)
        {
            throw new NetlinkException(operation, target(), NamespaceName, error, kernelMessage);
        }
    }

    /// <summary>
    /// Sends the dump request built in the writer and feeds every reply to <paramref name="handler"/>.
    /// A dump the kernel marks inconsistent (the table changed meanwhile) is repeated after
    /// <paramref name="reset"/> discards what was collected.
    /// </summary>
    private void Dump(string operation, string target, NetlinkMessageHandler handler, Action reset)
    {
        for (var attempt = 1; ; attempt++)
        {
            var error = _socket.Transact(_writer.Finish(_socket.NextSeq()), dump: true, handler, out var kernelMessage);
            if (error != 0)
            {
                throw new NetlinkException(operation, target, NamespaceName, error, kernelMessage);
            }

            if (!_socket.LastDumpInterrupted || attempt == 5)
            {
                return;
            }

            reset();
        }
    }

    /// <summary>"eth0" when the link exists (for messages), otherwise "#7".</summary>
    private string LinkLabel(int index)
    {
        try
        {
            return GetLink(index).Name;
        }
        catch (NetlinkException)
        {
            return "#" + index.ToString(CultureInfo.InvariantCulture);
        }
    }
}
