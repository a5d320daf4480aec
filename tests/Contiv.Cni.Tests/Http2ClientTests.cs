using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Contiv.Cni.Agent.Http2;
using Contiv.Model.Cni;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Contiv.Cni.Tests;

/// <summary>
/// contiv-cni's own blocking gRPC client (src/Contiv.Cni/Agent/Http2): HPACK against the RFC 7541 examples,
/// interop with a real Kestrel gRPC server, and protocol variants a scripted raw HTTP/2 server produces.
/// </summary>
public sealed class Http2ClientTests(KestrelGrpcServer kestrel) : IClassFixture<KestrelGrpcServer>
{
    private const int MaxReply = 4 << 20;

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    // ---------------------------------------------------------------- HPACK: integers (RFC 7541 §5.1, C.1)

    [Theory]
    [InlineData("0a", 5, 10)] // C.1.1
    [InlineData("ea", 5, 10)] // C.1.1 with the representation's flag bits set above the prefix
    [InlineData("1f9a0a", 5, 1337)] // C.1.2
    [InlineData("2a", 8, 42)] // C.1.3
    [InlineData("1f00", 5, 31)] // exactly the prefix maximum needs a zero continuation octet
    [InlineData("7f8001", 7, 127 + 128)]
    public void DecodeIntegerReadsTheRfcExamples(string hex, int prefixBits, int expected)
    {
        var bytes = Hex(hex + "ff"); // a trailing octet that must not be consumed
        var pos = 0;

        Assert.Equal(expected, Hpack.DecodeInteger(bytes, ref pos, prefixBits));
        Assert.Equal(bytes.Length - 1, pos);
    }

    [Theory]
    [InlineData("", 5)]
    [InlineData("1f", 5)]
    [InlineData("1f9a", 5)]
    [InlineData("1fffffffffff0f", 5)] // > 2^31-1
    public void DecodeIntegerRejectsTruncatedAndOversizedIntegers(string hex, int prefixBits)
    {
        var bytes = Hex(hex);
        Assert.Throws<HpackException>(() =>
        {
            var pos = 0;
            return Hpack.DecodeInteger(bytes, ref pos, prefixBits);
        });
    }

    [Fact]
    public void EncodeIntegerWritesTheRfcExample()
    {
        var s = new MemoryStream();
        Hpack.EncodeInteger(s, 1337, 5, 0xe0);
        Assert.Equal(Hex("ff9a0a"), s.ToArray());
    }

    [Fact]
    public void EncodeIntegerRoundTripsAroundPrefixBoundaries()
    {
        for (var prefix = 1; prefix <= 8; prefix++)
        {
            var max = (1 << prefix) - 1;
            var flags = (byte)((0xff << prefix) & 0xff);
            int[] values = [0, 1, max - 1, max, max + 1, max + 126, max + 127, max + 128, max + 129, max + 16383, max + 16384, 1_000_000, int.MaxValue];
            foreach (var value in values.Where(v => v >= 0).Distinct())
            {
                var s = new MemoryStream();
                Hpack.EncodeInteger(s, value, prefix, flags);
                var bytes = s.ToArray();
                Assert.True((bytes[0] & flags) == flags, $"prefix {prefix}, value {value}: flag bits lost in 0x{bytes[0]:x2}");
                Assert.Equal(value < max ? 1 : 1 + ContinuationOctets(value - max), bytes.Length);
                var pos = 0;
                Assert.Equal(value, Hpack.DecodeInteger(bytes, ref pos, prefix));
                Assert.Equal(bytes.Length, pos);
            }
        }

        static int ContinuationOctets(int rest)
        {
            var n = 1;
            for (; rest >= 128; rest >>= 7)
            {
                n++;
            }

            return n;
        }
    }

    // ---------------------------------------------------------------- HPACK: Huffman (RFC 7541 §5.2, Appendix B, C.4, C.6)

    [Theory]
    [InlineData("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")]
    [InlineData("a8eb10649cbf", "no-cache")]
    [InlineData("25a849e95ba97d7f", "custom-key")]
    [InlineData("25a849e95bb8e8b4bf", "custom-value")]
    [InlineData("d07abe941054d444a8200595040b8166e082a62d1bff", "Mon, 21 Oct 2013 20:13:21 GMT")]
    [InlineData("6402", "302")]
    [InlineData("640eff", "307")]
    [InlineData("aec3771a4b", "private")]
    [InlineData("9bd9ab", "gzip")]
    [InlineData("9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com")]
    [InlineData("94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")]
    [InlineData("", "")]
    [InlineData("1f", "a")] // 'a' = 00011, padded with three one bits
    public void HuffmanDecodesTheRfcExamples(string hex, string expected) =>
        Assert.Equal(expected, HpackHuffman.Decode(Hex(hex)));

    [Theory]
    [InlineData("18")] // 'a' padded with zero bits
    [InlineData("1e")] // 'a' padded with 110: not the EOS prefix
    [InlineData("1fff")] // 'a' then 11 one bits: padding longer than 7 bits
    [InlineData("ff")] // 8 one bits of padding alone
    [InlineData("a8eb10649cbe")] // "no-cache" with its last padding bit cleared
    [InlineData("ffffffff")] // EOS (30 one bits) inside the string
    public void HuffmanRejectsInvalidPaddingAndEos(string hex) =>
        Assert.Throws<HpackException>(() => HpackHuffman.Decode(Hex(hex)));

