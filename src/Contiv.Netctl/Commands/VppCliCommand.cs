using System.CommandLine;

namespace Contiv.Netctl.Commands;

/// <summary><c>vppcli &lt;node&gt; &lt;cmd…&gt;</c>: a data plane CLI command through the agent (<c>POST /vpp/command</c>).</summary>
internal static class VppCliCommand
{
    public static Command Create(GlobalOptions global)
    {
        var node = new Argument<string>("node") { Description = "node name" };
        var words = new Argument<string[]>("command") { Description = "the CLI command, e.g. show interface (the agent allows only show … unless started with --rest-allow-cli-changes)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("vppcli", "Run a data plane CLI command on a node through its agent's REST API and print the output.") { node, words };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            var n = await session.NodeAsync(parse.GetValue(node)!, ct).ConfigureAwait(false);
            var output = await NetctlSession.OnNodeAsync(n, url => session.Agents.RunCliAsync(url, string.Join(' ', parse.GetValue(words)!), ct)).ConfigureAwait(false);
            Console.Write(output.EndsWith('\n') || output.Length == 0 ? output : output + "\n");
            return 0;
        }));
        return command;
    }
}
