using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Contiv.Cni.Tests;

/// <summary>One HTTP/2 frame as it crossed the wire (9-byte header fields and the payload).</summary>
public sealed record Http2Frame(byte Type, byte Flags, int Stream, byte[] Payload)
{
    /// <summary>Frame types (RFC 9113 §6).</summary>
    public const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9;

    /// <summary>Frame flags (RFC 9113 §6).</summary>
    public const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;

    /// <summary>Whether <paramref name="flag"/> is set.</summary>
    public bool Has(byte flag) => (Flags & flag) != 0;

    /// <inheritdoc/>
    public override string ToString() => $"type {Type} flags 0x{Flags:x2} stream {Stream} length {Payload.Length}";
}

/// <summary>
/// A scripted HTTP/2 server for protocol-variant tests: accepts one connection on a unix socket in a temporary
/// directory, checks the client preface, then runs a script that reads the client's frames and writes hand-made
/// ones. Every blocking read is bounded by <see cref="Timeout"/>, so a misbehaving client fails a test instead of
/// hanging it.
/// </summary>
public sealed class RawHttp2Server : IDisposable
{
    /// <summary>Bound of every blocking socket operation of the server, in milliseconds.</summary>
    public const int Timeout = 4000;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly TempDir _dir = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    /// <summary>Binds and listens on a fresh socket path.</summary>
    public RawHttp2Server()
    {
        EndPoint = new UnixDomainSocketEndPoint(_dir["h2.sock"]);
        _listener.Bind(EndPoint);
        _listener.Listen(1);
    }

    /// <summary>The socket the server listens on.</summary>
    public UnixDomainSocketEndPoint EndPoint { get; }

    /// <summary>
    /// Accepts one connection and runs <paramref name="script"/> on it on a dedicated thread; afterwards reads (and
    /// records) the client's remaining frames until it closes the connection. The task faults when the script does.
    /// </summary>
    public Task<RawHttp2Connection> Serve(Action<RawHttp2Connection> script) => Task.Factory.StartNew(() =>
    {
        if (!_listener.Poll(TimeSpan.FromMilliseconds(Timeout), SelectMode.SelectRead))
        {
            throw new TimeoutException("the client did not connect");
        }

        var connection = new RawHttp2Connection(_listener.Accept());
        try
        {
            connection.ReadPreface();
            script(connection);
            connection.DrainUntilClosed();
        }
        finally
        {
            connection.Dispose();
        }

        return connection;
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc/>
    public void Dispose()
    {
        _listener.Dispose();
        _dir.Dispose();
    }

    /// <summary>The preface the client must send first (RFC 9113 §3.4).</summary>
    internal static ReadOnlySpan<byte> ClientPreface => Preface;
}

/// <summary>The server's side of one connection: frame reading (recorded in <see cref="Received"/>) and writing.</summary>
public sealed class RawHttp2Connection : IDisposable
{
    private readonly Socket _socket;

    internal RawHttp2Connection(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = RawHttp2Server.Timeout;
        _socket.SendTimeout = RawHttp2Server.Timeout;
    }

    /// <summary>Every frame read from the client, in order.</summary>
    public List<Http2Frame> Received { get; } = [];

    /// <summary>Reads and checks the 24-byte client connection preface.</summary>
    public void ReadPreface()
    {
        var preface = ReadExactly(24) ?? throw new InvalidOperationException("the client closed before its preface");
        if (!preface.AsSpan().SequenceEqual(RawHttp2Server.ClientPreface))
        {
            throw new InvalidOperationException($"bad client preface '{Encoding.Latin1.GetString(preface)}'");
        }
    }

    /// <summary>Reads one frame (bounded by the receive timeout); null when the client closed the connection.</summary>
    public Http2Frame? ReadFrame()
    {
        var header = ReadExactly(9);
        if (header is null)
        {
            return null;
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = length == 0 ? [] : ReadExactly(length) ?? throw new InvalidOperationException("the client closed inside a frame");
        var frame = new Http2Frame(header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7fffffff), payload);
        Received.Add(frame);
        return frame;
    }

    /// <summary>Reads frames until one matches <paramref name="done"/>; throws when the client closes first.</summary>
    public Http2Frame ReadUntil(Func<Http2Frame, bool> done)
    {
        while (true)
        {
            var frame = ReadFrame() ?? throw new InvalidOperationException("the client closed the connection early");
            if (done(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Reads the client's request: frames until HEADERS or DATA with END_STREAM on stream 1.</summary>
    public void ReadRequest() =>
        ReadUntil(f => f.Stream == 1 && f.Type is Http2Frame.Headers or Http2Frame.Data && f.Has(Http2Frame.EndStream));

    /// <summary>Whether a frame arrives within <paramref name="milliseconds"/> (the frame is then read and recorded).</summary>
    public Http2Frame? TryReadFrame(int milliseconds) =>
        _socket.Poll(TimeSpan.FromMilliseconds(milliseconds), SelectMode.SelectRead) ? ReadFrame() : null;

    /// <summary>Records the client's frames until it closes the connection (or the timeout passes).</summary>
    public void DrainUntilClosed()
    {
        try
        {
            while (ReadFrame() is not null)
            {
            }
        }
        catch (SocketException)
        {
            // reset or timed out: nothing more to record
        }
        catch (InvalidOperationException)
        {
            // closed inside a frame
        }
    }

    /// <summary>Writes one frame.</summary>
    public void Write(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)stream);
        payload.CopyTo(frame.AsSpan(9));
        WriteRaw(frame);
    }

    /// <summary>True once a write found the client gone (it may close as soon as it has seen an error).</summary>
    public bool ClientGone { get; private set; }

    /// <summary>Writes bytes as they are; after the client has closed, writes are dropped.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (bytes.Length > 0 && !ClientGone)
            {
                bytes = bytes[_socket.Send(bytes)..];
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            ClientGone = true; // EPIPE / ECONNRESET: the script went on writing after the client had given up
        }
    }

    /// <summary>An empty SETTINGS frame or one with the given (id, value) pairs.</summary>
    public void WriteSettings(params (ushort Id, uint Value)[] settings)
    {
        var payload = new byte[6 * settings.Length];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(6 * i), settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(6 * i + 2), settings[i].Value);
        }

        Write(Http2Frame.Settings, 0, 0, payload);
    }

    /// <summary>A WINDOW_UPDATE for <paramref name="stream"/> (0 = the connection).</summary>
    public void WriteWindowUpdate(int stream, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        Write(Http2Frame.WindowUpdate, 0, stream, payload);
    }

    /// <summary>Response HEADERS ":status 200, content-type application/grpc" on stream 1.</summary>
    public void WriteGrpcResponseHeaders() =>
        Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1, new HeaderBlock().Indexed(8).Literal("content-type", "application/grpc").ToArray());

