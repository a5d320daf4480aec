using System.Text;

namespace Contiv.Cni.Agent.Http2;

/// <summary>An HPACK block that cannot be decoded (RFC 7541 "COMPRESSION_ERROR").</summary>
public sealed class HpackException(string message) : Exception(message);

/// <summary>
/// HPACK (RFC 7541) as much as a gRPC client needs: the request's header block is written with literals that
/// never touch the server's dynamic table and without Huffman coding; response blocks are decoded completely
/// (static and dynamic table, Huffman-coded strings, table size updates).
/// </summary>
public static class Hpack
{
    /// <summary>RFC 7541 Appendix A: the static table, index 1..61 (entry 0 unused).</summary>
    public static readonly (string Name, string Value)[] StaticTable =
    [
        ("", ""),
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    /// <summary>Static table indexes the request encoder uses.</summary>
    public const int AuthorityIndex = 1, MethodPostIndex = 3, PathIndex = 4, SchemeHttpIndex = 6, ContentTypeIndex = 31, UserAgentIndex = 58;

    /// <summary>Decodes an integer with an <paramref name="prefixBits"/>-bit prefix (RFC 7541 §5.1) at <paramref name="pos"/>.</summary>
    public static int DecodeInteger(ReadOnlySpan<byte> src, ref int pos, int prefixBits)
    {
        if (pos >= src.Length)
        {
            throw new HpackException("header block ends inside an integer");
        }

        var mask = (1 << prefixBits) - 1;
        long value = src[pos++] & mask;
        if (value < mask)
        {
            return (int)value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (pos >= src.Length)
            {
                throw new HpackException("header block ends inside an integer");
            }

            var b = src[pos++];
            value += (long)(b & 0x7f) << shift;
            if (value > int.MaxValue || shift > 28)
            {
                throw new HpackException("integer larger than 2^31-1 in header block");
            }

            if ((b & 0x80) == 0)
            {
                return (int)value;
            }
        }
    }

    /// <summary>Appends <paramref name="value"/> with an <paramref name="prefixBits"/>-bit prefix; <paramref name="flags"/> fill the first octet's high bits.</summary>
    public static void EncodeInteger(Stream dst, int value, int prefixBits, byte flags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            dst.WriteByte((byte)(flags | value));
            return;
        }

        dst.WriteByte((byte)(flags | max));
        value -= max;
        while (value >= 0x80)
        {
            dst.WriteByte((byte)((value & 0x7f) | 0x80));
            value >>= 7;
        }

        dst.WriteByte((byte)value);
    }

    /// <summary>Decodes a string literal (RFC 7541 §5.2), Huffman-coded or not; octets map 1:1 to chars (Latin-1).</summary>
    public static string DecodeString(ReadOnlySpan<byte> src, ref int pos)
    {
        if (pos >= src.Length)
        {
            throw new HpackException("header block ends before a string");
        }

        var huffman = (src[pos] & 0x80) != 0;
        var length = DecodeInteger(src, ref pos, 7);
        if (length > src.Length - pos)
        {
            throw new HpackException($"string of {length} octets runs past the end of the header block");
        }

        var raw = src.Slice(pos, length);
        pos += length;
        return huffman ? HpackHuffman.Decode(raw) : Encoding.Latin1.GetString(raw);
    }

    /// <summary>Appends a string literal without Huffman coding.</summary>
    public static void EncodeString(Stream dst, string value)
    {
        var bytes = Encoding.Latin1.GetBytes(value);
        EncodeInteger(dst, bytes.Length, 7, 0);
        dst.Write(bytes);
    }

    /// <summary>"Literal header field without indexing — indexed name" (RFC 7541 §6.2.2).</summary>
    public static void EncodeLiteral(Stream dst, int nameIndex, string value)
    {
        EncodeInteger(dst, nameIndex, 4, 0);
        EncodeString(dst, value);
    }

    /// <summary>"Literal header field without indexing — new name" (RFC 7541 §6.2.2).</summary>
    public static void EncodeLiteral(Stream dst, string name, string value)
    {
        dst.WriteByte(0);
        EncodeString(dst, name);
        EncodeString(dst, value);
    }
}

/// <summary>
/// Decodes the header blocks of one HTTP/2 connection: keeps the dynamic table (RFC 7541 §2.3.2, §4) that the
/// peer's encoder fills, bounded by the SETTINGS_HEADER_TABLE_SIZE we announced (the default, 4096).
/// </summary>
public sealed class HpackDecoder
{
    /// <summary>The table size we allow the peer (HTTP/2's default SETTINGS_HEADER_TABLE_SIZE).</summary>
    public const int MaxTableSize = 4096;

    private readonly List<(string Name, string Value)> _dynamic = []; // newest first
    private int _size;
    private int _capacity = MaxTableSize;

    /// <summary>Number of entries in the dynamic table (for tests).</summary>
    public int DynamicCount => _dynamic.Count;

