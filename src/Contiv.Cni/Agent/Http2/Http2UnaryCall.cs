using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;

namespace Contiv.Cni.Agent.Http2;

/// <summary>
/// One gRPC unary call over its own HTTP/2 connection (cleartext, prior knowledge: RFC 9113 §3.3), made with blocking
/// socket calls on the calling thread. This is all a CNI invocation needs: it is one process per call, so a general
/// client (connection pool, thread-pool continuations, load balancer) cost it more CPU than the call itself.
/// </summary>
/// <remarks>
/// The connection preface, our SETTINGS, a connection WINDOW_UPDATE, the request HEADERS and its DATA leave in one
/// write; the server's SETTINGS are acknowledged, PINGs answered, flow control honoured for the request body, and
/// the response is read until the stream ends. Errors surface as <see cref="RpcException"/> with the status the
/// gRPC spec assigns (connection failures UNAVAILABLE, a passed deadline DEADLINE_EXCEEDED, HTTP statuses mapped).
/// </remarks>
public sealed class Http2UnaryCall : IDisposable
{
    private const int FrameHeaderLength = 9;
    private const int DefaultMaxFrameSize = 16384; // we never announce more, so the server's frames stay within it
    private const int DefaultWindow = 65535;
    private const int ReceiveWindow = 16 << 20; // announced for the stream and the connection: a reply never waits
    private const int StreamId = 1;

    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, PushPromise = 5, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly RawSocket _socket;
    private readonly string _peer;
    private readonly DateTime _deadline;
    private readonly HpackDecoder _hpack = new();
    private readonly byte[] _in = new byte[FrameHeaderLength + DefaultMaxFrameSize];
    private int _inStart;
    private int _inEnd;
    private long _connectionWindow = DefaultWindow;
    private long _streamWindow = DefaultWindow;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrame = DefaultMaxFrameSize;

