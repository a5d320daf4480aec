using System.Buffers.Binary;
using System.IO.Pipelines;
using Contiv.ApiServer.PortForward;

namespace Contiv.ApiServer.Tests;

/// <summary>
/// The hand-written SPDY/3.1 pieces behind <c>pods/portforward</c>: the header dictionary, header blocks compressed
/// with it (test vectors made with zlib's own preset-dictionary compressor, the way client-go's SPDY library compresses),
/// our stored-block compressor, and a connection answering SYN_STREAM, echoing PING and carrying DATA with FIN.
/// </summary>
public sealed class SpdyTests
{
    // zlib.compressobj(9, DEFLATED, 15, 9, Z_DEFAULT_STRATEGY, zdict=<SPDY/3 dictionary>), a Z_SYNC_FLUSH after each
    // block: {streamtype: error, port: 8080, requestid: 0}, then {streamtype: data, …} (which refers back to the first).
    private static readonly byte[] ErrorBlock = Convert.FromHexString("78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c6061606100a4398b20d198094ade8c0600000000ffff");
    private static readonly byte[] DataBlock = Convert.FromHexString("c2aa19540e2512d60b000000ffff");

    [Fact]
    public void The_dictionary_is_the_protocols_1423_bytes()
    {
        Assert.Equal(1423, SpdyHeaderCodec.Dictionary.Length);
        Assert.Equal(0xe3c6a7c2u, SpdyHeaderCodec.Adler32(SpdyHeaderCodec.Dictionary));
        Assert.Equal(0x11e60398u, SpdyHeaderCodec.Adler32("Wikipedia"u8)); // the RFC 1950 checksum itself
    }

    [Fact]
    public void Header_blocks_compressed_with_the_preset_dictionary_decode_in_sequence()
    {
        using var inflater = new SpdyHeaderCodec.Inflater();
        var first = inflater.Decode(ErrorBlock);
        Assert.Equal(new Dictionary<string, string> { ["streamtype"] = "error", ["port"] = "8080", ["requestid"] = "0" }, first);
        var second = inflater.Decode(DataBlock);
        Assert.Equal("data", second["streamtype"]);
        Assert.Equal("8080", second["port"]);
    }

    [Fact]
    public void A_dictionary_other_than_the_protocols_is_refused()
    {
        using var inflater = new SpdyHeaderCodec.Inflater();
        var wrong = (byte[])ErrorBlock.Clone();
        wrong[5] ^= 1;
        Assert.Throws<InvalidDataException>(() => inflater.Decode(wrong));
    }

    [Fact]
    public void Our_stored_block_stream_is_plain_zlib_with_a_sync_flush_per_block()
    {
        var deflater = new SpdyHeaderCodec.Deflater();
        var a = deflater.Compress([new("Status", "200")]);
        var b = deflater.Compress([]);
        Assert.Equal(new byte[] { 0x78, 0x01 }, a[..2]);
        Assert.Equal(new byte[] { 0, 0, 0, 0xff, 0xff }, a[^5..]); // the sync-flush marker ends every block
        Assert.Equal(new byte[] { 0, 4, 0, 0xfb, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, b);

        using var inflater = new SpdyHeaderCodec.Inflater();
        Assert.Equal("200", inflater.Decode(a)["status"]);
        Assert.Empty(inflater.Decode(b));
    }

    [Fact]
    public async Task A_connection_replies_to_streams_echoes_pings_and_carries_data_until_fin()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var transport = new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream());
        var streams = new List<SpdyStream>();
        using var connection = new SpdyConnection(transport, s => streams.Add(s));
        var run = connection.RunAsync(CancellationToken.None);
        var client = toServer.Writer.AsStream();
        var fromServer = toClient.Reader.AsStream();

        await client.WriteAsync(Control(1, 0, [.. Be32(1), .. Be32(0), 0, 0, .. ErrorBlock]));
        var reply = await ReadFrameAsync(fromServer);
        Assert.Equal(0x80030002u, BinaryPrimitives.ReadUInt32BigEndian(reply)); // SYN_REPLY, version 3
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(8)));
        using (var inflater = new SpdyHeaderCodec.Inflater())
        {
            Assert.Empty(inflater.Decode(reply.AsSpan(12)));
        }

        Assert.Equal("error", Assert.Single(streams).Headers["streamtype"]);

        await client.WriteAsync(Control(6, 0, Be32(7)));
        var pong = await ReadFrameAsync(fromServer);
        Assert.Equal(0x80030006u, BinaryPrimitives.ReadUInt32BigEndian(pong));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32BigEndian(pong.AsSpan(8)));

        await client.WriteAsync((byte[])[.. Be32(1), 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c']);
        await client.WriteAsync((byte[])[.. Be32(1), 1, 0, 0, 0]); // empty DATA with FIN
        Assert.Equal("abc"u8.ToArray(), await streams[0].ReadAsync(CancellationToken.None));
        Assert.Null(await streams[0].ReadAsync(CancellationToken.None));

        await streams[0].WriteAsync("xy"u8.ToArray(), CancellationToken.None);
        await streams[0].CloseAsync(CancellationToken.None);
        var data = await ReadFrameAsync(fromServer);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0, 0, 0, 2, (byte)'x', (byte)'y' }, data);
        var fin = await ReadFrameAsync(fromServer);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 1, 0, 0, 0 }, fin);

        await client.WriteAsync(Control(7, 0, [.. Be32(1), .. Be32(0)])); // GOAWAY ends the connection
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static byte[] Be32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private static byte[] Control(ushort type, byte flags, byte[] body)
        => [0x80, 3, (byte)(type >> 8), (byte)type, flags, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static async Task<byte[]> ReadFrameAsync(Stream s)
    {
        var header = new byte[8];
        await s.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xffffff];
        await s.ReadExactlyAsync(body);
        return [.. header, .. body];
    }

    private sealed class DuplexStream(Stream read, Stream write) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);

        public override void Flush() => write.Flush();

        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);
    }
}