    /// <summary>Decodes one complete header block (HEADERS plus CONTINUATION fragments).</summary>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, string)>();
        var pos = 0;
        while (pos < block.Length)
        {
            var b = block[pos];
            if ((b & 0x80) != 0)
            {
                fields.Add(Lookup(Hpack.DecodeInteger(block, ref pos, 7)));
            }
            else if ((b & 0xc0) == 0x40)
            {
                var field = ReadLiteral(block, ref pos, 6);
                fields.Add(field);
                Insert(field);
            }
            else if ((b & 0xe0) == 0x20)
            {
                var size = Hpack.DecodeInteger(block, ref pos, 5);
                if (size > MaxTableSize)
                {
                    throw new HpackException($"dynamic table size update to {size} exceeds the {MaxTableSize} allowed");
                }

                _capacity = size;
                Evict(0);
            }
            else
            {
                fields.Add(ReadLiteral(block, ref pos, 4)); // without indexing (0000) or never indexed (0001)
            }
        }

        return fields;
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var index = Hpack.DecodeInteger(block, ref pos, prefixBits);
        var name = index == 0 ? Hpack.DecodeString(block, ref pos) : Lookup(index).Name;
        return (name, Hpack.DecodeString(block, ref pos));
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index <= 0)
        {
            throw new HpackException("header field index 0");
        }

        if (index < Hpack.StaticTable.Length)
        {
            return Hpack.StaticTable[index];
        }

        var i = index - Hpack.StaticTable.Length;
        return i < _dynamic.Count ? _dynamic[i] : throw new HpackException($"header field index {index} is not in the table ({_dynamic.Count} dynamic entries)");
    }

    private void Insert((string Name, string Value) field)
    {
        var size = EntrySize(field);
        if (size > _capacity)
        {
            _dynamic.Clear(); // RFC 7541 §4.4: an entry larger than the table empties it
            _size = 0;
            return;
        }

        Evict(size);
        _dynamic.Insert(0, field);
        _size += size;
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _size + room > _capacity)
        {
            _size -= EntrySize(_dynamic[^1]);
            _dynamic.RemoveAt(_dynamic.Count - 1);
        }
    }

    private static int EntrySize((string Name, string Value) f) => 32 + f.Name.Length + f.Value.Length;
}

/// <summary>
/// The HPACK Huffman code (RFC 7541 Appendix B). It is canonical, so the code lengths define it: symbols sorted by
/// (length, value) get consecutive codes. Decoding walks one bit at a time, which is plenty for a few short headers.
/// </summary>
public static class HpackHuffman
{
    // Code length of symbols 0..256 (256 = EOS), as 'A' + (length - 5).
    private const string Lengths =
        "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ";

    private const int MaxLength = 30;
    private static readonly Lazy<Table> Codes = new(Build);

    /// <summary>Decodes Huffman-coded octets; the padding must be the most significant bits of EOS (all ones, &lt; 8 bits).</summary>
    public static string Decode(ReadOnlySpan<byte> src)
    {
        var t = Codes.Value;
        var sb = new StringBuilder(src.Length * 8 / 5);
        var code = 0u;
        var length = 0;
        foreach (var octet in src)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((octet >> bit) & 1);
                length++;
                if (length > MaxLength)
                {
                    throw new HpackException("invalid Huffman code in header block");
                }

                var offset = code - t.First[length];
                if (t.Count[length] > 0 && code >= t.First[length] && offset < t.Count[length])
                {
                    var symbol = t.Symbols[t.Start[length] + (int)offset];
                    if (symbol == 256)
                    {
                        throw new HpackException("Huffman-coded string contains EOS");
                    }

                    sb.Append((char)symbol);
                    code = 0;
                    length = 0;
                }
            }
        }

        if (length > 7 || code != (1u << length) - 1)
        {
            throw new HpackException("invalid Huffman padding in header block");
        }

        return sb.ToString();
    }

    private static Table Build()
    {
        var t = new Table();
        var order = Enumerable.Range(0, 257).OrderBy(s => Lengths[s] - 'A' + 5).ThenBy(s => s).ToArray();
        var code = 0u;
        var previous = 0;
        for (var i = 0; i < order.Length; i++)
        {
            var len = Lengths[order[i]] - 'A' + 5;
            if (i > 0)
            {
                code = (code + 1) << (len - previous);
            }

            if (t.Count[len] == 0)
            {
                t.First[len] = code;
                t.Start[len] = i;
            }

            t.Count[len]++;
            t.Symbols[i] = order[i];
            previous = len;
        }

        return t;
    }

    private sealed class Table
    {
        public readonly uint[] First = new uint[MaxLength + 1];
        public readonly int[] Start = new int[MaxLength + 1];
        public readonly uint[] Count = new uint[MaxLength + 1];
        public readonly int[] Symbols = new int[257];
    }
}