    private Http2UnaryCall(RawSocket socket, string peer, DateTime deadline)
    {
        _socket = socket;
        _peer = peer;
        _deadline = deadline;
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> and calls <paramref name="path"/> (<c>/package.Service/Method</c>) with
    /// <paramref name="message"/>; returns the reply message's bytes.
    /// </summary>
    public static byte[] Invoke(EndPoint endpoint, string authority, string path, ReadOnlySpan<byte> message, DateTime deadline, int maxReplySize,
        Metadata? headers = null)
    {
        var peer = endpoint is UnixSocketPath or UnixDomainSocketEndPoint ? endpoint.ToString()! : authority;
        using var call = new Http2UnaryCall(Connect(endpoint, peer, deadline), peer, deadline);
        return call.Run(authority, path, message, deadline, maxReplySize, headers);
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();

    private static RawSocket Connect(EndPoint endpoint, string peer, DateTime deadline)
    {
        try
        {
            return RawSocket.Connect(endpoint, Remaining(deadline, peer));
        }
        catch (RawSocketException e) when (e.TimedOut)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"connecting to {peer} timed out"));
        }
        catch (Exception e) when (e is RawSocketException or SocketException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"cannot connect to {peer}: {e.Message}"));
        }
    }

    private byte[] Run(string authority, string path, ReadOnlySpan<byte> message, DateTime deadline, int maxReplySize, Metadata? headers)
    {
        var request = new MemoryStream(256 + message.Length);
        request.Write(Preface);
        WriteFrameHeader(request, 12, Settings, 0, 0);
        WriteSetting(request, 2, 0); // SETTINGS_ENABLE_PUSH
        WriteSetting(request, 4, ReceiveWindow); // SETTINGS_INITIAL_WINDOW_SIZE
        WriteFrameHeader(request, 4, WindowUpdate, 0, 0);
        WriteUInt32(request, ReceiveWindow - DefaultWindow);

        var block = new MemoryStream(128);
        block.WriteByte(0x80 | Hpack.MethodPostIndex);
        block.WriteByte(0x80 | Hpack.SchemeHttpIndex);
        Hpack.EncodeLiteral(block, Hpack.PathIndex, path);
        Hpack.EncodeLiteral(block, Hpack.AuthorityIndex, authority);
        Hpack.EncodeLiteral(block, Hpack.ContentTypeIndex, "application/grpc");
        Hpack.EncodeLiteral(block, Hpack.UserAgentIndex, "contiv-cni");
        Hpack.EncodeLiteral(block, "te", "trailers");
        if (deadline != DateTime.MaxValue)
        {
            Hpack.EncodeLiteral(block, "grpc-timeout", Math.Min(Remaining(deadline, _peer), 99_999_999).ToString(CultureInfo.InvariantCulture) + "m");
        }

        foreach (var entry in headers ?? [])
        {
            // Custom metadata: binary values ("-bin" keys) travel base64-encoded without padding (gRPC over HTTP/2).
            Hpack.EncodeLiteral(block, entry.Key, entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value);
        }

        if (block.Length > DefaultMaxFrameSize)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"request headers of {block.Length} bytes exceed one frame"));
        }

        WriteFrameHeader(request, (int)block.Length, Headers, EndHeaders, StreamId);
        block.Position = 0;
        block.CopyTo(request);

        // The gRPC message: compressed-flag 0, 4-byte length, the protobuf bytes (gRPC over HTTP/2, "Length-Prefixed-Message").
        var body = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
        message.CopyTo(body.AsSpan(5));
        var sent = QueueData(request, body, 0);
        Send(request);

        var first = default(List<(string Name, string Value)>);
        var last = default(List<(string Name, string Value)>);
        var reply = new MemoryStream();
        var headerBlock = new MemoryStream();
        var blockEndsStream = false;
        var ended = false;
        while (!ended)
        {
            if (sent < body.Length && _connectionWindow > 0 && _streamWindow > 0)
            {
                var more = new MemoryStream();
                sent = QueueData(more, body, sent);
                Send(more);
            }

            var (length, type, flags, stream) = ReadFrame();
            var payload = _in.AsSpan(_inStart - length, length);
            switch (type)
            {
                case Settings when stream == 0 && (flags & Ack) == 0:
                    ApplySettings(payload);
                    var ack = new MemoryStream(FrameHeaderLength);
                    WriteFrameHeader(ack, 0, Settings, Ack, 0);
                    Send(ack);
                    break;
                case Ping when stream == 0 && (flags & Ack) == 0 && length == 8:
                    var pong = new MemoryStream(FrameHeaderLength + 8);
                    WriteFrameHeader(pong, 8, Ping, Ack, 0);
                    pong.Write(payload);
                    Send(pong);
                    break;
                case WindowUpdate when length == 4:
                    var increment = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff;
                    if (stream == 0)
                    {
                        _connectionWindow += increment;
                    }
                    else if (stream == StreamId)
                    {
                        _streamWindow += increment;
                    }

                    break;
                case GoAway when length >= 8:
                    var lastStream = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff;
                    if (lastStream < StreamId)
                    {
                        var reason = Encoding.UTF8.GetString(payload[8..]);
                        throw new RpcException(new Status(StatusCode.Unavailable,
                            $"{_peer} refused the call (GOAWAY {ErrorName(BinaryPrimitives.ReadUInt32BigEndian(payload[4..]))}{(reason.Length > 0 ? ": " + reason : "")})"));
                    }

                    break;
                case RstStream when stream == StreamId && length == 4:
                    var code = BinaryPrimitives.ReadUInt32BigEndian(payload);
                    throw new RpcException(new Status(
                        code switch { 7 => StatusCode.Unavailable, 8 => StatusCode.Cancelled, _ => StatusCode.Internal },
                        $"{_peer} reset the call's stream ({ErrorName(code)})"));
                case PushPromise:
                    throw ProtocolError("PUSH_PROMISE although push is disabled");
                case Headers when stream == StreamId:
                    var fragment = Unpad(payload, flags, "HEADERS");
                    if ((flags & Priority) != 0)
                    {
                        fragment = fragment.Length >= 5 ? fragment[5..] : throw ProtocolError("HEADERS too short for its priority fields");
                    }

                    headerBlock.SetLength(0);
                    headerBlock.Write(fragment);
                    blockEndsStream = (flags & EndStream) != 0;
                    if ((flags & EndHeaders) != 0)
                    {
                        CompleteBlock(headerBlock, ref first, ref last);
                        ended = blockEndsStream;
                    }
                    else
                    {
                        // CONTINUATION frames must follow at once (RFC 9113 §6.10).
                        while (true)
                        {
                            var (clen, ctype, cflags, cstream) = ReadFrame();
                            if (ctype != Continuation || cstream != StreamId)
                            {
                                throw ProtocolError("header block not continued by CONTINUATION");
                            }

                            headerBlock.Write(_in.AsSpan(_inStart - clen, clen));
                            if ((cflags & EndHeaders) != 0)
                            {
                                break;
                            }
                        }

                        CompleteBlock(headerBlock, ref first, ref last);
                        ended = blockEndsStream;
                    }

                    break;
                case Data when stream == StreamId:
                    if (first is null)
                    {
                        throw ProtocolError("DATA before the response headers");
                    }

                    var data = Unpad(payload, flags, "DATA");
                    if (reply.Length + data.Length > 5L + maxReplySize)
                    {
                        throw new RpcException(new Status(StatusCode.ResourceExhausted, $"reply from {_peer} is larger than {maxReplySize} bytes"));
                    }

                    reply.Write(data);
                    ended = (flags & EndStream) != 0;
                    break;
                case Continuation:
                    throw ProtocolError("CONTINUATION without HEADERS");
            }
        }

        return Finish(first!, last!, reply);
    }

    private byte[] Finish(List<(string Name, string Value)> headers, List<(string Name, string Value)> trailers, MemoryStream reply)
    {
        var status = Find(headers, ":status");
        if (status != "200")
        {
            // gRPC's HTTP-to-status mapping (doc/http-grpc-status-mapping.md).
            var code = status switch
            {
                "400" => StatusCode.Internal,
                "401" => StatusCode.Unauthenticated,
                "403" => StatusCode.PermissionDenied,
                "404" => StatusCode.Unimplemented,
                "429" or "502" or "503" or "504" => StatusCode.Unavailable,
                _ => StatusCode.Unknown,
            };
            throw new RpcException(new Status(code, $"{_peer} answered HTTP status {status ?? "(none)"}"));
        }

        var contentType = Find(headers, "content-type");
        if (contentType is null || !contentType.StartsWith("application/grpc", StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{_peer} answered content-type '{contentType}', not application/grpc"));
        }

        var grpcStatus = Find(trailers, "grpc-status");
        if (grpcStatus is null || !int.TryParse(grpcStatus, NumberStyles.None, CultureInfo.InvariantCulture, out var code2))
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{_peer} ended the call without a valid grpc-status ('{grpcStatus}')"));
        }

        if (code2 != 0)
        {
            throw new RpcException(new Status((StatusCode)code2, PercentDecode(Find(trailers, "grpc-message") ?? "")));
        }

        var bytes = reply.GetBuffer().AsSpan(0, (int)reply.Length);
        if (bytes.Length < 5)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{_peer} sent no reply message"));
        }

        if (bytes[0] != 0)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{_peer} sent a compressed reply, which this client did not ask for"));
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]);
        if (length != bytes.Length - 5)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{_peer} sent {bytes.Length - 5} bytes for a reply message of {length}"));
        }

        return bytes[5..].ToArray();
    }

    private void CompleteBlock(MemoryStream block, ref List<(string Name, string Value)>? first, ref List<(string Name, string Value)>? last)
    {
        List<(string Name, string Value)> fields;
        try
        {
            fields = _hpack.Decode(block.GetBuffer().AsSpan(0, (int)block.Length));
        }
        catch (HpackException e)
        {
            throw ProtocolError(e.Message);
        }

        first ??= fields;
        last = fields; // trailers, or the headers of a trailers-only response
    }

    private int QueueData(MemoryStream dst, byte[] body, int offset)
    {
        // Only what both flow-control windows allow; the rest after the server's WINDOW_UPDATE or SETTINGS.
        while (offset < body.Length)
        {
            var chunk = (int)Math.Min(Math.Min(body.Length - offset, _peerMaxFrame), Math.Min(_connectionWindow, _streamWindow));
            if (chunk <= 0)
            {
                break;
            }

            var last = offset + chunk == body.Length;
            WriteFrameHeader(dst, chunk, Data, last ? EndStream : (byte)0, StreamId);
            dst.Write(body, offset, chunk);
            offset += chunk;
            _connectionWindow -= chunk;
            _streamWindow -= chunk;
        }

        return offset;
    }

    private void ApplySettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % 6 != 0)
        {
            throw ProtocolError("SETTINGS length not a multiple of 6");
        }

        for (var i = 0; i < payload.Length; i += 6)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(payload[i..]);
            var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
            switch (id)
            {
                case 4 when value <= int.MaxValue: // INITIAL_WINDOW_SIZE changes every stream's window by the difference
                    _streamWindow += (int)value - _peerInitialWindow;
                    _peerInitialWindow = (int)value;
                    break;
                case 5 when value is >= DefaultMaxFrameSize and <= 16777215: // MAX_FRAME_SIZE
                    _peerMaxFrame = (int)value;
                    break;
            }
        }
    }

    private (int Length, byte Type, byte Flags, int Stream) ReadFrame()
    {
        Fill(FrameHeaderLength);
        var h = _in.AsSpan(_inStart, FrameHeaderLength);
        var length = (h[0] << 16) | (h[1] << 8) | h[2];
        var type = h[3];
        var flags = h[4];
        var stream = (int)(BinaryPrimitives.ReadUInt32BigEndian(h[5..]) & 0x7fffffff);
        if (length > DefaultMaxFrameSize)
        {
            throw ProtocolError($"frame of {length} bytes exceeds the maximum frame size {DefaultMaxFrameSize}");
        }

        _inStart += FrameHeaderLength;
        Fill(length);
        _inStart += length;
        return (length, type, flags, stream);
    }

    private void Fill(int count)
    {
        if (_inEnd - _inStart >= count)
        {
            return;
        }

        // Keep the unread bytes at the front so a whole frame always fits in the buffer.
        Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
        _inEnd -= _inStart;
        _inStart = 0;
        while (_inEnd < count)
        {
            int n;
            try
            {
                n = _socket.Receive(_in.AsSpan(_inEnd), Remaining(_deadline, _peer));
            }
            catch (RawSocketException e)
            {
                throw Failure(e);
            }

            if (n == 0)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"{_peer} closed the connection before the call ended"));
            }

            _inEnd += n;
        }
    }

    private void Send(MemoryStream frames)
    {
        try
        {
            _socket.Send(frames.GetBuffer().AsSpan(0, (int)frames.Length), Remaining(_deadline, _peer));
        }
        catch (RawSocketException e)
        {
            throw Failure(e);
        }
    }

    private RpcException Failure(RawSocketException e) => e.TimedOut
        ? new RpcException(new Status(StatusCode.DeadlineExceeded, $"{_peer} did not answer before the deadline"))
        : new RpcException(new Status(StatusCode.Unavailable, $"connection to {_peer} failed: {e.Message}"));

    private RpcException ProtocolError(string what) => new(new Status(StatusCode.Internal, $"HTTP/2 protocol error from {_peer}: {what}"));

    private ReadOnlySpan<byte> Unpad(ReadOnlySpan<byte> payload, byte flags, string frame)
    {
        if ((flags & Padded) == 0)
        {
            return payload;
        }

        if (payload.Length < 1 || payload[0] >= payload.Length)
        {
            throw ProtocolError($"{frame} padding longer than the frame");
        }

        return payload[1..(payload.Length - payload[0])];
    }

    private static int Remaining(DateTime deadline, string peer)
    {
        if (deadline == DateTime.MaxValue)
        {
            return 0; // no timeout
        }

        var ms = (deadline - DateTime.UtcNow).TotalMilliseconds;
        return ms >= 1 ? (int)Math.Min(ms, int.MaxValue) : throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"deadline passed before {peer} answered"));
    }

    private static string? Find(List<(string Name, string Value)> fields, string name)
    {
        foreach (var (n, v) in fields)
        {
            if (n == name)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>grpc-message is percent-encoded UTF-8 (gRPC over HTTP/2: "Status-Message").</summary>
    public static string PercentDecode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length
                && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)value[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string ErrorName(uint code) => code switch
    {
        0 => "NO_ERROR", 1 => "PROTOCOL_ERROR", 2 => "INTERNAL_ERROR", 3 => "FLOW_CONTROL_ERROR", 4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED", 6 => "FRAME_SIZE_ERROR", 7 => "REFUSED_STREAM", 8 => "CANCEL", 9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR", 11 => "ENHANCE_YOUR_CALM", 12 => "INADEQUATE_SECURITY", 13 => "HTTP_1_1_REQUIRED",
        _ => $"error {code}",
    };

    private static void WriteFrameHeader(Stream s, int length, byte type, byte flags, int stream)
    {
        Span<byte> h = stackalloc byte[FrameHeaderLength];
        h[0] = (byte)(length >> 16);
        h[1] = (byte)(length >> 8);
        h[2] = (byte)length;
        h[3] = type;
        h[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(h[5..], (uint)stream);
        s.Write(h);
    }

    private static void WriteSetting(Stream s, ushort id, uint value)
    {
        Span<byte> b = stackalloc byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(b, id);
        BinaryPrimitives.WriteUInt32BigEndian(b[2..], value);
        s.Write(b);
    }

    private static void WriteUInt32(Stream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        s.Write(b);
    }
}