    [Fact]
    public void DecodeStringHonoursTheHuffmanBitAndTheLength()
    {
        var raw = Hex("08 6e6f2d6361636865 ff");
        var huffman = Hex("86 a8eb10649cbf ff");
        var pos = 0;
        Assert.Equal("no-cache", Hpack.DecodeString(raw, ref pos));
        Assert.Equal(9, pos);
        pos = 0;
        Assert.Equal("no-cache", Hpack.DecodeString(huffman, ref pos));
        Assert.Equal(7, pos);
        Assert.Throws<HpackException>(() =>
        {
            var p = 0;
            return Hpack.DecodeString(Hex("09 6e6f2d6361636865"), ref p); // one octet short
        });
    }

    // ---------------------------------------------------------------- HPACK: decoder with dynamic table (RFC 7541 C.3–C.5)

    private static readonly (string, string)[] C3First = [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")];
    private static readonly (string, string)[] C3Second = [.. C3First, ("cache-control", "no-cache")];
    private static readonly (string, string)[] C3Third =
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")];

    [Fact]
    public void DecoderReadsTheRfcRequestExamplesWithoutHuffman()
    {
        var decoder = new HpackDecoder();

        Assert.Equal(C3First, decoder.Decode(Hex("828684410f7777772e6578616d706c652e636f6d")));
        Assert.Equal(1, decoder.DynamicCount);
        Assert.Equal(C3Second, decoder.Decode(Hex("828684be58086e6f2d6361636865")));
        Assert.Equal(2, decoder.DynamicCount);
        Assert.Equal(C3Third, decoder.Decode(Hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565")));
        Assert.Equal(3, decoder.DynamicCount);
    }

    [Fact]
    public void DecoderReadsTheRfcRequestExamplesWithHuffman()
    {
        var decoder = new HpackDecoder();

        Assert.Equal(C3First, decoder.Decode(Hex("828684418cf1e3c2e5f23a6ba0ab90f4ff")));
        Assert.Equal(1, decoder.DynamicCount);
        Assert.Equal(C3Second, decoder.Decode(Hex("828684be5886a8eb10649cbf")));
        Assert.Equal(2, decoder.DynamicCount);
        Assert.Equal(C3Third, decoder.Decode(Hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")));
        Assert.Equal(3, decoder.DynamicCount);
    }

    [Fact]
    public void DecoderEvictsOldestEntriesAfterATableSizeUpdate()
    {
        // RFC 7541 C.5: the response examples with a 256-octet table; the size update starts the first block.
        const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT", Date22 = "Mon, 21 Oct 2013 20:13:22 GMT", Location = "https://www.example.com";
        const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
        var decoder = new HpackDecoder();

        var first = new HeaderBlock().SizeUpdate(256).IncrementalIndexedName(8, "302").IncrementalIndexedName(24, "private")
            .IncrementalIndexedName(33, Date21).IncrementalIndexedName(46, Location).ToArray();
        Assert.Equal(Hex("3fe101"), first[..3]);
        Assert.Equal([(":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", Location)], decoder.Decode(first));
        Assert.Equal(4, decoder.DynamicCount);

        // ":status 307" evicts ":status 302"; c1/c0/bf then name the shifted entries.
        Assert.Equal([(":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", Location)],
            decoder.Decode(Hex("4803333037c1c0bf")));
        Assert.Equal(4, decoder.DynamicCount);

        var third = new HeaderBlock().Indexed(8).Indexed(65).IncrementalIndexedName(33, Date22).Indexed(64)
            .IncrementalIndexedName(26, "gzip").IncrementalIndexedName(55, Cookie).ToArray();
        Assert.Equal([(":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", Location), ("content-encoding", "gzip"), ("set-cookie", Cookie)],
            decoder.Decode(third));
        Assert.Equal(3, decoder.DynamicCount); // RFC: set-cookie, content-encoding, date (215 octets)
    }

    [Fact]
    public void TableSizeUpdateToZeroEmptiesTheTable()
    {
        var decoder = new HpackDecoder();
        decoder.Decode(Hex("828684410f7777772e6578616d706c652e636f6d"));
        Assert.Equal(1, decoder.DynamicCount);

        Assert.Empty(decoder.Decode(Hex("20")));
        Assert.Equal(0, decoder.DynamicCount);
        Assert.Throws<HpackException>(() => decoder.Decode(Hex("be")));
    }

    [Fact]
    public void TableSizeUpdateAboveTheAnnouncedSizeThrows() =>
        Assert.Throws<HpackException>(() => new HpackDecoder().Decode(new HeaderBlock().SizeUpdate(HpackDecoder.MaxTableSize + 1).ToArray()));

    [Theory]
    [InlineData("be")] // index 62 with an empty dynamic table
    [InlineData("80")] // index 0
    [InlineData("ff80ffffff07")] // an index far beyond any table
    [InlineData("7e03616263")] // literal with incremental indexing naming entry 62 (absent)
    public void IndexBeyondTheTableThrows(string hex) =>
        Assert.Throws<HpackException>(() => new HpackDecoder().Decode(Hex(hex)));

    [Fact]
    public void IndexReachesTheLastStaticAndFirstDynamicEntry()
    {
        var decoder = new HpackDecoder();
        var fields = decoder.Decode(new HeaderBlock().Indexed(61).Incremental("x-a", "1").Incremental("x-b", "2").Indexed(62).Indexed(63).ToArray());

        Assert.Equal([("www-authenticate", ""), ("x-a", "1"), ("x-b", "2"), ("x-b", "2"), ("x-a", "1")], fields);
    }

    [Fact]
    public void EntryLargerThanTheTableEmptiesIt()
    {
        var decoder = new HpackDecoder();
        decoder.Decode(new HeaderBlock().Incremental("x-a", "1").ToArray());
        Assert.Equal(1, decoder.DynamicCount);

        var fields = decoder.Decode(new HeaderBlock().Incremental("x-big", new string('v', HpackDecoder.MaxTableSize)).ToArray());

        Assert.Equal("x-big", Assert.Single(fields).Name);
        Assert.Equal(0, decoder.DynamicCount);
    }

    [Fact]
    public void NeverIndexedLiteralIsNotInserted()
    {
        var decoder = new HpackDecoder();
        Assert.Equal([("password", "secret")], decoder.Decode(Hex("100870617373776f726406736563726574")));
        Assert.Equal(0, decoder.DynamicCount);
    }

    // ---------------------------------------------------------------- interop with Kestrel (grpc-dotnet server)

    private RemoteCNI.RemoteCNIClient KestrelClient(int maxReply = MaxReply) =>
        new(new BlockingCallInvoker(new UnixDomainSocketEndPoint(kestrel.SocketPath), "localhost", maxReply));

    private static DateTime In(int milliseconds) => DateTime.UtcNow.AddMilliseconds(milliseconds);

    [Fact]
    public void KestrelAddReturnsTheRepliesFields()
    {
        var reply = KestrelClient().Add(new CNIRequest { ContainerId = "normal", InterfaceName = "eth0", NetworkNamespace = "/proc/1/ns/net" }, deadline: In(3000));

        Assert.Equal(0u, reply.Result);
        Assert.Equal("added eth0 in /proc/1/ns/net", reply.Error);
        var iface = Assert.Single(reply.Interfaces);
        Assert.Equal("eth0", iface.Name);
        Assert.Equal("10.1.1.5/32", Assert.Single(iface.IpAddresses).Address);
        Assert.Equal("0.0.0.0/0", Assert.Single(reply.Routes).Dst);
    }

    [Fact]
    public void KestrelCallWithoutDeadlineWorks()
    {
        var reply = KestrelClient().Delete(new CNIRequest { ContainerId = "normal", InterfaceName = "eth1" });
        Assert.Equal("deleted eth1", reply.Error);
    }

    [Fact]
    public void KestrelReplyLargerThan64KiBArrivesIntact()
    {
        var reply = KestrelClient().Add(new CNIRequest { ContainerId = "big-reply", ExtraArguments = "300000" }, deadline: In(3000));

        Assert.Equal(KestrelGrpcServer.Pattern(300_000), reply.Error);
    }

    [Fact]
    public void KestrelRequestLargerThan64KiBReachesTheServerIntact()
    {
        var big = KestrelGrpcServer.Pattern(200_000);

        var reply = KestrelClient().Add(new CNIRequest { ContainerId = "echo-hash", ExtraNwConfig = big }, deadline: In(3000));

        Assert.Equal((uint)big.Length, reply.Result);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(big))), reply.Error);
    }

    [Fact]
    public void KestrelStatusWithPercentEncodedUtf8DetailArrives()
    {
        var e = Assert.Throws<RpcException>(() => KestrelClient().Add(new CNIRequest { ContainerId = "not-found" }, deadline: In(3000)));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal("pod gone: ü 100%", e.Status.Detail);
    }

    [Fact]
    public void KestrelUnknownMethodIsUnimplemented()
    {
        var client = new PodCheck.PodCheckClient(new BlockingCallInvoker(new UnixDomainSocketEndPoint(kestrel.SocketPath), "localhost", MaxReply));

        var e = Assert.Throws<RpcException>(() => client.Check(new CNIRequest(), deadline: In(3000)));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public void KestrelSlowHandlerGivesDeadlineExceeded()
    {
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<RpcException>(() => KestrelClient().Add(new CNIRequest { ContainerId = "sleep" }, deadline: In(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 1000);
    }

    [Fact]
    public void KestrelReplyAboveMaxReplySizeIsResourceExhausted()
    {
        var e = Assert.Throws<RpcException>(() =>
            KestrelClient(maxReply: 1000).Add(new CNIRequest { ContainerId = "big-reply", ExtraArguments = "5000" }, deadline: In(3000)));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public void ReplyOfExactlyMaxReplySizeIsAccepted()
    {
        var expected = new CNIReply { Error = KestrelGrpcServer.Pattern(5000) };
        var size = expected.CalculateSize();

        var reply = KestrelClient(maxReply: size).Add(new CNIRequest { ContainerId = "big-reply", ExtraArguments = "5000" }, deadline: In(3000));

        Assert.Equal(expected, reply);
    }

    [Fact]
    public void MissingSocketIsUnavailableNamingThePath()
    {
        using var dir = new TempDir();
        var path = dir["absent.sock"];
        var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(new UnixDomainSocketEndPoint(path), "localhost", MaxReply));

        var e = Assert.Throws<RpcException>(() => client.Add(new CNIRequest(), deadline: In(3000)));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains(path, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void KestrelOverTcpWorks()
    {
        var client = new RemoteCNI.RemoteCNIClient(
            new BlockingCallInvoker(new IPEndPoint(IPAddress.Loopback, kestrel.TcpPort), $"127.0.0.1:{kestrel.TcpPort}", MaxReply));

        var reply = client.Add(new CNIRequest { ContainerId = "normal", InterfaceName = "eth0", NetworkNamespace = "/n" }, deadline: In(3000));

        Assert.Equal("added eth0 in /n", reply.Error);
    }

    [Fact]
    public void KestrelOverTcpByHostNameWorks()
    {
        var client = new RemoteCNI.RemoteCNIClient(
            new BlockingCallInvoker(new DnsEndPoint("localhost", kestrel.TcpPort), $"localhost:{kestrel.TcpPort}", MaxReply));

        var reply = client.Add(new CNIRequest { ContainerId = "normal", InterfaceName = "eth2", NetworkNamespace = "/n" }, deadline: In(3000));

        Assert.Equal("added eth2 in /n", reply.Error);
    }

    [Fact]
    public void TcpConnectThatHangsEndsAtTheDeadline()
    {
        // A listener that never accepts, its queue filled: Linux drops further SYNs, so the connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                fillers.Add(filler);
                try
                {
                    filler.Connect(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException pending) when (pending.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    // completes (or stays pending) in the background
                }
            }

            Thread.Sleep(100);
            var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(new IPEndPoint(IPAddress.Loopback, port), $"127.0.0.1:{port}", MaxReply));
            var watch = Stopwatch.StartNew();

            var e = Assert.Throws<RpcException>(() => client.Add(new CNIRequest(), deadline: In(300)));

            Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
            Assert.Contains("connecting", e.Status.Detail, StringComparison.Ordinal);
            Assert.InRange(watch.ElapsedMilliseconds, 250, 1200);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public void ClosedTcpPortIsUnavailable()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, never listening, then closed
        }

        var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(new IPEndPoint(IPAddress.Loopback, port), $"127.0.0.1:{port}", MaxReply));
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<RpcException>(() => client.Add(new CNIRequest(), deadline: In(3000)));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains($"127.0.0.1:{port}", e.Status.Detail, StringComparison.Ordinal);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void ClosedTcpPortWithoutDeadlineIsUnavailableAtOnce()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(new IPEndPoint(IPAddress.Loopback, port), $"127.0.0.1:{port}", MaxReply));
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<RpcException>(() => client.Add(new CNIRequest()));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms");
    }

    // ---------------------------------------------------------------- protocol variants (scripted raw HTTP/2 server)

    private static readonly CNIReply RawReply = new() { Result = 7, Error = "from the raw server" };

    private static byte[] GrpcMessage(IMessage message, byte compressed = 0)
    {
        var bytes = message.ToByteArray();
        var framed = new byte[5 + bytes.Length];
        framed[0] = compressed;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)bytes.Length);
        bytes.CopyTo(framed, 5);
        return framed;
    }

    /// <summary>Runs one call against a scripted server; returns the reply or the exception, and the server's connection.</summary>
    private static (CNIReply? Reply, RpcException? Error, RawHttp2Connection Connection) RawCall(Action<RawHttp2Connection> script, CNIRequest? request = null)
    {
        using var server = new RawHttp2Server();
        var serving = server.Serve(script);
        CNIReply? reply = null;
        RpcException? error = null;
        try
        {
            var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(server.EndPoint, "localhost", MaxReply));
            reply = client.Add(request ?? new CNIRequest { ContainerId = "raw" }, deadline: In(3000));
        }
        catch (RpcException e)
        {
            error = e;
        }

        Assert.True(serving.Wait(TimeSpan.FromSeconds(5)), "the scripted server did not finish");
        return (reply, error, serving.Result);
    }

