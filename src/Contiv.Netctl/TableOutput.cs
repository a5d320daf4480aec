using Spectre.Console;

namespace Contiv.Netctl;

/// <summary>
/// Tables in kubectl's style (no borders, upper-case headers, left-aligned) through Spectre.Console;
/// redirected output gets no colours and a wide fixed width, so scripts and golden tests see
/// stable text.
/// </summary>
internal static class TableOutput
{
    public static IAnsiConsole Console { get; } = Create();

    public static Table New(params string[] headers)
    {
        var table = new Table { Border = TableBorder.None, ShowHeaders = true };
        foreach (var h in headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(h)) { NoWrap = true, Padding = new Padding(0, 0, 2, 0) });
        }

        return table;
    }

    public static void Row(Table table, params string[] cells) => table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());

    public static void Write(Table table) => Console.Write(table);

    public static void Line(string text) => Console.Profile.Out.Writer.WriteLine(text);

    private static IAnsiConsole Create()
    {
        var redirected = System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(System.Console.Out),
        });
        if (redirected)
        {
            console.Profile.Width = 250;
        }

        return console;
    }
}
