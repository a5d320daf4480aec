using System.Diagnostics;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;

namespace Contiv.Lab.ControlPlane;

/// <summary>
/// The lab's control plane, all on 127.0.0.1 in the root namespace so that the real
/// <c>kubectl</c> and <c>etcdctl</c> reach it: a real etcd (Debian's), the lab API server
/// (<c>contiv-apiserver</c>, persisting into that etcd), <c>contiv-ksr</c> and <c>contiv-crd</c>.
/// </summary>
public static class LabControlPlane
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>Starts etcd and waits until it is healthy; records the process.</summary>
    public static async Task StartEtcdAsync(LabInstance lab, LabState state, CancellationToken ct)
    {
        var dataDir = Path.Combine(lab.StateDir, "etcd");
        var client = state.EtcdUrl;
        var peer = $"http://127.0.0.1:{state.EtcdPeerPort}";
        var name = "contiv-lab-" + lab.Name;
        string[] args =
        [
            "--name", name, "--data-dir", dataDir,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"{name}={peer}", "--initial-cluster-state", "new", "--initial-cluster-token", name,
            "--heartbeat-interval", "100", "--election-timeout", "500", // one member: ticks are its idle cost (10/s, not 20/s)
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
            .. LabSecurity.EtcdServerArguments(lab, state),
        ];
        // One Go scheduler thread: an idle etcd's own loops (raft ticker, watch sync, lease checks) then wake one thread
        // instead of handing work between several — 0.5 % of a core instead of 1 % for an idle standalone etcd here, the
        // largest single item of an idle lab (docs/performance.md, "Idle lab, round three"). The lab's load (one KSR,
        // the agents' watches) is far below what one thread serves.
        var record = DetachedProcess.Start(lab, "etcd", LabBinaries.Etcd, args, Path.Combine(lab.LogDir, "etcd.log"),
            environment: new Dictionary<string, string> { ["GOMAXPROCS"] = "1" });
        Record(lab, state, record);
        await WaitHttpAsync("etcd", record, client + "/health", body => body.Contains("\"health\":\"true\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), ct, LabSecurity.HttpClient(state.Secure ? LabCertificates.Of(lab).Directory : null, restCredentials: false)).ConfigureAwait(false);
    }

    /// <summary>Starts the lab API server (persisting its objects into the lab's etcd) and waits for /readyz.</summary>
    public static async Task StartApiServerAsync(LabInstance lab, LabState state, LabBinaries bins, CancellationToken ct)
    {
        string[] args =
        [
            "--listen", $"127.0.0.1:{state.ApiServerPort}",
            "--kubeconfig-out", lab.KubeconfigPath,
            "--etcd", state.EtcdUrl,
            "--log-level", "Warning",
            .. LabSecurity.EtcdClientArguments(lab, state, "--etcd-ca-file", "--etcd-cert-file", "--etcd-key-file"),
        ];
        var record = DetachedProcess.Start(lab, "apiserver", bins.Path("contiv-apiserver"), args, Path.Combine(lab.LogDir, "apiserver.log"));
        Record(lab, state, record);
        await WaitHttpAsync("contiv-apiserver", record, state.ApiServerUrl + "readyz", body => body.Trim() == "ok", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>Starts contiv-ksr against the API server and etcd; waits for its readiness probe.</summary>
    public static async Task StartKsrAsync(LabInstance lab, LabState state, LabBinaries bins, CancellationToken ct)
    {
        string[] args =
        [
            "--etcd", state.EtcdUrl,
            "--master", state.ApiServerUrl.ToString().TrimEnd('/'),
            "--http-address", $"127.0.0.1:{state.KsrPort}",
            "--identity", "contiv-lab-ksr",
            "--log-level", "Information",
            .. LabSecurity.EtcdClientArguments(lab, state, "--etcd-ca-file", "--etcd-cert-file", "--etcd-key-file"),
            .. LabSecurity.KsrHttpArguments(lab, state),
        ];
        var record = DetachedProcess.Start(lab, "ksr", bins.Path("contiv-ksr"), args, Path.Combine(lab.LogDir, "ksr.log"));
        Record(lab, state, record);
        await WaitHttpAsync("contiv-ksr", record, $"{LabSecurity.Scheme(state)}://127.0.0.1:{state.KsrPort}/readiness", _ => true, TimeSpan.FromSeconds(30), ct, LabSecurity.HttpClient(lab, state)).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts contiv-crd against the API server and etcd (it registers the CRDs of deploy/crds/ and mirrors
    /// them into etcd); waits for its readiness probe.
    /// </summary>
    public static async Task StartCrdAsync(LabInstance lab, LabState state, LabBinaries bins, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        string[] args =
        [
            "--etcd", state.EtcdUrl,
            "--master", state.ApiServerUrl.ToString().TrimEnd('/'),
            "--http-address", $"127.0.0.1:{state.CrdPort}",
            "--identity", "contiv-lab-crd",
            "--log-level", "Information",
            // The agents listen on 127.0.0.1 with a port each, not on {management IP}:9999.
            // One token: System.CommandLine would read a separate "@FILE" argument as a response file.
            "--agent-endpoints=@" + LabState.AgentEndpointsFile(lab),
            .. LabSecurity.CrdAgentArguments(lab, state),
            .. LabSecurity.EtcdClientArguments(lab, state, "--etcd-ca-file", "--etcd-cert-file", "--etcd-key-file"),
            .. LabSecurity.KsrHttpArguments(lab, state),
        ];
        var record = DetachedProcess.Start(lab, "crd", bins.Path("contiv-crd"), args, Path.Combine(lab.LogDir, "crd.log"));
        Record(lab, state, record);
        await WaitHttpAsync("contiv-crd", record, $"{LabSecurity.Scheme(state)}://127.0.0.1:{state.CrdPort}/readiness", _ => true, TimeSpan.FromSeconds(30), ct, LabSecurity.HttpClient(lab, state)).ConfigureAwait(false);
    }

    /// <summary>Adds a process record to the state file (and the in-memory copy).</summary>
    public static void Record(LabInstance lab, LabState state, LabProcessRecord record)
    {
        state.Processes.RemoveAll(p => p.Name == record.Name);
        state.Processes.Add(record);
        LabState.Update(lab, s =>
        {
            s.Processes.RemoveAll(p => p.Name == record.Name);
            s.Processes.Add(record);
        });
    }

    /// <summary>
    /// Polls <paramref name="url"/> until it answers 2xx with a body <paramref name="accept"/> likes; fails
    /// early (with the log's tail) when the process exits.
    /// </summary>
    public static async Task WaitHttpAsync(string what, LabProcessRecord record, string url, Func<string, bool> accept, TimeSpan timeout, CancellationToken ct, HttpClient? client = null)
    {
        var http = client ?? Http;
        var sw = Stopwatch.StartNew();
        var last = "no answer";
        while (sw.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            if (DetachedProcess.ExitedWhileStarting(record) is { } exited)
            {
                throw new InvalidOperationException($"{what} exited while starting ({exited}); last lines of {record.LogFile}:\n{Tail(record.LogFile, 15)}");
            }

            try
            {
                using var resp = await http.GetAsync(new Uri(url), ct).ConfigureAwait(false);
                var body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (resp.IsSuccessStatusCode && accept(body))
                {
                    return;
                }

                last = $"{(int)resp.StatusCode} {body.Trim()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"{what} not ready at {url} after {timeout.TotalSeconds:0}s (last: {last}); see {record.LogFile}:\n{Tail(record.LogFile, 15)}");
    }

    /// <summary>The last <paramref name="lines"/> lines of a log file ("" when missing).</summary>
    public static string Tail(string file, int lines)
    {
        if (!File.Exists(file))
        {
            return string.Empty;
        }

        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines + 1)).TrimEnd();
    }
}
