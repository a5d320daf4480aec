using System.Text;
using Contiv.Cni.Protocol;

namespace Contiv.Cni.Tests;

/// <summary>
/// stdin is read up to 1 MiB: a runtime (or anyone who can run the plugin) feeding an endless stream
/// gets error 107 naming the limit instead of a plugin that grows until the node runs out of memory.
/// </summary>
public sealed class StdinLimitTests
{
    [Fact]
    public void Stdin_larger_than_one_mebibyte_is_refused_with_code_107_naming_the_limit()
    {
        using var stdin = new EndlessStream();
        var e = Assert.Throws<CniException>(() => NetworkConfig.ReadStdin(stdin));
        Assert.Equal(CniErrorCode.StdinTooLarge, e.Code);
        Assert.Contains("1048576 bytes", e.Message, StringComparison.Ordinal);
        // It stopped one byte past the limit instead of reading on.
        Assert.Equal(NetworkConfig.MaxStdinBytes + 1, stdin.Position);
    }

    [Fact]
    public void Stdin_of_exactly_one_mebibyte_is_read_whole()
    {
        var json = "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"type\":\"contiv-cni\",\"pad\":\"";
        var text = json + new string('a', NetworkConfig.MaxStdinBytes - json.Length - 2) + "\"}";
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, NetworkConfig.ReadStdin(stdin));
    }

    /// <summary>A stream of spaces that never ends (counts what was read).</summary>
    private sealed class EndlessStream : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
