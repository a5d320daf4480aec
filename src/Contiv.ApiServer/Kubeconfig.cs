namespace Contiv.ApiServer;

/// <summary>Writes the minimal kubeconfig (cluster, user and context named <c>lab</c>) that kubectl and KubernetesClient accept.</summary>
public static class Kubeconfig
{
    /// <summary>The kubeconfig text for a server URL.</summary>
    public static string Render(Uri server, string ns = "default") => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: lab
          cluster:
            server: {server.ToString().TrimEnd('/')}
        users:
        - name: lab
          user:
            # The lab server has no authentication; KubernetesClient refuses a user without
            # any credentials, so it gets a token the server ignores.
            token: lab-no-auth
        contexts:
        - name: lab
          context:
            cluster: lab
            user: lab
            namespace: {ns}
        current-context: lab

        """;

    /// <summary>Writes the kubeconfig atomically (temp file + rename), creating the directory.</summary>
    public static void Write(string path, Uri server)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var tmp = path + ".tmp";
        File.WriteAllText(tmp, Render(server));
        File.Move(tmp, path, overwrite: true);
    }
}
