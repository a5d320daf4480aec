// Times wiring one pod through Contiv.Linux, the way the agent does it (SPEC §2.4): a TAP opened in
// the vswitch namespace is moved into the pod namespace and renamed eth0, gets its MAC and is set up,
// then /32 address, link-scope route to the gateway, default route via it, static ARP for the gateway.
// Helper of bench/pod-wiring.sh, which runs the same steps with ip commands as the baseline.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Contiv.Linux;

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.WriteLine("""
        usage: pod-wiring-bench --vswitch-netns NAME --pod-netns NAME [--iterations N] [--warmup N]

        Wires one pod N times through Contiv.Linux (namespace open + rtnetlink socket in the pod,
        move+rename, MAC, up, /32 address, 2 routes, static ARP) and prints per-run milliseconds
        and the median. The vswitch namespace must exist; the pod namespace is created and deleted
        around every run (not timed), as is the TAP.
        """);
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}

var podIp = IPAddress.Parse("10.1.1.7");
var gateway = IPAddress.Parse("10.1.1.1");
var podMac = LinkAddress.Parse("02:fe:a1:b2:c3:d4");
var vppMac = LinkAddress.Parse("02:fe:5e:4d:3c:2b");

using var vswitch = NetworkNamespace.Open(options.VswitchNetns);
using var host = RtNetlink.Open(vswitch);
var times = new List<double>();
for (var i = 0; i < options.Warmup + options.Iterations; i++)
{
    NetworkNamespace.Create(options.PodNetns).Dispose();
    try
    {
        using var tap = TapDevice.Open(new TapOptions { Name = "ctbenchtap" }, vswitch);
        var sw = Stopwatch.StartNew();
        using (var pod = NetworkNamespace.Open(options.PodNetns))
        using (var nl = RtNetlink.Open(pod))
        {
            host.MoveLink(tap.InterfaceIndex, pod, "eth0");
            var eth0 = nl.GetLinkIndex("eth0");
            nl.SetMacAddress(eth0, podMac);
            nl.SetLinkUp(eth0);
            nl.AddAddress(eth0, podIp, 32);
            nl.AddRoute(Route.Host(gateway, eth0));
            nl.AddRoute(Route.Default(gateway, eth0));
            nl.AddNeighbour(new Neighbour { InterfaceIndex = eth0, Address = gateway, MacAddress = vppMac });
            sw.Stop();

            // Not timed: the wiring really is there.
            if (nl.GetRoutes().Count != 2 || nl.GetNeighbours(eth0).Count == 0)
            {
                throw new InvalidOperationException($"run {i}: pod wiring incomplete in {options.PodNetns}");
            }
        }

        if (i >= options.Warmup)
        {
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
    }
    finally
    {
        NetworkNamespace.Delete(options.PodNetns);

        // Let the kernel finish tearing the namespace down before the next timed run (as the baseline does).
        Thread.Sleep(100);
    }
}

times.Sort();
var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[(times.Count / 2) - 1] + times[times.Count / 2]) / 2;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"library runs {times.Count} min {times[0]:F3} ms median {median:F3} ms max {times[^1]:F3} ms"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MEDIAN_MS {median:F3}"));
return 0;

/// <summary>Command line of the bench.</summary>
internal sealed record BenchOptions(string VswitchNetns, string PodNetns, int Iterations, int Warmup)
{
    public static BenchOptions? Parse(string[] args)
    {
        string? vsw = null, pod = null;
        int iterations = 50, warmup = 5;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--vswitch-netns":
                    vsw = args[i + 1];
                    break;
                case "--pod-netns":
                    pod = args[i + 1];
                    break;
                case "--iterations":
                    iterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    return null;
            }
        }

        return vsw is null || pod is null || iterations < 1 || warmup < 0 ? null : new BenchOptions(vsw, pod, iterations, warmup);
    }
}
