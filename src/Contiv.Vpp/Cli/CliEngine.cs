using Contiv.Linux;
using System.Globalization;
using System.Reflection;
using System.Text;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Cli;

/// <summary>A CLI command failed; the engine prints <c>&lt;command path&gt;: &lt;message&gt;</c>.</summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CliException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CliException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CliException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Result of one CLI line.</summary>
public readonly record struct CliResult(string Output, bool Error);

/// <summary>The words after a command's path, with typed readers that name the bad token on failure.</summary>
public sealed class CliArgs
{
    private readonly string[] _tokens;
    private int _pos;

    internal CliArgs(string[] tokens, int start, Dataplane dp)
    {
        _tokens = tokens;
        _pos = start;
        Dataplane = dp;
    }

    /// <summary>The data plane.</summary>
    public Dataplane Dataplane { get; }

    /// <summary>True when every word was consumed.</summary>
    public bool AtEnd => _pos >= _tokens.Length;

    /// <summary>The next word, or null.</summary>
    public string? Peek => AtEnd ? null : _tokens[_pos];

    /// <summary>The unparsed rest of the line.</summary>
    public string Rest => string.Join(' ', _tokens, _pos, _tokens.Length - _pos);

    /// <summary>Consumes the next word.</summary>
    public string Next(string what) => AtEnd ? throw new CliException($"missing {what}") : _tokens[_pos++];

