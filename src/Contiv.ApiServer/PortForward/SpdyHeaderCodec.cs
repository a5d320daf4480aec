using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Contiv.ApiServer.PortForward;

/// <summary>
/// SPDY/3 name/value header blocks (SPDY Protocol draft 3, section 2.6.10): <c>uint32 count</c>, then per header
/// <c>uint32 length, name, uint32 length, value</c> (values joined by NUL), carried in one zlib stream per direction and
/// connection, flushed (sync flush) after every block. The peer's stream is compressed with the protocol's preset
/// dictionary, which .NET's <see cref="DeflateStream"/> cannot be given: the inflater is fed a stored (uncompressed)
/// deflate block holding the dictionary first, so the dictionary sits in the window exactly as a preset dictionary would,
/// and that much output is skipped. Our own blocks are written as stored deflate blocks followed by the sync-flush marker
/// (an empty stored block): valid zlib without the dictionary, which every SPDY reader accepts (it checks the dictionary
/// only when the stream header announces one).
/// </summary>
internal static class SpdyHeaderCodec
{
    /// <summary>The SPDY/3 header compression dictionary (1423 bytes, Adler-32 0xe3c6a7c2).</summary>
    public static readonly byte[] Dictionary = BuildDictionary();

    private static byte[] BuildDictionary()
    {
        // Length-prefixed header names and values of the draft's dictionary, then its run of common value text.
        string[] words =
        [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
            "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
            "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date",
            "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
            "if-unmodified-since", "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate",
            "proxy-authorization", "range", "referer", "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade",
            "user-agent", "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK", "version",
            "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
        ];
        const string tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
            + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
            + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
        var ms = new MemoryStream();
        Span<byte> len = stackalloc byte[4];
        foreach (var w in words)
        {
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)w.Length);
            ms.Write(len);
            ms.Write(Encoding.ASCII.GetBytes(w));
        }

        ms.Write(Encoding.ASCII.GetBytes(tail));
        return ms.ToArray();
    }

    /// <summary>Adler-32 (RFC 1950), the zlib dictionary id.</summary>
    public static uint Adler32(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }

    /// <summary>Encodes a header block (names lower-cased) without compressing it.</summary>
    public static byte[] EncodeBlock(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var ms = new MemoryStream();
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)headers.Count);
        ms.Write(len);
        foreach (var (name, value) in headers)
        {
            foreach (var s in new[] { name.ToLowerInvariant(), value })
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteUInt32BigEndian(len, (uint)bytes.Length);
                ms.Write(len);
                ms.Write(bytes);
            }
        }

        return ms.ToArray();
    }

    /// <summary>Decodes a header block from a reader of the decompressed stream (duplicate names keep the last value).</summary>
    public static Dictionary<string, string> DecodeBlock(Stream inflated)
    {
        Span<byte> len = stackalloc byte[4];
        inflated.ReadExactly(len);
        var count = BinaryPrimitives.ReadUInt32BigEndian(len);
        if (count > 1024)
        {
            throw new InvalidDataException($"SPDY header block with {count} headers");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(inflated, len).ToLowerInvariant();
            headers[name] = ReadString(inflated, len);
        }

        return headers;
    }

    private static string ReadString(Stream s, Span<byte> len)
    {
        s.ReadExactly(len);
        var n = BinaryPrimitives.ReadUInt32BigEndian(len);
        if (n > 65536)
        {
            throw new InvalidDataException($"SPDY header of {n} bytes");
        }

        var bytes = new byte[n];
        s.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The compressing side of one connection: zlib header once, then each block as a stored block + sync flush.</summary>
    public sealed class Deflater
    {
        private bool _started;

        /// <summary>The compressed bytes of one header block.</summary>
        public byte[] Compress(IReadOnlyList<KeyValuePair<string, string>> headers)
        {
            var block = EncodeBlock(headers);
            var ms = new MemoryStream(block.Length + 16);
            if (!_started)
            {
                _started = true;
                ms.Write([0x78, 0x01]); // deflate, 32 KiB window, no preset dictionary; (0x7801 % 31 == 0)
            }

            if (block.Length > 65535)
            {
                throw new InvalidOperationException("SPDY header block larger than one stored deflate block");
            }

            WriteStoredHeader(ms, block.Length);
            ms.Write(block);
            WriteStoredHeader(ms, 0); // sync flush marker: makes the reader hand the block out
            return ms.ToArray();
        }
    }

    private static void WriteStoredHeader(Stream s, int n)
    {
        s.WriteByte(0); // BFINAL 0, BTYPE 00, padding to the byte boundary
        s.WriteByte((byte)n);
        s.WriteByte((byte)(n >> 8));
        s.WriteByte((byte)~n);
        s.WriteByte((byte)(~n >> 8));
    }

    /// <summary>The decompressing side of one connection: one inflater over all header blocks the peer sends.</summary>
    public sealed class Inflater : IDisposable
    {
        private readonly FeedStream _feed = new();
        private readonly DeflateStream _inflate;
        private bool _started;

        /// <summary>Creates the inflater.</summary>
        public Inflater() => _inflate = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);

        /// <summary>Decompresses the header block of one frame.</summary>
        public Dictionary<string, string> Decode(ReadOnlySpan<byte> compressed)
        {
            if (!_started)
            {
                _started = true;
                if (compressed.Length < 2 || (compressed[0] & 0x0f) != 8 || ((compressed[0] << 8) | compressed[1]) % 31 != 0)
                {
                    throw new InvalidDataException("SPDY header block does not start a zlib stream");
                }

                if ((compressed[1] & 0x20) != 0)
                {
                    if (compressed.Length < 6 || BinaryPrimitives.ReadUInt32BigEndian(compressed[2..]) != Adler32(Dictionary))
                    {
                        throw new InvalidDataException("SPDY header block compressed with an unknown dictionary");
                    }

                    var prefix = new MemoryStream();
                    WriteStoredHeader(prefix, Dictionary.Length);
                    prefix.Write(Dictionary);
                    _feed.Append(prefix.ToArray());
                    _feed.Append(compressed[6..]);
                    _inflate.ReadExactly(new byte[Dictionary.Length]);
                }
                else
                {
                    _feed.Append(compressed[2..]);
                }
            }
            else
            {
                _feed.Append(compressed);
            }

            return DecodeBlock(_inflate);
        }

        /// <inheritdoc />
        public void Dispose() => _inflate.Dispose();
    }

    /// <summary>A read-only stream over appended bytes; reads 0 when drained (only a truncated block gets there).</summary>
    private sealed class FeedStream : Stream
    {
        private byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public void Append(ReadOnlySpan<byte> data)
        {
            if (_end + data.Length > _buffer.Length)
            {
                var live = _end - _start;
                var next = live + data.Length > _buffer.Length ? new byte[Math.Max(_buffer.Length * 2, live + data.Length)] : _buffer;
                Buffer.BlockCopy(_buffer, _start, next, 0, live);
                _buffer = next;
                _start = 0;
                _end = live;
            }

            data.CopyTo(_buffer.AsSpan(_end));
            _end += data.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(buffer);
            _start += n;
            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
