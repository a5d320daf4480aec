using System.Net.Sockets;
using Contiv.Lab.Lab;
using Contiv.Linux;
using k8s;

namespace Contiv.Lab.Dns;

/// <summary>
/// A Kubernetes client for a process that runs inside a pod but must reach the lab's API server, which
/// listens on 127.0.0.1 of the control-plane namespace (a real cluster's kube-dns uses the
/// <c>kubernetes</c> Service; the lab's one points at loopback, unreachable from a pod). Each connection's
/// socket is created on a thread inside the control-plane namespace (a socket stays in the namespace it was
/// created in); everything else, the DNS listeners included, stays in the pod's own network.
/// </summary>
internal static class ControlPlaneClient
{
    /// <summary>A client for <paramref name="kubeconfig"/>'s server whose sockets live in <paramref name="controlNetns"/> (null: this process's namespace).</summary>
    public static Kubernetes Create(string kubeconfig, NetworkNamespace? controlNetns)
    {
        var config = new KubernetesClientConfiguration { Host = KubeClients.ServerUrl(kubeconfig) };
        if (controlNetns is not null)
        {
            config.FirstMessageHandlerSetup = handler =>
            {
                if (handler is SocketsHttpHandler sockets)
                {
                    sockets.ConnectCallback = (context, ct) => ConnectAsync(controlNetns, context, ct);
                }
            };
        }

        return new Kubernetes(config);
    }

    private static async ValueTask<Stream> ConnectAsync(NetworkNamespace netns, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = await netns.RunAsync(() => new Socket(SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
