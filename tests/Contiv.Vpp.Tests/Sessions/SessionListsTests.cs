using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Tests.Sessions;

public sealed class SessionListsTests
{
    [Fact]
    public void Slots_are_taken_until_full_and_reused_after_release()
    {
        var lists = new SessionLists(2);

        var a = lists.Take(SessionTimeoutClass.Udp);
        var b = lists.Take(SessionTimeoutClass.Udp);

        Assert.True(lists.Full);
        Assert.Equal(-1, lists.Take(SessionTimeoutClass.Udp));
        Assert.True(lists.Release(a));
        Assert.False(lists.Release(a)); // not live any more
        Assert.Equal(a, lists.PeekFree);
        Assert.Equal(a, lists.Take(SessionTimeoutClass.Icmp));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void The_oldest_of_a_class_is_the_least_recently_heard()
    {
        var lists = new SessionLists(8);
        var first = lists.Take(SessionTimeoutClass.TcpEstablished);
        var second = lists.Take(SessionTimeoutClass.TcpEstablished);
        var third = lists.Take(SessionTimeoutClass.TcpEstablished);

        lists.MoveToNewest(first, SessionTimeoutClass.TcpEstablished);
        Assert.Equal(second, lists.Oldest(SessionTimeoutClass.TcpEstablished));

        lists.Release(second);
        Assert.Equal(third, lists.Oldest(SessionTimeoutClass.TcpEstablished));
        Assert.Equal(2, lists.CountOf(SessionTimeoutClass.TcpEstablished));
    }

    [Fact]
    public void Moving_to_another_class_updates_both_lists()
    {
        var lists = new SessionLists(4);
        var s = lists.Take(SessionTimeoutClass.TcpTransitory);

        lists.MoveToNewest(s, SessionTimeoutClass.TcpClosed);

        Assert.Equal(-1, lists.Oldest(SessionTimeoutClass.TcpTransitory));
        Assert.Equal(0, lists.CountOf(SessionTimeoutClass.TcpTransitory));
        Assert.Equal(s, lists.Oldest(SessionTimeoutClass.TcpClosed));
        Assert.Equal(1, lists.CountOf(SessionTimeoutClass.TcpClosed));
    }

    [Fact]
    public void Heard_sessions_expire_in_lru_order_against_a_model()
    {
        // Random touches and releases, checked against a plain list per class (the model).
        var random = new Random(7);
        var lists = new SessionLists(64);
        var model = new List<int>[5];
        for (var c = 0; c < model.Length; c++)
        {
            model[c] = [];
        }

        for (var step = 0; step < 5000; step++)
        {
            var c = (SessionTimeoutClass)random.Next(5);
            var live = model.SelectMany(l => l).ToList();
            var roll = random.Next(3);
            if (roll == 0 && !lists.Full)
            {
                var i = lists.Take(c);
                model[(int)c].Add(i);
            }
            else if (roll == 1 && live.Count > 0)
            {
                var i = live[random.Next(live.Count)];
                Array.ForEach(model, l => l.Remove(i));
                lists.MoveToNewest(i, c);
                model[(int)c].Add(i);
            }
            else if (live.Count > 0)
            {
                var i = live[random.Next(live.Count)];
                Array.ForEach(model, l => l.Remove(i));
                Assert.True(lists.Release(i));
            }

            for (var k = 0; k < model.Length; k++)
            {
                Assert.Equal(model[k].Count, lists.CountOf((SessionTimeoutClass)k));
                Assert.Equal(model[k].Count > 0 ? model[k][0] : -1, lists.Oldest((SessionTimeoutClass)k));
            }
        }
    }
}
