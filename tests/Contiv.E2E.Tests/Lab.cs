using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// Drives one lab instance through the real <c>artifacts/bin/contiv-lab</c> executable (as a user
/// would) and tears it down on dispose, also after a failed test. Each test class (or the classes sharing
/// <see cref="SharedContivLab"/>) uses its own instance name, so namespaces (<c>cl{name}-*</c>), state and
/// ports never collide with a lab the user keeps running (<c>default</c>).
/// </summary>
public sealed class Lab : IDisposable
{
    public Lab(string instance) => Instance = instance;

    public string Instance { get; }

    public static string Executable => RepoPaths.Executable("contiv-lab");

    public string StateDir => "/run/contiv-lab/" + Instance;

    public string NetnsPrefix => $"cl{Instance}-";

    /// <summary>Runs <c>contiv-lab ARGS --instance NAME</c>.</summary>
    public CommandResult Run(params string[] args) => Run(TimeSpan.FromSeconds(180), args);

    public CommandResult Run(TimeSpan timeout, params string[] args)
        => Shell.Run(Executable, [.. args, "--instance", Instance], env: new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, timeout: timeout);

    /// <summary>Runs and fails the test with the command's output when it does not exit 0.</summary>
    public string Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"contiv-lab {string.Join(' ', args)} exited {r.ExitCode}:\n{r.StdOut}\n{r.StdErr}\n{Diagnostics()}");
        return r.StdOut;
    }

    /// <summary>Runs the connectivity check with --json; returns (exit code, parsed report).</summary>
    public (int ExitCode, CheckJson Report, string Raw) Check()
    {
        var r = Run("check", "--json");
        var start = r.StdOut.IndexOf('{', StringComparison.Ordinal);
        Assert.True(start >= 0, $"check printed no JSON (exit {r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
        var report = JsonSerializer.Deserialize<CheckJson>(r.StdOut[start..], new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        return (r.ExitCode, report, r.StdOut + r.StdErr);
    }

    /// <summary>Applies a manifest given as text and waits for its pods.</summary>
    public string Apply(string yaml, bool wait = true)
    {
        var file = WriteTemp(yaml);
        try
        {
            return wait ? Ok("apply", "-f", file, "--wait", "--timeout", "90") : Ok("apply", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Deletes the objects of a manifest given as text (waits until gone).</summary>
    public string Delete(string yaml)
    {
        var file = WriteTemp(yaml);
        try
        {
            return Ok("delete", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>kubectl against the lab (the real /usr/bin/kubectl).</summary>
    public CommandResult Kubectl(params string[] args)
        => Shell.Run("kubectl", args, env: new Dictionary<string, string?> { ["KUBECONFIG"] = StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(30));

    /// <summary>Pod status field via kubectl jsonpath.</summary>
    public string PodField(string name, string jsonPath)
        => Kubectl("get", "pod", name, "-o", $"jsonpath={jsonPath}").EnsureSuccess("kubectl get pod " + name).StdOut.Trim();

    /// <summary>Status and the tail of every component log, for failure messages.</summary>
    public string Diagnostics()
    {
        var status = Run(TimeSpan.FromSeconds(30), "status");
        var logs = Directory.Exists(StateDir + "/logs")
            ? string.Join('\n', Directory.GetFiles(StateDir + "/logs", "*.log").Select(f => $"--- {Path.GetFileName(f)}\n{Tail(f, 12)}"))
            : "(no logs)";
        return $"status:\n{status.StdOut}{status.StdErr}\n{logs}";
    }

    public void Dispose() => Run(TimeSpan.FromSeconds(120), "down");

    private static string Tail(string file, int lines)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(fs);
        return string.Join('\n', r.ReadToEnd().Split('\n').TakeLast(lines));
    }

    private static string WriteTemp(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), "cle2e-" + Guid.NewGuid().ToString("N")[..8] + ".yaml");
        File.WriteAllText(file, text);
        return file;
    }
}

/// <summary>The JSON of <c>contiv-lab check --json</c>.</summary>
public sealed class CheckJson
{
    public bool Passed { get; set; }

    public List<EndpointJson> Endpoints { get; set; } = [];

    public List<ResultJson> Results { get; set; } = [];

    public List<string> Problems { get; set; } = [];

    public IEnumerable<ResultJson> Failed => Results.Where(r => !r.Ping || !r.Tcp);

    public string Summary => $"{Results.Count(r => r.Ping && r.Tcp)}/{Results.Count} passed; failed: {string.Join(", ", Failed.Select(f => $"{f.From}→{f.To} (ping {f.Ping}, tcp {f.Tcp})"))}; problems: {string.Join("; ", Problems)}";
}

public sealed class EndpointJson
{
    public string Label { get; set; } = string.Empty;

    public string Kind { get; set; } = string.Empty;

    public string Node { get; set; } = string.Empty;

    public string Ip { get; set; } = string.Empty;

    public string Netns { get; set; } = string.Empty;
}

public sealed class ResultJson
{
    public string From { get; set; } = string.Empty;

    public string To { get; set; } = string.Empty;

    public string Target { get; set; } = string.Empty;

    public bool Ping { get; set; }

    public bool Tcp { get; set; }
}

/// <summary>Pod manifests used by the tests: processes, no images.</summary>
public static class Pods
{
    /// <summary>A pod running a TCP server (python http.server) on 8080, optionally pinned to a node.</summary>
    public static string Web(string name, string? node = null) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: default
          labels:
            app: web
        spec:
          {{(node is null ? "" : "nodeName: " + node)}}
          containers:
            - name: http
              image: none
              command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"]
              ports:
                - containerPort: 8080

        """;

    /// <summary>A pod that only sleeps, optionally pinned to a node.</summary>
    public static string Sleeper(string name, string? node = null, bool hostNetwork = false) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: default
        spec:
          {{(node is null ? "" : "nodeName: " + node)}}
          hostNetwork: {{(hostNetwork ? "true" : "false")}}
          containers:
            - name: sleep
              image: none
              command: ["sleep", "infinity"]

        """;

    public static string Join(params string[] docs) => string.Join("---\n", docs);
}
