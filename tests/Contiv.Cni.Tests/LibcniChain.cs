using System.Text.Json;
using System.Text.Json.Nodes;

namespace Contiv.Cni.Tests;

/// <summary>
/// Runs a conflist the way libcni does: ADD through the plugins in order, each receiving the
/// previous result as <c>prevResult</c>; CHECK in order and DEL in reverse order, each with the
/// cached final ADD result; <c>capabilities</c> replaced by the matching <c>runtimeConfig</c>.
/// Plugins are looked up in <see cref="CniPath"/> and run inside the node's network namespace
/// (the runtime's own namespace), as a runtime on that node would run them.
/// </summary>
public sealed class LibcniChain(string conflist, IReadOnlyList<string> cniPath, string? nodeNetns)
{
    private readonly JsonObject _list = JsonNode.Parse(conflist)!.AsObject();

    /// <summary>Directories searched for plugin binaries, in order.</summary>
    public IReadOnlyList<string> CniPath { get; } = cniPath;

    /// <summary>Runtime-provided capability values (e.g. <c>portMappings</c>).</summary>
    public Dictionary<string, JsonNode> RuntimeConfig { get; } = [];

    /// <summary>The cached final ADD result (libcni keeps it under /var/lib/cni).</summary>
    public JsonObject? CachedResult { get; private set; }

    /// <summary>ADD through every plugin; stops at the first failure and returns it.</summary>
    public CniOutcome Add(string containerId, string netnsPath, string ifName = "eth0", string args = "")
    {
        JsonNode? prev = null;
        CniOutcome last = new(0, "{}", string.Empty);
        foreach (var plugin in Plugins())
        {
            last = Invoke("ADD", plugin, prev, containerId, netnsPath, ifName, args);
            if (last.ExitCode != 0)
            {
                return last;
            }

            prev = JsonNode.Parse(last.StdOut);
        }

        CachedResult = prev?.AsObject();
        return last;
    }

    /// <summary>CHECK through every plugin (except <paramref name="skip"/> types) with the cached result.</summary>
    public CniOutcome Check(string containerId, string netnsPath, string ifName = "eth0", string args = "", params string[] skip)
    {
        CniOutcome last = new(0, string.Empty, string.Empty);
        foreach (var plugin in Plugins().Where(p => !skip.Contains(p["type"]!.GetValue<string>())))
        {
            last = Invoke("CHECK", plugin, CachedResult, containerId, netnsPath, ifName, args);
            if (last.ExitCode != 0)
            {
                return last;
            }
        }

        return last;
    }

    /// <summary>DEL through the plugins in reverse order with the cached result.</summary>
    public CniOutcome Del(string containerId, string netnsPath, string ifName = "eth0", string args = "")
    {
        CniOutcome last = new(0, string.Empty, string.Empty);
        foreach (var plugin in Plugins().Reverse())
        {
            last = Invoke("DEL", plugin, CachedResult, containerId, netnsPath, ifName, args);
            if (last.ExitCode != 0)
            {
                return last;
            }
        }

        return last;
    }

    private IEnumerable<JsonObject> Plugins() => _list["plugins"]!.AsArray().Select(p => p!.AsObject());

    private CniOutcome Invoke(string command, JsonObject plugin, JsonNode? prevResult, string containerId, string netnsPath, string ifName, string args)
    {
        var conf = plugin.DeepClone().AsObject();
        conf["cniVersion"] = _list["cniVersion"]!.DeepClone();
        conf["name"] = _list["name"]!.DeepClone();
        if (conf["capabilities"] is JsonObject caps)
        {
            var runtime = new JsonObject();
            foreach (var (cap, enabled) in caps)
            {
                if (enabled?.GetValue<bool>() == true && RuntimeConfig.TryGetValue(cap, out var value))
                {
                    runtime[cap] = value.DeepClone();
                }
            }

            conf.Remove("capabilities");
            if (runtime.Count > 0)
            {
                conf["runtimeConfig"] = runtime;
            }
        }

        if (prevResult is not null)
        {
            conf["prevResult"] = prevResult.DeepClone();
        }

        var type = plugin["type"]!.GetValue<string>();
        var binary = CniPath.Select(d => Path.Combine(d, type)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"plugin {type} not in {string.Join(':', CniPath)}");
        var vars = new Dictionary<string, string?>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = netnsPath,
            ["CNI_IFNAME"] = ifName,
            ["CNI_ARGS"] = args,
            ["CNI_PATH"] = string.Join(':', CniPath),
        };
        var outcome = CniRunner.Run(binary, vars, conf.ToJsonString(), nodeNetns);
        return outcome.ExitCode == 0 || outcome.StdOut.Length > 0
            ? outcome
            : outcome with { StdOut = JsonSerializer.Serialize(new { code = -1, msg = $"{type} {command}: {outcome.StdErr}" }) };
    }
}
