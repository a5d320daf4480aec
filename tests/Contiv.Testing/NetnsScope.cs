namespace Contiv.Testing;

/// <summary>
/// Creates named network namespaces for one test and removes them (and every link inside) on
/// dispose, also when the test failed. Names carry a per-scope random tag so parallel or crashed
/// runs never collide; <see cref="SweepStale"/> removes leftovers of crashed runs.
/// Uses <c>ip</c> from iproute2 on purpose: the fixture must not depend on the code under test.
/// </summary>
public sealed class NetnsScope : IDisposable
{
    /// <summary>Prefix of every namespace and host-side link the fixtures create.</summary>
    public const string Prefix = "ct";

    private readonly List<string> _namespaces = [];
    private readonly List<string> _rootLinks = [];

    /// <summary>Random tag shared by the names this scope creates (4 hex digits).</summary>
    public string Tag { get; } = Random.Shared.Next(0x1000, 0xffff).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Creates a namespace named <c>ct{tag}-{name}</c> with loopback up and returns its name.</summary>
    public string Create(string name)
    {
        var ns = $"{Prefix}{Tag}-{name}";
        Shell.Ip($"netns add {ns}");
        _namespaces.Add(ns);
        Shell.Ip($"-n {ns} link set lo up");
        return ns;
    }

    /// <summary>Creates a veth pair with one end in each namespace (null = root namespace), both up.</summary>
    public void Veth(string nameA, string? nsA, string nameB, string? nsB)
    {
        // Created in nsA (or root), peer placed directly into nsB.
        var where = nsA is null ? string.Empty : $"-n {nsA} ";
        var peerNs = nsB is null ? string.Empty : $" netns {nsB}";
        Shell.Ip($"{where}link add {nameA} type veth peer name {nameB}{peerNs}");
        if (nsA is null)
        {
            _rootLinks.Add(nameA);
        }

        Shell.Ip($"{where}link set {nameA} up");
        Shell.Ip($"{(nsB is null ? string.Empty : $"-n {nsB} ")}link set {nameB} up");
    }

    /// <summary>Creates a bridge inside a namespace and brings it up.</summary>
    public void Bridge(string name, string ns)
    {
        Shell.Ip($"-n {ns} link add {name} type bridge");
        Shell.Ip($"-n {ns} link set {name} up");
    }

    /// <summary>Enslaves a link to a bridge inside a namespace.</summary>
    public static void Enslave(string ns, string link, string bridge) => Shell.Ip($"-n {ns} link set {link} master {bridge}");

    /// <summary>Runs a command inside a namespace (<c>ip netns exec</c>).</summary>
    public static CommandResult Exec(string ns, string commandLine, TimeSpan? timeout = null)
        => Shell.Run($"ip netns exec {ns} {commandLine}", timeout);

    /// <summary>Pings from a namespace; true when at least one reply came back.</summary>
    public static bool Ping(string ns, string address, int count = 1, double waitSeconds = 2)
        => Shell.Run("ip", ["netns", "exec", ns, "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-W", waitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), address],
            timeout: TimeSpan.FromSeconds((count * waitSeconds) + 10)).ExitCode == 0;

    /// <summary>Deletes every namespace and root-namespace link of this scope; safe to call twice.</summary>
    public void Dispose()
    {
        foreach (var link in _rootLinks)
        {
            Shell.Run($"ip link del {link}");
        }

        _rootLinks.Clear();
        foreach (var ns in _namespaces)
        {
            KillProcessesIn(ns);
            Shell.Run($"ip netns del {ns}");
        }

        _namespaces.Clear();
    }

    /// <summary>Removes namespaces of this fixture left behind by crashed runs.</summary>
    public static void SweepStale()
    {
        var list = Shell.Run("ip netns list").StdOut;
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && name.Length > Prefix.Length + 5 && name[Prefix.Length + 4] == '-')
            {
                KillProcessesIn(name);
                Shell.Run($"ip netns del {name}");
            }
        }
    }

    private static void KillProcessesIn(string ns)
    {
        var pids = Shell.Run($"ip netns pids {ns}").StdOut;
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Shell.Run($"kill -9 {pid.Trim()}");
        }
    }
}
