using Spectre.Console;

namespace Contiv.Lab.Commands;

/// <summary>Output helpers shared by the <c>contiv-lab</c> verbs.</summary>
internal static class LabConsole
{
    /// <summary>Writes one line of the verb's output to stdout.</summary>
    public static void Say(string line) => Console.Out.WriteLine(line);

    /// <summary>Tables keep their shape when the output is a file or a pipe (Spectre.Console assumes 80 columns there).</summary>
    public static void WidenConsole()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 200;
        }
    }

    /// <summary>A pod label without its <c>default/</c> namespace.</summary>
    public static string Short(string label) => label.StartsWith("default/", StringComparison.Ordinal) ? label["default/".Length..] : label;
}