    private static void RespondOk(RawHttp2Connection c)
    {
        c.WriteGrpcResponseHeaders();
        c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
        c.WriteOkTrailers();
    }

    private static CNIReply AssertOk((CNIReply? Reply, RpcException? Error, RawHttp2Connection Connection) call)
    {
        Assert.Null(call.Error);
        Assert.Equal(RawReply, call.Reply);
        return call.Reply!;
    }

    private static RpcException AssertFails((CNIReply? Reply, RpcException? Error, RawHttp2Connection Connection) call, StatusCode code)
    {
        Assert.Null(call.Reply);
        Assert.NotNull(call.Error);
        Assert.Equal(code, call.Error.StatusCode);
        return call.Error;
    }

    [Fact]
    public void RawRequestIsWellFormed()
    {
        var request = new CNIRequest { ContainerId = "c1", InterfaceName = "eth0" };
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteSettings();
            RespondOk(c);
        }, request);

        AssertOk(call);
        var frames = call.Connection.Received;
        var settings = frames.First();
        Assert.Equal(Http2Frame.Settings, settings.Type);
        Assert.False(settings.Has(Http2Frame.Ack));
        var headers = Assert.Single(frames, f => f.Type == Http2Frame.Headers);
        Assert.Equal(1, headers.Stream);
        Assert.True(headers.Has(Http2Frame.EndHeaders));
        var fields = new HpackDecoder().Decode(headers.Payload);
        Assert.Contains((":method", "POST"), fields);
        Assert.Contains((":scheme", "http"), fields);
        Assert.Contains((":path", "/cni.RemoteCNI/Add"), fields);
        Assert.Contains((":authority", "localhost"), fields);
        Assert.Contains(("content-type", "application/grpc"), fields);
        Assert.Contains(("te", "trailers"), fields);
        var timeout = Assert.Single(fields, f => f.Name == "grpc-timeout").Value;
        Assert.EndsWith("m", timeout, StringComparison.Ordinal);
        Assert.InRange(int.Parse(timeout.TrimEnd('m'), System.Globalization.CultureInfo.InvariantCulture), 1000, 3000);
        var body = frames.Where(f => f.Type == Http2Frame.Data).SelectMany(f => f.Payload).ToArray();
        Assert.Equal(GrpcMessage(request), body);
        Assert.True(frames.Last(f => f.Type == Http2Frame.Data).Has(Http2Frame.EndStream));
    }

    [Fact]
    public void RawServerSettingsAreAcknowledged()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteSettings((3, 100), (4, 1 << 20), (5, 1 << 15));
            c.ReadUntil(f => f.Type == Http2Frame.Settings && f.Has(Http2Frame.Ack));
            RespondOk(c);
        });

        AssertOk(call);
        var ack = Assert.Single(call.Connection.Received, f => f.Type == Http2Frame.Settings && f.Has(Http2Frame.Ack));
        Assert.Equal(0, ack.Stream);
        Assert.Empty(ack.Payload);
    }

    [Fact]
    public void RawPingIsAnsweredWithTheSameBytes()
    {
        byte[] opaque = [1, 2, 3, 4, 0xfd, 0xfe, 0xff, 0];
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Ping, 0, 0, opaque);
            c.ReadUntil(f => f.Type == Http2Frame.Ping);
            RespondOk(c);
        });

        AssertOk(call);
        var pong = Assert.Single(call.Connection.Received, f => f.Type == Http2Frame.Ping);
        Assert.True(pong.Has(Http2Frame.Ack));
        Assert.Equal(0, pong.Stream);
        Assert.Equal(opaque, pong.Payload);
    }

    [Fact]
    public void RawHeadersSplitIntoContinuationsAreJoined()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            var block = new HeaderBlock().Indexed(8).Literal("x-filler", new string('f', 40)).Literal("content-type", "application/grpc").ToArray();
            c.Write(Http2Frame.Headers, 0, 1, block.AsSpan(0, 10)); // cuts the filler literal in two
            c.Write(Http2Frame.Continuation, 0, 1, block.AsSpan(10, 40));
            c.Write(Http2Frame.Continuation, Http2Frame.EndHeaders, 1, block.AsSpan(50));
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
            var trailers = new HeaderBlock().Literal("grpc-status", "0").ToArray();
            c.Write(Http2Frame.Headers, Http2Frame.EndStream, 1, trailers.AsSpan(0, 3));
            c.Write(Http2Frame.Continuation, Http2Frame.EndHeaders, 1, trailers.AsSpan(3));
        });

        AssertOk(call);
    }

    [Fact]
    public void RawHuffmanValuesAndDynamicTableInTrailers()
    {
        // The headers insert grpc-message (Huffman "no-cache"); the trailers insert grpc-status (Huffman "5") and then
        // name grpc-message by its index, which the insertion moved from 62 to 63 (newest entries come first).
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1,
                new HeaderBlock().Indexed(8).Literal("content-type", "application/grpc").IncrementalHuffmanValue("grpc-message", Hex("a8eb10649cbf")).ToArray());
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1,
                new HeaderBlock().IncrementalHuffmanValue("grpc-status", Hex("6f")).Indexed(63).ToArray());
        });

        var e = AssertFails(call, StatusCode.NotFound);
        Assert.Equal("no-cache", e.Status.Detail);
    }

    [Fact]
    public void RawHuffmanContentTypeAndStatusReferencedFromTheTable()
    {
        // content-type's value Huffman-coded ("application/grpc" is built from RFC codes below); grpc-status "0"
        // Huffman-coded and inserted in the headers, then used in the trailers by index.
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1,
                new HeaderBlock().Indexed(8).LiteralIndexedNameHuffman(31, HuffmanApplicationGrpc).IncrementalHuffmanValue("grpc-status", Hex("07")).ToArray());
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1, new HeaderBlock().Indexed(62).ToArray());
        });

        AssertOk(call);
    }

    /// <summary>"application/grpc" Huffman-coded with the RFC 7541 Appendix B codes of its letters.</summary>
    private static byte[] HuffmanApplicationGrpc => HuffmanOf(
        ("a", 0x3, 5), ("p", 0x2b, 6), ("p", 0x2b, 6), ("l", 0x28, 6), ("i", 0x6, 5), ("c", 0x4, 5), ("a", 0x3, 5), ("t", 0x9, 5),
        ("i", 0x6, 5), ("o", 0x7, 5), ("n", 0x2a, 6), ("/", 0x18, 6), ("g", 0x26, 6), ("r", 0x2c, 6), ("p", 0x2b, 6), ("c", 0x4, 5));

    private static byte[] HuffmanOf(params (string Symbol, int Code, int Bits)[] codes)
    {
        var bits = new List<bool>();
        foreach (var (_, code, length) in codes)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                bits.Add(((code >> i) & 1) != 0);
            }
        }

        while (bits.Count % 8 != 0)
        {
            bits.Add(true); // EOS prefix as padding
        }

        var bytes = new byte[bits.Count / 8];
        for (var i = 0; i < bits.Count; i++)
        {
            if (bits[i])
            {
                bytes[i / 8] |= (byte)(0x80 >> (i % 8));
            }
        }

        return bytes;
    }

    [Fact]
    public void RawPaddedDataAndPaddedPriorityHeaders()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            var block = new HeaderBlock().Indexed(8).Literal("content-type", "application/grpc").ToArray();
            var headers = new byte[1 + 5 + block.Length + 3];
            headers[0] = 3; // pad length
            headers[1] = 0x80; // exclusive dependency on stream 0, weight below
            headers[5] = 15;
            block.CopyTo(headers, 6);
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders | Http2Frame.Padded | Http2Frame.Priority, 1, headers);

            var message = GrpcMessage(RawReply);
            var first = new byte[1 + 4 + 200];
            first[0] = 200;
            message.AsSpan(0, 4).CopyTo(first.AsSpan(1));
            first.AsSpan(5).Fill(0xee); // padding content must be ignored
            c.Write(Http2Frame.Data, Http2Frame.Padded, 1, first);
            var rest = new byte[1 + message.Length - 4];
            rest[0] = 0;
            message.AsSpan(4).CopyTo(rest.AsSpan(1));
            c.Write(Http2Frame.Data, Http2Frame.Padded, 1, rest);
            c.WriteOkTrailers();
        });

        AssertOk(call);
    }

    [Fact]
    public void RawTrailersOnlyErrorIsTheStatus()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, 1, new HeaderBlock().Indexed(8)
                .Literal("content-type", "application/grpc").Literal("grpc-status", "5").Literal("grpc-message", "no pod %22x%22").ToArray());
        });

        var e = AssertFails(call, StatusCode.NotFound);
        Assert.Equal("no pod \"x\"", e.Status.Detail);
    }

    [Fact]
    public void RawRefusedStreamIsUnavailable()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.RstStream, 0, 1, [0, 0, 0, 7]);
        });

        var e = AssertFails(call, StatusCode.Unavailable);
        Assert.Contains("REFUSED_STREAM", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void RawGoAwayBeforeTheStreamIsUnavailable()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.GoAway, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0, .. "shutting down"u8]);
        });

        var e = AssertFails(call, StatusCode.Unavailable);
        Assert.Contains("shutting down", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void RawGoAwayThatIncludesTheStreamLetsTheCallFinish()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.GoAway, 0, 0, [0, 0, 0, 1, 0, 0, 0, 0]);
            RespondOk(c);
        });

        AssertOk(call);
    }

    [Fact]
    public void RawConnectionClosedMidResponseIsUnavailable()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            var message = GrpcMessage(RawReply);
            c.Write(Http2Frame.Data, 0, 1, message.AsSpan(0, 6));
            c.Close();
        });

        AssertFails(call, StatusCode.Unavailable);
    }

    [Fact]
    public void RawConnectionClosedInsideAFrameIsUnavailable()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            c.WriteRaw([0, 0, 100, Http2Frame.Data, 0, 0, 0, 0, 1, 0, 0]); // announces 100 bytes, sends 2
            c.Close();
        });

        AssertFails(call, StatusCode.Unavailable);
    }

    [Theory]
    [InlineData("503", StatusCode.Unavailable)]
    [InlineData("404", StatusCode.Unimplemented)]
    [InlineData("401", StatusCode.Unauthenticated)]
    [InlineData("418", StatusCode.Unknown)]
    public void RawHttpStatusIsMapped(string status, StatusCode expected)
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1, new HeaderBlock().Literal(":status", status).Literal("content-type", "text/plain").ToArray());
            c.Write(Http2Frame.Data, Http2Frame.EndStream, 1, "no such thing"u8);
        });

        var e = AssertFails(call, expected);
        Assert.Contains(status, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void RawCompressedReplyIsInternal()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply, compressed: 1));
            c.WriteOkTrailers();
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawNonGrpcContentTypeIsInternal()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1, new HeaderBlock().Indexed(8).Literal("content-type", "text/html").ToArray());
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
            c.WriteOkTrailers();
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawMissingGrpcStatusIsInternal()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            c.Write(Http2Frame.Data, Http2Frame.EndStream, 1, GrpcMessage(RawReply));
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawTruncatedMessageIsInternal()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            var message = GrpcMessage(RawReply);
            c.Write(Http2Frame.Data, 0, 1, message.AsSpan(0, message.Length - 1));
            c.WriteOkTrailers();
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawInvalidHpackIsInternal()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Headers, Http2Frame.EndHeaders, 1, new HeaderBlock().Indexed(8).Indexed(70).ToArray());
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawSilentServerGivesDeadlineExceeded()
    {
        using var server = new RawHttp2Server();
        var serving = server.Serve(c =>
        {
            c.ReadRequest();
            c.TryReadFrame(1500); // says nothing until the client gave up
        });
        var client = new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(server.EndPoint, "localhost", MaxReply));
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<RpcException>(() => client.Add(new CNIRequest(), deadline: In(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 1200);
        Assert.True(serving.Wait(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void RawRequestWaitsForWindowUpdates()
    {
        // 100 000 bytes of request: the client may send the default windows' 65 535 octets, then must wait.
        var request = new CNIRequest { ContainerId = "flow", ExtraNwConfig = KestrelGrpcServer.Pattern(100_000) };
        var body = GrpcMessage(request);
        var sentBeforeUpdate = 0;
        var extraBeforeUpdate = default(Http2Frame);
        var call = RawCall(c =>
        {
            while (sentBeforeUpdate < 65535)
            {
                var frame = c.ReadUntil(f => f.Type == Http2Frame.Data);
                sentBeforeUpdate += frame.Payload.Length;
                Assert.True(frame.Payload.Length <= 16384, $"DATA frame of {frame.Payload.Length} bytes");
            }

            extraBeforeUpdate = c.TryReadFrame(300);
            c.WriteWindowUpdate(0, 20_000);
            c.WriteWindowUpdate(1, 100_000); // the connection window (20 000) limits the next step
            var more = 0;
            while (more < 20_000)
            {
                more += c.ReadUntil(f => f.Type == Http2Frame.Data).Payload.Length;
            }

            Assert.Equal(20_000, more);
            Assert.Null(c.TryReadFrame(300));
            c.WriteWindowUpdate(0, 100_000);
            c.ReadRequest();
            RespondOk(c);
        }, request);

        AssertOk(call);
        Assert.Equal(65535, sentBeforeUpdate);
        Assert.Null(extraBeforeUpdate);
        var data = call.Connection.Received.Where(f => f.Type == Http2Frame.Data).ToList();
        Assert.Equal(body, data.SelectMany(f => f.Payload).ToArray());
        Assert.All(data.SkipLast(1), f => Assert.False(f.Has(Http2Frame.EndStream)));
    }

    [Fact]
    public void RawSmallerInitialWindowSettingLimitsTheRequest()
    {
        // SETTINGS_INITIAL_WINDOW_SIZE 1000 after 65 535 bytes left: the stream window is now 1000 - 65535 < 0,
        // so only a stream WINDOW_UPDATE of more than that lets the client continue.
        var request = new CNIRequest { ContainerId = "flow", ExtraNwConfig = KestrelGrpcServer.Pattern(80_000) };
        var call = RawCall(c =>
        {
            var sent = 0;
            while (sent < 65535)
            {
                sent += c.ReadUntil(f => f.Type == Http2Frame.Data).Payload.Length;
            }

            c.WriteSettings((4, 1000));
            c.WriteWindowUpdate(0, 1 << 20);
            c.ReadUntil(f => f.Type == Http2Frame.Settings && f.Has(Http2Frame.Ack));
            Assert.Null(c.TryReadFrame(300)); // stream window negative: nothing may come
            c.WriteWindowUpdate(1, 65535 - 1000 + 500);
            var more = 0;
            while (more < 500)
            {
                more += c.ReadUntil(f => f.Type == Http2Frame.Data).Payload.Length;
            }

            Assert.Equal(500, more);
            c.WriteWindowUpdate(1, 1 << 20);
            c.ReadRequest();
            RespondOk(c);
        }, request);

        AssertOk(call);
        var data = call.Connection.Received.Where(f => f.Type == Http2Frame.Data).SelectMany(f => f.Payload).ToArray();
        Assert.Equal(GrpcMessage(request), data);
    }

    [Fact]
    public void RawLargerMaxFrameSizeIsUsedForTheRequest()
    {
        var request = new CNIRequest { ContainerId = "frames", ExtraNwConfig = KestrelGrpcServer.Pattern(100_000) };
        var call = RawCall(c =>
        {
            var sent = 0;
            while (sent < 65535)
            {
                sent += c.ReadUntil(f => f.Type == Http2Frame.Data).Payload.Length;
            }

            c.WriteSettings((5, 1 << 16), (4, 1 << 20));
            c.WriteWindowUpdate(0, 1 << 20);
            c.ReadRequest();
            RespondOk(c);
        }, request);

        AssertOk(call);
        var data = call.Connection.Received.Where(f => f.Type == Http2Frame.Data).ToList();
        Assert.Contains(data, f => f.Payload.Length > 16384);
        Assert.Equal(GrpcMessage(request), data.SelectMany(f => f.Payload).ToArray());
    }

    [Fact]
    public void RawPushPromiseIsAProtocolError()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(5, Http2Frame.EndHeaders, 1, [0, 0, 0, 2, 0x82]);
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawOversizedFrameIsAProtocolError()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            c.Write(Http2Frame.Data, 0, 1, new byte[16385]);
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawUnknownAndPriorityFramesAreIgnored()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(2, 0, 1, [0, 0, 0, 0, 16]); // PRIORITY
            c.Write(0xfa, 0xff, 0, "an extension frame"u8); // unknown type: ignore (RFC 9113 §4.1)
            c.WriteWindowUpdate(1, 1000); // after the request ended
            c.Write(Http2Frame.Settings, Http2Frame.Ack, 0, []); // acknowledges the client's SETTINGS
            RespondOk(c);
        });

        AssertOk(call);
    }

    [Fact]
    public void RawHeadersInterruptedBeforeTheirEndAreAProtocolError()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            var block = new HeaderBlock().Indexed(8).Literal("content-type", "application/grpc").ToArray();
            c.Write(Http2Frame.Headers, 0, 1, block.AsSpan(0, 4));
            c.Write(Http2Frame.Ping, 0, 0, new byte[8]);
            c.Write(Http2Frame.Continuation, Http2Frame.EndHeaders, 1, block.AsSpan(4));
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawDataBeforeHeadersIsAProtocolError()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Data, 0, 1, GrpcMessage(RawReply));
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawMalformedSettingsAreAProtocolError()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.Write(Http2Frame.Settings, 0, 0, [0, 4, 0, 0, 1]);
        });

        AssertFails(call, StatusCode.Internal);
    }

    [Fact]
    public void RawCancelledStreamIsCancelled()
    {
        var call = RawCall(c =>
        {
            c.ReadRequest();
            c.WriteGrpcResponseHeaders();
            c.Write(Http2Frame.RstStream, 0, 1, [0, 0, 0, 8]);
        });

        AssertFails(call, StatusCode.Cancelled);
    }

    [Fact]
    public void PassedDeadlineIsDeadlineExceededAtOnce()
    {
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<RpcException>(() => KestrelClient().Add(new CNIRequest { ContainerId = "normal" }, deadline: DateTime.UtcNow.AddSeconds(-1)));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.True(watch.ElapsedMilliseconds < 500, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void AsynchronousCallsAreNotSupported() =>
        Assert.Throws<NotSupportedException>(() => KestrelClient().AddAsync(new CNIRequest()));

    [Fact]
    public void PercentDecodeKeepsMalformedEscapes()
    {
        Assert.Equal("100%", Http2UnaryCall.PercentDecode("100%"));
        Assert.Equal("a%zzb", Http2UnaryCall.PercentDecode("a%zzb"));
        Assert.Equal("ü%", Http2UnaryCall.PercentDecode("%C3%BC%25"));
        Assert.Equal("x%4", Http2UnaryCall.PercentDecode("x%4"));
    }
}

/// <summary>
/// A Kestrel gRPC server in the test process serving <see cref="RemoteCNI"/> (not <see cref="PodCheck"/>) on a unix
/// socket in a temporary directory and on a free loopback TCP port, HTTP/2 only.
/// </summary>
public sealed class KestrelGrpcServer : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private WebApplication? _app;

    /// <summary>The unix socket's path.</summary>
    public string SocketPath => _dir["grpc.sock"];

    /// <summary>The loopback TCP port.</summary>
    public int TcpPort { get; private set; }

    /// <summary>A deterministic text of <paramref name="length"/> characters that shows any lost or moved byte.</summary>
    public static string Pattern(int length)
    {
        var sb = new StringBuilder(length);
        for (var i = 0; sb.Length < length; i++)
        {
            sb.Append(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(',');
        }

        return sb.ToString(0, length);
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = _dir.Path });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(SocketPath, l => l.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        _app = builder.Build();
        _app.MapGrpcService<TestRemoteCni>();
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var tcp = addresses.Single(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        TcpPort = new Uri(tcp).Port;

        // The first call through a fresh Kestrel costs about a second of JIT; pay it here, not in a timed test. A
        // failure is left to the tests to report (failing here would fail every test of the class, HPACK ones too).
        try
        {
            new RemoteCNI.RemoteCNIClient(new BlockingCallInvoker(new UnixDomainSocketEndPoint(SocketPath), "localhost", 1 << 20))
                .Add(new CNIRequest { ContainerId = "warm-up" }, deadline: DateTime.UtcNow.AddSeconds(10));
        }
        catch (RpcException)
        {
            // reported by the interop tests
        }
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _dir.Dispose();
    }

    /// <summary>The service; the request's container_id picks the behaviour.</summary>
    private sealed class TestRemoteCni : RemoteCNI.RemoteCNIBase
    {
        public override async Task<CNIReply> Add(CNIRequest request, ServerCallContext context)
        {
            switch (request.ContainerId)
            {
                case "big-reply":
                    return new CNIReply { Error = Pattern(int.Parse(request.ExtraArguments, System.Globalization.CultureInfo.InvariantCulture)) };
                case "echo-hash":
                    return new CNIReply
                    {
                        Result = (uint)request.ExtraNwConfig.Length,
                        Error = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(request.ExtraNwConfig))),
                    };
                case "not-found":
                    throw new RpcException(new Status(StatusCode.NotFound, "pod gone: ü 100%"));
                case "sleep":
                    await Task.Delay(2000, context.CancellationToken);
                    return new CNIReply { Error = "slept" };
                default:
                    var reply = new CNIReply { Result = 0, Error = $"added {request.InterfaceName} in {request.NetworkNamespace}" };
                    var iface = new CNIReply.Types.Interface { Name = request.InterfaceName, Sandbox = request.NetworkNamespace };
                    iface.IpAddresses.Add(new CNIReply.Types.Interface.Types.IP { Address = "10.1.1.5/32", Gateway = "10.1.1.1" });
                    reply.Interfaces.Add(iface);
                    reply.Routes.Add(new CNIReply.Types.Route { Dst = "0.0.0.0/0", Gw = "10.1.1.1" });
                    return reply;
            }
        }

        public override Task<CNIReply> Delete(CNIRequest request, ServerCallContext context) =>
            Task.FromResult(new CNIReply { Error = $"deleted {request.InterfaceName}" });
    }
}
