namespace Contiv.Agent.Rest;

/// <summary>
/// Which data plane CLI commands <c>POST /vpp/command</c> runs. By default only <c>show …</c> (and its
/// abbreviations <c>sh</c>, <c>sho</c>: the CLI resolves unique prefixes and no other top-level word
/// starts with "sh"): the REST API is for looking, and a command such as <c>set interface …</c> could
/// rewire the node. <c>--rest-allow-cli-changes</c> lifts the restriction.
/// </summary>
internal static class CliCommandPolicy
{
    /// <summary>Null when <paramref name="command"/> may run; otherwise why not.</summary>
    /// <param name="command">The requested CLI line.</param>
    /// <param name="allowChanges">True when every command is allowed.</param>
    public static string? Refusal(string command, bool allowChanges)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var c in command)
        {
            if (char.IsControl(c) && c != '\t')
            {
                return $"command '{command.ReplaceLineEndings(" ")}' contains a control character (one command per request)";
            }
        }

        if (allowChanges)
        {
            return null;
        }

        var first = command.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
        return first is "sh" or "sho" or "show"
            ? null
            : $"command '{command}' is not a 'show' command; the agent runs only read-only commands unless started with --rest-allow-cli-changes";
    }
}
