using Contiv.Vpp.Nat;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>Backend choice: weights, ClientIP affinity, and endpoint churn under live sessions.</summary>
public sealed class NatLoadBalancingTests
{
    private static readonly NatExternalKey Vip = new(A("10.96.0.10"), 80, NatProtocol.Tcp);

    private static Dictionary<string, int> Spread(Nat44 nat, int connections, Func<int, string> client)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < connections; i++)
        {
            var p = Tcp(client(i), (ushort)(10000 + (i % 50000)), "10.96.0.10", 80, Syn);
            Assert.Equal(NatVerdict.Translated, nat.Out2In(p, 1, 0).Verdict);
            counts[Dst(p)] = counts.GetValueOrDefault(Dst(p)) + 1;
        }

        return counts;
    }

    [Fact]
    public void Connections_spread_over_backends_in_proportion_to_their_weights()
    {
        var nat = new Nat44(maxSessions: 8192, random: new Random(3));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly,
            [new NatLocal(A("10.1.1.5"), 8080, 1, 1), new NatLocal(A("10.1.1.6"), 8080, 1, 1), new NatLocal(A("10.1.2.7"), 8080, 1, 2)]);

        const int n = 4000;
        var counts = Spread(nat, n, i => $"10.1.{1 + (i / 50000)}.{2 + (i % 200)}");

        // Chi-square against 1:1:2 with 2 degrees of freedom; 13.8 is the 0.1 % critical value.
        double[] expected = [n / 4.0, n / 4.0, n / 2.0];
        string[] backends = ["10.1.1.5", "10.1.1.6", "10.1.2.7"];
        var chi = 0.0;
        for (var k = 0; k < 3; k++)
        {
            var d = counts.GetValueOrDefault(backends[k]) - expected[k];
            chi += d * d / expected[k];
        }

        Assert.True(chi < 13.8, $"chi-square {chi:F2} for {string.Join(", ", counts)}");
    }

    [Fact]
    public void All_zero_weights_choose_uniformly()
    {
        var nat = new Nat44(maxSessions: 4096, random: new Random(5));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0), new NatLocal(A("10.1.1.6"), 8080, 1, 0)]);

        var counts = Spread(nat, 2000, i => $"10.1.3.{2 + (i % 200)}");

        Assert.Equal(2, counts.Count);
        Assert.InRange(counts["10.1.1.5"], 850, 1150);
    }

    [Fact]
    public void Client_ip_affinity_sends_every_connection_of_a_client_to_one_backend_until_it_times_out()
    {
        var nat = new Nat44(maxSessions: 4096, random: new Random(9));
        NatLocal[] locals = [new(A("10.1.1.5"), 8080, 1, 1), new(A("10.1.1.6"), 8080, 1, 1), new(A("10.1.1.7"), 8080, 1, 1)];
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, locals, affinityTimeout: 600);

        var first = Spread(nat, 100, _ => "10.1.9.9");
        var others = Spread(nat, 300, i => $"10.1.{8 + (i / 200)}.{2 + (i % 200)}");

        Assert.Single(first);
        Assert.Equal(100, first.Values.Single());
        Assert.Equal(3, others.Count);

        // Past the timeout (no connection refreshed it) the client may be balanced anew.
        var chosen = new HashSet<string>();
        for (var round = 1; round <= 20; round++)
        {
            var p = Tcp("10.1.9.9", 20000, "10.96.0.10", 80, Syn);
            nat.Out2In(p, 1, now: round * 1000.0);
            chosen.Add(Dst(p));
            nat.Expire(round * 1000.0 + 500, 100000);
        }

        Assert.True(chosen.Count > 1, "after the affinity timeout a client is re-balanced");
    }

    [Fact]
    public void Affinity_to_a_removed_backend_moves_to_a_surviving_one()
    {
        var nat = new Nat44(maxSessions: 4096, random: new Random(1));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 1), new NatLocal(A("10.1.1.6"), 8080, 1, 1)], affinityTimeout: 600);
        var p = Tcp("10.1.9.9", 20000, "10.96.0.10", 80, Syn);
        nat.Out2In(p, 1, 0);
        var gone = Dst(p);

        nat.Mappings.RemoveLocal(Vip, A(gone), 8080, 1);
        var after = Spread(nat, 20, _ => "10.1.9.9");

        Assert.Single(after);
        Assert.NotEqual(gone, after.Keys.Single());
    }

    [Fact]
    public void Endpoint_churn_keeps_sessions_to_surviving_backends()
    {
        var nat = new Nat44(maxSessions: 4096, random: new Random(2));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 1)]);
        var syn = Tcp("10.1.9.9", 30000, "10.96.0.10", 80, Syn);
        nat.Out2In(syn, 1, 0);
        Assert.Equal("10.1.1.5", Dst(syn));

        // Scale 1 → 300 → 1 endpoints, one local at a time, with traffic on the first connection throughout.
        for (var i = 0; i < 299; i++)
        {
            nat.Mappings.PutLocal(Vip, new NatLocal(A("10.2.0.0") + (uint)i, 8080, 1, 1));
            var data = Tcp("10.1.9.9", 30000, "10.96.0.10", 80, Ack, payload: 100);
            nat.Out2In(data, 1, i);
            Assert.Equal("10.1.1.5", Dst(data));
        }

        Assert.Equal(300, nat.Mappings.Find(Vip)!.Locals.Length);
        for (var i = 0; i < 299; i++)
        {
            Assert.True(nat.Mappings.RemoveLocal(Vip, A("10.2.0.0") + (uint)i, 8080, 1));
            var data = Tcp("10.1.9.9", 30000, "10.96.0.10", 80, Ack, payload: 100);
            nat.Out2In(data, 1, 300 + i);
            Assert.Equal("10.1.1.5", Dst(data));
            var reply = Tcp("10.1.1.5", 8080, "10.1.9.9", 30000, Ack);
            Assert.Equal(NatVerdict.Translated, nat.In2Out(reply, 1, 0, 300 + i, dynamicSnat: false).Verdict);
            Assert.Equal("10.96.0.10", Src(reply));
        }

        Assert.Equal(1, nat.Sessions.Count);
    }

    [Fact]
    public void A_local_claimed_by_two_bidirectional_mappings_is_refused_with_both_names()
    {
        var nat = new Nat44(maxSessions: 16);
        nat.Mappings.Put(new NatExternalKey(A("4.4.4.4"), 0, NatProtocol.None), NatMappingFlags.None, [new NatLocal(A("10.0.0.3"), 0, 0, 0)]);

        var e = Assert.Throws<ArgumentException>(() =>
            nat.Mappings.Put(new NatExternalKey(A("4.4.4.5"), 0, NatProtocol.None), NatMappingFlags.None, [new NatLocal(A("10.0.0.3"), 0, 0, 0)]));

        Assert.Contains("10.0.0.3", e.Message, StringComparison.Ordinal);
        Assert.Contains("4.4.4.4", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, nat.Mappings.Count);
    }
}
