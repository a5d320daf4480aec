using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Contiv.ApiServer.PortForward;

/// <summary>
/// The server side of a SPDY/3.1 connection, as much of it as <c>portforward.k8s.io</c> needs (kubectl opens every
/// stream; the server only answers): SYN_STREAM is answered with an empty SYN_REPLY and handed to the stream callback,
/// DATA frames (and their FIN) go to the stream, PING is echoed, RST_STREAM ends a stream, GOAWAY ends the connection;
/// SETTINGS and WINDOW_UPDATE are read and ignored (client-go's SPDY library does no flow control either: it neither
/// sends nor honours window updates). HEADERS and SYN_REPLY blocks are still decompressed, to keep the header zlib
/// stream in step. The transport is any duplex byte stream: a WebSocket's binary messages or a raw upgraded connection.
/// </summary>
internal sealed class SpdyConnection : IDisposable
{
    private const ushort TypeSynStream = 1;
    private const ushort TypeSynReply = 2;
    private const ushort TypeRstStream = 3;
    private const ushort TypePing = 6;
    private const ushort TypeGoAway = 7;
    private const ushort TypeHeaders = 8;
    private const byte FlagFin = 0x01;

    /// <summary>RST_STREAM status PROTOCOL_ERROR.</summary>
    public const uint ProtocolError = 1;

    private readonly Stream _transport;
    private readonly Action<SpdyStream> _onStream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SpdyHeaderCodec.Inflater _inflater = new();
    private readonly SpdyHeaderCodec.Deflater _deflater = new();
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();

    /// <summary>Serves <paramref name="transport"/>; <paramref name="onStream"/> runs on the read loop for every new stream (it must not block).</summary>
    public SpdyConnection(Stream transport, Action<SpdyStream> onStream)
    {
        _transport = transport;
        _onStream = onStream;
    }

    /// <summary>Reads frames until the peer closes the transport or sends GOAWAY; then every stream's input ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var header = new byte[8];
        try
        {
            while (await ReadFullAsync(header, ct).ConfigureAwait(false))
            {
                var first = BinaryPrimitives.ReadUInt32BigEndian(header);
                var second = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var flags = (byte)(second >> 24);
                var payload = new byte[second & 0xffffff];
                if (!await ReadFullAsync(payload, ct).ConfigureAwait(false))
                {
                    return;
                }

                if ((first & 0x80000000) == 0)
                {
                    if (_streams.TryGetValue(first & 0x7fffffff, out var stream))
                    {
                        await stream.DeliverAsync(payload, (flags & FlagFin) != 0).ConfigureAwait(false);
                    }

                    continue;
                }

                var version = (first >> 16) & 0x7fff;
                if (version != 3)
                {
                    throw new InvalidDataException($"SPDY version {version} (only 3 is served)");
                }

                if (!await ControlAsync((ushort)(first & 0xffff), flags, payload, ct).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The connection is gone or broken: end every stream below.
        }
        finally
        {
            foreach (var s in _streams.Values)
            {
                s.EndInput();
            }
        }
    }

    private async Task<bool> ControlAsync(ushort type, byte flags, byte[] payload, CancellationToken ct)
    {
        switch (type)
        {
            case TypeSynStream when payload.Length >= 10:
            {
                var id = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff;
                var headers = _inflater.Decode(payload.AsSpan(10));
                var stream = new SpdyStream(this, id, headers);
                if (id == 0 || !_streams.TryAdd(id, stream))
                {
                    await ResetAsync(id, ProtocolError, ct).ConfigureAwait(false);
                    return true;
                }

                if ((flags & FlagFin) != 0)
                {
                    stream.EndInput();
                }

                await SendControlAsync(TypeSynReply, 0, id, [], ct).ConfigureAwait(false);
                _onStream(stream);
                return true;
            }

            case TypeSynReply or TypeHeaders when payload.Length >= 4:
                _inflater.Decode(payload.AsSpan(4));
                if (type == TypeHeaders && (flags & FlagFin) != 0 && _streams.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, out var finished))
                {
                    finished.EndInput();
                }

                return true;
            case TypeRstStream when payload.Length >= 4:
                if (_streams.TryRemove(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff, out var reset))
                {
                    reset.MarkReset();
                }

                return true;
            case TypePing when payload.Length == 4:
                await WriteFrameAsync(ControlFrame(TypePing, 0, payload), ct).ConfigureAwait(false);
                return true;
            case TypeGoAway:
                return false;
            default:
                return true; // SETTINGS, WINDOW_UPDATE, CREDENTIAL, unknown: ignored
        }
    }

