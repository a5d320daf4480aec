using System.Text.Json;
using Contiv.Testing;
using Microsoft.Playwright;

namespace Contiv.Ui.Tests.Browser;

/// <summary>
/// One lab for every browser test: <c>contiv-lab up --nodes 2</c> (instance <c>e2eu</c>, which starts contiv-ui) with
/// the demo workloads of <c>examples/demo.yaml</c> (web-1, client-1 on node1; web-2, client-2 on node2; Services
/// <c>web</c> and <c>web-nodeport</c>), and Debian's chromium driven by Playwright (no browser download).
/// </summary>
public sealed class UiLabFixture : IAsyncLifetime
{
    public const string Instance = "e2eu";
    public const string Chromium = "/usr/bin/chromium";

    public string? StartError { get; private set; }

    public string StateDir => "/run/contiv-lab/" + Instance;

    public Uri UiUrl { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests save their screenshots (artifacts/ui-screenshots).</summary>
    public static string ScreenshotDir => Path.Combine(RepoPaths.Root, "artifacts", "ui-screenshots");

    public async Task InitializeAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        if (!File.Exists(Chromium))
        {
            StartError = $"{Chromium} is missing: apt-get install chromium (scripts/test.sh installs it)";
            return;
        }

        Lab("down");
        var up = Lab(TimeSpan.FromSeconds(300), "up", "--nodes", "2", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        var apply = Lab(TimeSpan.FromSeconds(200), "apply", "-f", Path.Combine(RepoPaths.Root, "examples", "demo.yaml"), "--wait", "--timeout", "120");
        if (apply.ExitCode != 0)
        {
            StartError = $"the demo workloads did not become ready:\n{apply.StdOut}\n{apply.StdErr}";
            return;
        }

        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(StateDir, "state.json")));
        var port = state.RootElement.GetProperty("uiPort").GetInt32();
        if (port == 0)
        {
            StartError = "contiv-lab up did not start contiv-ui (uiPort 0)";
            return;
        }

        UiUrl = new Uri($"http://127.0.0.1:{port}/");
        if (!up.StdOut.Contains($"web UI: {UiUrl}", StringComparison.Ordinal))
        {
            StartError = $"contiv-lab up did not print the UI's URL {UiUrl}:\n{up.StdOut}";
            return;
        }

        Directory.CreateDirectory(ScreenshotDir);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        Playwright?.Dispose();
        if (Privileges.IsRoot)
        {
            Lab(TimeSpan.FromSeconds(120), "down");
        }
    }

    public CommandResult Lab(params string[] args) => Lab(TimeSpan.FromSeconds(120), args);

    public CommandResult Lab(TimeSpan timeout, params string[] args)
        => Shell.Run(RepoPaths.Executable("contiv-lab"), [.. args, "--instance", Instance], env: new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, timeout: timeout);

    public CommandResult Kubectl(string? stdin, params string[] args)
        => Shell.Run("kubectl", args, stdin, new Dictionary<string, string?> { ["KUBECONFIG"] = StateDir + "/kubeconfig" }, TimeSpan.FromSeconds(60));

    public string PodIp(string name) => Kubectl(null, "get", "pod", name, "-o", "jsonpath={.status.podIP}").EnsureSuccess("kubectl get pod " + name).StdOut.Trim();

    /// <summary>A page at 1366×768 (the size the UI must be usable at).</summary>
    public async Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.ViewportSize = new ViewportSize { Width = 1366, Height = 768 };
        var context = await Browser.NewContextAsync(options);
        return await context.NewPageAsync();
    }

    public void SkipIfNotReady()
    {
        Assert.True(Privileges.IsRoot || StartError is null, "needs root");
        Assert.True(StartError is null, StartError);
    }
}
