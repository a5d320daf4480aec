using System.CommandLine;
using System.Text.Json;

namespace Contiv.Netctl.Commands;

/// <summary><c>vppdump &lt;node&gt; [descriptor]</c>: the agent's scheduler dump as JSON (SPEC §1.5).</summary>
internal static class VppDumpCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(GlobalOptions global)
    {
        var node = new Argument<string>("node") { Description = "node name" };
        var descriptor = new Argument<string?>("descriptor") { Description = "descriptor, e.g. vpp-interface, vpp-route, vpp-arp, vpp-bridge-domain, vpp-l2-fib, linux-interface (the list of descriptors when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var state = new Option<string>("--state") { Description = "SB (read back from the data plane now), NB (desired) or internal (applied)", DefaultValueFactory = _ => "SB" };
        state.AcceptOnlyFromAmong("SB", "NB", "internal");
        var command = new Command("vppdump", "Dump a node's configuration state per scheduler descriptor as JSON: GET /scheduler/dump[?descriptor=D&state=S].") { node, descriptor, state };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            var n = await session.NodeAsync(parse.GetValue(node)!, ct).ConfigureAwait(false);
            var url = NetctlSession.UrlOf(n);
            var path = parse.GetValue(descriptor) is { } d
                ? $"/scheduler/dump?descriptor={Uri.EscapeDataString(d)}&state={parse.GetValue(state)}"
                : "/scheduler/dump";
            var (status, body) = await NetctlSession.OnNodeAsync(n, u => session.Agents.GetAsync(u, path, ct)).ConfigureAwait(false);
            if (status != 200)
            {
                var reason = body is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("error", out var e) ? e.GetString() : body?.GetRawText();
                throw new NetctlException($"node {n.Name}: agent at {url}{path}: HTTP {status}: {reason}");
            }

            Console.WriteLine(JsonSerializer.Serialize(body, Indented));
            return 0;
        }));
        return command;
    }
}