    /// <summary>Consumes the next word when it equals one of <paramref name="keywords"/>.</summary>
    public bool Keyword(params string[] keywords)
    {
        if (AtEnd)
        {
            return false;
        }

        foreach (var k in keywords)
        {
            if (string.Equals(_tokens[_pos], k, StringComparison.Ordinal))
            {
                _pos++;
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads an unsigned integer.</summary>
    public uint UInt(string what)
    {
        var t = Next(what);
        return uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new CliException($"expected {what}, got `{t}'");
    }

    /// <summary>Reads an IPv4 address.</summary>
    public uint Ip4(string what)
    {
        var t = Next(what);
        return Ip4Address.TryParse(t, out var a) ? a : throw new CliException($"expected {what}, got `{t}'");
    }

    /// <summary>Reads an IPv4 prefix.</summary>
    public Ip4Prefix Prefix(string what)
    {
        var t = Next(what);
        return t.Contains('/', StringComparison.Ordinal) && Ip4Prefix.TryParseAddress(t, out var p) ? p : throw new CliException($"expected {what}, got `{t}'");
    }

    /// <summary>Reads a MAC address.</summary>
    public MacAddress Mac(string what)
    {
        var t = Next(what);
        return MacAddress.TryParse(t, out var m) ? m : throw new CliException($"expected {what}, got `{t}'");
    }

    /// <summary>Reads an interface name.</summary>
    public SwInterface Interface()
    {
        var t = Next("interface");
        return Dataplane.FindInterface(t) ?? throw new CliException($"unknown interface `{t}'");
    }

    /// <summary>True when the next word names an interface (without consuming it).</summary>
    public bool PeekInterface() => Peek is { } t && Dataplane.FindInterface(t) is not null;

    /// <summary>Fails when words are left.</summary>
    public void End()
    {
        if (!AtEnd)
        {
            throw new CliException($"unknown input `{Rest}'");
        }
    }
}

/// <summary>
/// The debug CLI (FD.io VPP's syntax): commands are registered by path; each word of a path may be
/// abbreviated to any unique prefix (<c>sh int addr</c>). Errors print as <c>&lt;path&gt;: &lt;message&gt;</c>.
/// </summary>
public sealed class CliEngine
{
    private sealed class Node
    {
        public readonly SortedDictionary<string, Node> Children = new(StringComparer.Ordinal);
        public Func<CliArgs, string>? Handler;
        public string Path = string.Empty;
        public string Help = string.Empty;
    }

    private readonly Node _root = new();
    private readonly Dataplane _dp;

    /// <summary>Creates the CLI over a data plane with every built-in command module registered.</summary>
    public CliEngine(Dataplane dp)
    {
        _dp = dp;
        // One line per subsystem module (Cli/Commands/); a new subsystem adds its file and a line here.
        ICliModule[] modules =
        [
            new Commands.InterfaceCommands(dp),
            new Commands.Ip4Commands(dp),
            new Commands.NeighborCommands(dp),
            new Commands.L2Commands(dp),
            new Commands.VxlanCommands(dp),
            new Commands.Nat44Commands(dp),
            new Commands.AclCommands(dp),
            new Commands.StnCommands(dp),
            new Commands.DiagnosticsCommands(dp),
        ];
        foreach (var m in modules)
        {
            m.Register(this);
        }
    }

    /// <summary>Registers a command (extension point for later features: bridge domains, NAT, ACL).</summary>
    public void Register(string path, string help, Func<CliArgs, string> handler)
    {
        var n = _root;
        foreach (var w in path.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!n.Children.TryGetValue(w, out var c))
            {
                c = new Node { Path = (n.Path + " " + w).Trim() };
                n.Children[w] = c;
            }

            n = c;
        }

        n.Handler = handler;
        n.Help = help;
    }

    /// <summary>Runs one command line and returns its output (VPP style: ends with a newline unless empty).</summary>
    public CliResult Execute(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return new CliResult(string.Empty, false);
        }

        if (tokens[0] is "?" or "help")
        {
            return new CliResult(Help(), false);
        }

        var n = _root;
        var i = 0;
        Node? lastHandler = null;
        var handlerPos = 0;
        while (i < tokens.Length)
        {
            var t = tokens[i];
            if (!n.Children.TryGetValue(t, out var next))
            {
                Node? unique = null;
                var count = 0;
                foreach (var (k, c) in n.Children)
                {
                    if (k.StartsWith(t, StringComparison.Ordinal))
                    {
                        unique = c;
                        count++;
                    }
                }

                if (count != 1)
                {
                    if (n.Handler is not null)
                    {
                        break;
                    }

                    var path = n == _root ? t : n.Path;
                    return count == 0
                        ? new CliResult($"{(n == _root ? "unknown" : path)}: unknown input `{string.Join(' ', tokens, i, tokens.Length - i)}'\n", true)
                        : new CliResult($"{path}: ambiguous input `{t}'\n", true);
                }

                next = unique!;
            }

            n = next;
            i++;
            if (n.Handler is not null)
            {
                lastHandler = n;
                handlerPos = i;
            }
        }

        if (n.Handler is null)
        {
            if (lastHandler is null)
            {
                var sub = new StringBuilder();
                foreach (var c in n.Children.Values)
                {
                    AppendHelp(sub, c);
                }

                return new CliResult(sub.Length > 0 ? sub.ToString() : $"{n.Path}: incomplete command\n", sub.Length == 0);
            }

            n = lastHandler;
            i = handlerPos;
        }

        try
        {
            var output = n.Handler!(new CliArgs(tokens, i, _dp));
            if (output.Length > 0 && !output.EndsWith('\n'))
            {
                output += "\n";
            }

            return new CliResult(output, false);
        }
        catch (CliException e)
        {
            return new CliResult($"{n.Path}: {e.Message}\n", true);
        }
        catch (DataplaneException e)
        {
            return new CliResult($"{n.Path}: {e.Message}\n", true);
        }
    }

    private string Help()
    {
        var sb = new StringBuilder();
        AppendHelp(sb, _root);
        return sb.ToString();
    }

    private static void AppendHelp(StringBuilder sb, Node n)
    {
        if (n.Handler is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {n.Path,-40} {n.Help}\n");
        }

        foreach (var c in n.Children.Values)
        {
            AppendHelp(sb, c);
        }
    }

    /// <summary>Version string of this build.</summary>
    public static string Version => typeof(Dataplane).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// When this build was made: the data plane assembly's file time, or the executable's when the code is
    /// compiled into it (the NativeAOT contiv-vpp has no assembly files).
    /// </summary>
    public static DateTime BuildTime
    {
        get
        {
            var path = AssemblyPath();
            return File.GetLastWriteTimeUtc(path is { Length: > 0 } ? path : Environment.ProcessPath ?? string.Empty);
        }
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (NativeAOT, single file) falls back to the executable.")]
    private static string AssemblyPath() => typeof(Dataplane).Assembly.Location;

    /// <summary>Interface counters summed over every thread.</summary>
    public static InterfaceCounters SumCounters(Dataplane dp, int sw)
    {
        ArgumentNullException.ThrowIfNull(dp);
        var total = default(InterfaceCounters);
        foreach (var ctx in dp.Contexts)
        {
            var arr = ctx.IfCounters;
            if (sw < arr.Length)
            {
                total.Add(arr[sw]);
            }
        }

        return total;
    }
}