    /// <summary>Trailers "grpc-status: 0" ending stream 1.</summary>
    public void WriteOkTrailers() =>
        Write(Http2Frame.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1, new HeaderBlock().Literal("grpc-status", "0").ToArray());

    /// <summary>Stops sending and receiving (the client sees the connection end).</summary>
    public void Close() => _socket.Shutdown(SocketShutdown.Both);

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();

    private byte[]? ReadExactly(int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = _socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                return read == 0 ? null : throw new InvalidOperationException("the client closed inside a frame");
            }

            read += n;
        }

        return buffer;
    }
}

/// <summary>Builds an HPACK header block by hand (RFC 7541 §6), so tests control every representation.</summary>
public sealed class HeaderBlock
{
    private readonly MemoryStream _bytes = new();

    /// <summary>An indexed header field (§6.1).</summary>
    public HeaderBlock Indexed(int index) => Integer(index, 7, 0x80);

    /// <summary>A literal without indexing, new name, neither string Huffman-coded (§6.2.2).</summary>
    public HeaderBlock Literal(string name, string value)
    {
        _bytes.WriteByte(0);
        return Raw(name).Raw(value);
    }

    /// <summary>A literal with incremental indexing, new name, raw name and value (§6.2.1).</summary>
    public HeaderBlock Incremental(string name, string value)
    {
        _bytes.WriteByte(0x40);
        return Raw(name).Raw(value);
    }

    /// <summary>A literal with incremental indexing, new name, Huffman-coded value given as its code octets (§6.2.1).</summary>
    public HeaderBlock IncrementalHuffmanValue(string name, byte[] huffmanValue)
    {
        _bytes.WriteByte(0x40);
        return Raw(name).Huffman(huffmanValue);
    }

    /// <summary>A literal with incremental indexing whose name is table entry <paramref name="nameIndex"/>, raw value (§6.2.1).</summary>
    public HeaderBlock IncrementalIndexedName(int nameIndex, string value) => Integer(nameIndex, 6, 0x40).Raw(value);

    /// <summary>A literal without indexing whose name is table entry <paramref name="nameIndex"/>, Huffman-coded value (§6.2.2).</summary>
    public HeaderBlock LiteralIndexedNameHuffman(int nameIndex, byte[] huffmanValue) => Integer(nameIndex, 4, 0).Huffman(huffmanValue);

    /// <summary>A dynamic table size update (§6.3).</summary>
    public HeaderBlock SizeUpdate(int size) => Integer(size, 5, 0x20);

    /// <summary>The block's octets.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    private HeaderBlock Raw(string s)
    {
        var bytes = Encoding.Latin1.GetBytes(s);
        Integer(bytes.Length, 7, 0);
        _bytes.Write(bytes);
        return this;
    }

    private HeaderBlock Huffman(byte[] code)
    {
        Integer(code.Length, 7, 0x80);
        _bytes.Write(code);
        return this;
    }

    // Written independently of the product's encoder so a shared mistake cannot hide.
    private HeaderBlock Integer(int value, int prefixBits, byte flags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            _bytes.WriteByte((byte)(flags | value));
            return this;
        }

        _bytes.WriteByte((byte)(flags | max));
        for (value -= max; value >= 128; value /= 128)
        {
            _bytes.WriteByte((byte)(0x80 | (value % 128)));
        }

        _bytes.WriteByte((byte)value);
        return this;
    }
}
