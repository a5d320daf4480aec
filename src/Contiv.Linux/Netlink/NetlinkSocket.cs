using System.Buffers.Binary;
using Contiv.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Contiv.Linux.Netlink;

/// <summary>Receives one netlink message of a reply (header type plus the bytes after the header).</summary>
internal delegate void NetlinkMessageHandler(ushort type, ReadOnlySpan<byte> payload);

/// <summary>
/// A NETLINK_ROUTE socket. The socket belongs to the network namespace of the thread that created
/// it, for its whole life, whichever thread uses it later. Requests are synchronous: send, then read
/// replies until the ack, the error or the end of a dump. Not thread-safe; the owner serialises use.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private uint _seq = (uint)Environment.TickCount;

    private NetlinkSocket(SafeFileHandle handle, uint portId)
    {
        _handle = handle;
        PortId = portId;
    }

    /// <summary>The port id the kernel assigned at bind.</summary>
    public uint PortId { get; }

    /// <summary>The raw descriptor (valid while this object lives).</summary>
    public int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>Creates and binds a socket in the calling thread's network namespace.</summary>
    /// <param name="groups">Legacy multicast group mask to subscribe (e.g. RTMGRP_LINK), 0 for none.</param>
    /// <param name="receiveBufferBytes">Kernel receive buffer; event sockets want a large one.</param>
    public static NetlinkSocket Create(uint groups = 0, int receiveBufferBytes = 0)
    {
        var fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new NetlinkException("netlink socket", "NETLINK_ROUTE", null, Libc.LastErrno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var one = 1;

            // Best effort: extended ack gives the kernel's reason text; a capped ack keeps errors short.
            _ = Libc.SetSockOpt(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, &one, sizeof(int));
            _ = Libc.SetSockOpt(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, &one, sizeof(int));
            if (receiveBufferBytes > 0 && Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &receiveBufferBytes, sizeof(int)) != 0)
            {
                _ = Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &receiveBufferBytes, sizeof(int));
            }

            var addr = new Libc.SockAddrNl { Family = Libc.AF_NETLINK, Groups = groups };
            if (Libc.Bind(fd, &addr, (uint)sizeof(Libc.SockAddrNl)) != 0)
            {
                throw new NetlinkException("netlink bind", "NETLINK_ROUTE", null, Libc.LastErrno);
            }

            var len = (uint)sizeof(Libc.SockAddrNl);
            if (Libc.GetSockName(fd, &addr, &len) != 0)
            {
                throw new NetlinkException("netlink getsockname", "NETLINK_ROUTE", null, Libc.LastErrno);
            }

            return new NetlinkSocket(handle, addr.Pid);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>True when the last dump was marked NLM_F_DUMP_INTR (the table changed meanwhile; repeat it).</summary>
    public bool LastDumpInterrupted { get; private set; }

    /// <summary>Next sequence number for a request.</summary>
    public uint NextSeq() => ++_seq;

    /// <summary>
    /// Sends a request and reads its replies. Non-dump requests end at the ack (NLMSG_ERROR with
    /// error 0, requested with NLM_F_ACK) or at an error; dumps end at NLMSG_DONE. Every other reply
    /// message goes to <paramref name="handler"/>.
    /// </summary>
    /// <returns>0 on success, otherwise the positive errno; <paramref name="kernelMessage"/> holds the extended ack text.</returns>
    public int Transact(ReadOnlySpan<byte> request, bool dump, NetlinkMessageHandler? handler, out string? kernelMessage)
    {
        kernelMessage = null;
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        LastDumpInterrupted = false;
        var seq = BinaryPrimitives.ReadUInt32LittleEndian(request[8..]);
        Send(request);
        while (true)
        {
            var n = Receive(blocking: true);
            var data = _receive.AsSpan(0, n);
            while (data.Length >= 16)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                if (length < 16 || length > data.Length)
                {
                    throw new InvalidDataException($"malformed netlink message (length {length}, {data.Length} bytes left)");
                }

                var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
                var msgSeq = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
                var payload = data[16..length];
                data = data[Math.Min(NetlinkWriter.Align(length), data.Length)..];
                if (msgSeq != seq)
                {
                    continue; // a late reply to an earlier, abandoned request
                }

                if ((flags & Nl.NLM_F_DUMP_INTR) != 0)
                {
                    LastDumpInterrupted = true;
                }

                switch (type)
                {
                    case Nl.NLMSG_ERROR:
                        {
                            var error = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : Errno.EBADMSG;
                            kernelMessage = ExtAckMessage(flags, payload);
                            return error;
                        }

                    case Nl.NLMSG_DONE:
                        {
                            var error = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                            return error;
                        }

                    case Nl.NLMSG_NOOP:
                    case Nl.NLMSG_OVERRUN:
                        break;
                    default:
                        handler?.Invoke(type, payload);
                        if (!dump && (flags & Nl.NLM_F_MULTI) == 0 && handler is not null && (BinaryPrimitives.ReadUInt16LittleEndian(request[6..]) & Nl.NLM_F_ACK) == 0)
                        {
                            return 0; // a single reply to a get without ack
                        }

                        break;
                }
            }
        }
    }

    /// <summary>Sends one message.</summary>
    public void Send(ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            while (true)
            {
                var sent = Libc.Send(Fd, p, (nuint)message.Length, 0);
                if (sent >= 0)
                {
                    return;
                }

                var errno = Libc.LastErrno;
                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException("netlink send", "NETLINK_ROUTE", null, errno);
                }
            }
        }
    }

    /// <summary>
    /// Receives one datagram into the internal buffer and returns its length; -1 when non-blocking
    /// and nothing is queued. Throws on errors, including ENOBUFS (the kernel dropped messages).
    /// </summary>
    public int Receive(bool blocking)
    {
        fixed (byte* p = _receive)
        {
            while (true)
            {
                var n = Libc.Recv(Fd, p, (nuint)_receive.Length, blocking ? 0 : Libc.MSG_DONTWAIT);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Libc.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (!blocking && errno == Errno.EAGAIN)
                {
                    return -1;
                }

                throw new NetlinkException("netlink receive", "NETLINK_ROUTE", null, errno);
            }
        }
    }

    /// <summary>The bytes of the last datagram returned by <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> Received(int length) => _receive.AsSpan(0, length);

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private static string? ExtAckMessage(ushort flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & Nl.NLM_F_ACK_TLVS) == 0 || payload.Length < 20)
        {
            return null;
        }

        // struct nlmsgerr: int error; struct nlmsghdr msg (+ the request payload unless capped); TLVs.
        var offset = 4 + 16;
        if ((flags & Nl.NLM_F_CAPPED) == 0)
        {
            offset = 4 + NetlinkWriter.Align((int)BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]));
        }

        if (offset >= payload.Length)
        {
            return null;
        }

        var reader = new AttributeReader(payload[offset..]);
        while (reader.Next(out var type, out var value))
        {
            if (type == Nl.NLMSGERR_ATTR_MSG)
            {
                return AttributeValue.String(value);
            }
        }

        return null;
    }
}