    /// <summary>Sends RST_STREAM.</summary>
    public Task ResetAsync(uint id, uint status, CancellationToken ct)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(body, id);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), status);
        _streams.TryRemove(id, out _);
        return WriteFrameAsync(ControlFrame(TypeRstStream, 0, body), ct);
    }

    /// <summary>Sends one DATA frame (the caller keeps frames under 16 MiB).</summary>
    internal Task SendDataAsync(uint id, ReadOnlyMemory<byte> data, bool fin, CancellationToken ct)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, id & 0x7fffffff);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((fin ? (uint)FlagFin : 0) << 24) | (uint)data.Length);
        data.Span.CopyTo(frame.AsSpan(8));
        return WriteFrameAsync(frame, ct);
    }

    internal void Forget(uint id) => _streams.TryRemove(id, out _);

    private async Task SendControlAsync(ushort type, byte flags, uint id, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken ct)
    {
        // The header compressor's output must reach the wire in the order it was produced: compress under the write lock.
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var block = _deflater.Compress(headers);
            var body = new byte[4 + block.Length];
            BinaryPrimitives.WriteUInt32BigEndian(body, id);
            block.CopyTo(body, 4);
            await _transport.WriteAsync(ControlFrame(type, flags, body), ct).ConfigureAwait(false);
            await _transport.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static byte[] ControlFrame(ushort type, byte flags, ReadOnlySpan<byte> body)
    {
        var frame = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | 3);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)body.Length);
        body.CopyTo(frame.AsSpan(8));
        return frame;
    }

    private async Task WriteFrameAsync(byte[] frame, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _transport.WriteAsync(frame, ct).ConfigureAwait(false);
            await _transport.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<bool> ReadFullAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _transport.ReadAsync(buffer[read..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _inflater.Dispose();
        _writeLock.Dispose();
    }
}

/// <summary>One SPDY stream opened by the peer: its headers, its incoming data (until FIN) and our half.</summary>
internal sealed class SpdyStream
{
    private readonly SpdyConnection _connection;
    private readonly Channel<byte[]> _input = Channel.CreateBounded<byte[]>(64);
    private int _localFin;
    private volatile bool _reset;
    private volatile bool _remoteFin;

    internal SpdyStream(SpdyConnection connection, uint id, IReadOnlyDictionary<string, string> headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
    }

    /// <summary>The stream id (odd: opened by the client).</summary>
    public uint Id { get; }

    /// <summary>The SYN_STREAM headers (lower-case names).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The next chunk of incoming data, or null once the peer finished (FIN or reset).</summary>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken ct)
    {
        try
        {
            return await _input.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Sends data (in frames of at most 64 KiB); dropped after a reset or our FIN.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        for (var off = 0; off < data.Length && !_reset && Volatile.Read(ref _localFin) == 0; off += 65536)
        {
            await _connection.SendDataAsync(Id, data.Slice(off, Math.Min(65536, data.Length - off)), false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Half-closes our side (an empty DATA frame with FIN), once.</summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _localFin, 1) == 0 && !_reset)
        {
            await _connection.SendDataAsync(Id, ReadOnlyMemory<byte>.Empty, true, ct).ConfigureAwait(false);
            if (_remoteFin)
            {
                _connection.Forget(Id);
            }
        }
    }

    /// <summary>Stops reading: further data of the peer is dropped.</summary>
    public void Abandon() => _input.Writer.TryComplete();

    internal async ValueTask DeliverAsync(byte[] data, bool fin)
    {
        if (data.Length > 0)
        {
            try
            {
                await _input.Writer.WriteAsync(data).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // Abandoned: drop.
            }
        }

        if (fin)
        {
            EndInput();
        }
    }

    internal void EndInput()
    {
        _remoteFin = true;
        _input.Writer.TryComplete();
        if (Volatile.Read(ref _localFin) != 0)
        {
            _connection.Forget(Id);
        }
    }

    internal void MarkReset()
    {
        _reset = true;
        EndInput();
    }
}
