using Contiv.Linux;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>
/// An in-process data plane with two packet-generator interfaces: pg0 (10.0.0.1/24) and pg1
/// (10.0.1.1/24), both up, in table <see cref="Table"/>. Frames are injected and captured in memory.
/// </summary>
internal sealed class TwoPortDataplane : IDisposable
{
    public static readonly MacAddress HostA = MacAddress.Parse("02:aa:00:00:00:02");
    public static readonly MacAddress HostB = MacAddress.Parse("02:bb:00:00:00:02");

    public TwoPortDataplane(uint table = 0, int buffers = 1024, Action<Dataplane>? extendGraph = null)
    {
        Dp = new Dataplane(new DataplaneOptions { Buffers = buffers, ExtendGraph = extendGraph });
        Dp.Start();
        Cli = new CliEngine(Dp);
        Pg0 = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:00:01"));
        Pg1 = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:01:01"));
        Table = table;
        if (table != 0)
        {
            Dp.AddTable(table);
            Dp.SetInterfaceTable(Pg0, table);
            Dp.SetInterfaceTable(Pg1, table);
        }

        Dp.AddAddress(Pg0, Ip4Prefix.ParseAddress("10.0.0.1/24"));
        Dp.AddAddress(Pg1, Ip4Prefix.ParseAddress("10.0.1.1/24"));
        Dp.SetAdminState(Pg0, true);
        Dp.SetAdminState(Pg1, true);
    }

    public Dataplane Dp { get; }

    public CliEngine Cli { get; }

    public SwInterface Pg0 { get; }

    public SwInterface Pg1 { get; }

    public uint Table { get; }

    public IReadOnlyList<byte[]> Out0 => Dataplane.Captured(Pg0);

    public IReadOnlyList<byte[]> Out1 => Dataplane.Captured(Pg1);

    public void ClearCaptured()
    {
        ((PacketGeneratorDevice)Pg0.Device!).ClearCaptured();
        ((PacketGeneratorDevice)Pg1.Device!).ClearCaptured();
    }

    /// <summary>Injects an IPv4 packet from host A (10.0.0.2) on pg0.</summary>
    public void FromA(byte[] ip) => Dp.Inject(Pg0, Packets.Ethernet(Pg0.Mac, HostA, 0x0800, ip));

    public string Run(string cli)
    {
        var r = Cli.Execute(cli);
        Assert.False(r.Error, $"`{cli}` failed: {r.Output}");
        return r.Output;
    }

    public long ErrorCount(string node, string reason)
    {
        var errors = Dp.Graph.Errors;
        long total = 0;
        for (var e = 0; e < errors.Count; e++)
        {
            if (errors[e].Node.Name == node && errors[e].Reason == reason)
            {
                foreach (var ctx in Dp.Contexts)
                {
                    total += ctx.ErrorCounters[e];
                }
            }
        }

        return total;
    }

    public void Dispose() => Dp.Dispose();
}
