using System.Collections;

namespace Contiv.Cni.Protocol;

/// <summary>
/// The <c>CNI_*</c> environment variables of one invocation, validated per command the way the
/// spec (and libcni's skeleton) requires: missing or malformed variables give code 4 with their names.
/// </summary>
public sealed class CniEnvironment
{
    private CniEnvironment(CniCommand command, string commandText)
    {
        Command = command;
        CommandText = commandText;
    }

    /// <summary>The requested operation.</summary>
    public CniCommand Command { get; }

    /// <summary><c>CNI_COMMAND</c> as given (upper case).</summary>
    public string CommandText { get; }

    /// <summary><c>CNI_CONTAINERID</c>; empty when not required and absent.</summary>
    public string ContainerId { get; private init; } = string.Empty;

    /// <summary><c>CNI_NETNS</c>; empty when not required and absent.</summary>
    public string Netns { get; private init; } = string.Empty;

    /// <summary><c>CNI_IFNAME</c>; empty when not required and absent.</summary>
    public string IfName { get; private init; } = string.Empty;

    /// <summary><c>CNI_ARGS</c> (<c>K1=V1;K2=V2</c>), passed to the agent unchanged.</summary>
    public string Args { get; private init; } = string.Empty;

    /// <summary><c>CNI_PATH</c>: directories searched for delegated (IPAM) plugins.</summary>
    public IReadOnlyList<string> Path { get; private init; } = [];

    /// <summary>Reads the variables from the process environment.</summary>
    public static CniEnvironment FromProcess()
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            vars[(string)e.Key] = e.Value as string ?? string.Empty;
        }

        return Parse(vars);
    }

    /// <summary>Validates the variables for the command they name.</summary>
    /// <exception cref="CniException">Code 4 naming every missing or invalid variable.</exception>
    public static CniEnvironment Parse(IReadOnlyDictionary<string, string> vars)
    {
        var commandText = Get(vars, "CNI_COMMAND");
        if (commandText.Length == 0)
        {
            throw new CniException(CniErrorCode.InvalidEnvironment, "required environment variable CNI_COMMAND is missing");
        }

        CniCommand command = commandText switch
        {
            "ADD" => CniCommand.Add,
            "DEL" => CniCommand.Del,
            "CHECK" => CniCommand.Check,
            "STATUS" => CniCommand.Status,
            "VERSION" => CniCommand.Version,
            "GC" => CniCommand.Gc,
            _ => throw new CniException(CniErrorCode.InvalidEnvironment,
                $"CNI_COMMAND=\"{commandText}\" is not a CNI command (ADD, DEL, CHECK, STATUS, VERSION, GC)"),
        };

        var required = command switch
        {
            CniCommand.Add or CniCommand.Check => new[] { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME" },
            CniCommand.Del => ["CNI_CONTAINERID", "CNI_IFNAME"],
            CniCommand.Gc => ["CNI_PATH"],
            _ => [],
        };
        var missing = required.Where(name => Get(vars, name).Length == 0).ToList();
        if (missing.Count > 0)
        {
            throw new CniException(CniErrorCode.InvalidEnvironment,
                $"required environment variable{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing)} missing for {commandText}");
        }

        var env = new CniEnvironment(command, commandText)
        {
            ContainerId = Get(vars, "CNI_CONTAINERID"),
            Netns = Get(vars, "CNI_NETNS"),
            IfName = Get(vars, "CNI_IFNAME"),
            Args = Get(vars, "CNI_ARGS"),
            Path = Get(vars, "CNI_PATH").Split(':', StringSplitOptions.RemoveEmptyEntries),
        };
        if (env.ContainerId.Length > 0 && !IsValidContainerId(env.ContainerId))
        {
            throw new CniException(CniErrorCode.InvalidEnvironment,
                $"CNI_CONTAINERID=\"{env.ContainerId}\" is invalid: it must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
        }

        if (env.IfName.Length > 0 && InterfaceNameProblem(env.IfName) is { } problem)
        {
            throw new CniException(CniErrorCode.InvalidEnvironment, $"CNI_IFNAME=\"{env.IfName}\" is invalid: {problem}");
        }

        return env;
    }

    /// <summary>libcni's container ID rule: <c>^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$</c>.</summary>
    public static bool IsValidContainerId(string id)
    {
        if (id.Length == 0 || !char.IsAsciiLetterOrDigit(id[0]))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Why a Linux interface name is unusable (libcni's rule), or null when it is fine.</summary>
    public static string? InterfaceNameProblem(string name)
    {
        if (name.Length > 15)
        {
            return $"longer than 15 characters ({name.Length})";
        }

        if (name is "." or "..")
        {
            return "'.' and '..' are not interface names";
        }

        foreach (var c in name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return $"contains '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}'";
            }
        }

        return null;
    }

    private static string Get(IReadOnlyDictionary<string, string> vars, string name)
        => vars.TryGetValue(name, out var v) ? v : string.Empty;
}
