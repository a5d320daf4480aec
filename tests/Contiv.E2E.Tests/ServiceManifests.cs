using System.Globalization;
using System.Text;

namespace Contiv.E2E.Tests;

/// <summary>
/// Workloads and Services of <see cref="ServiceTests"/>. The backends run <see cref="WhoAmIServer"/>,
/// which tells each client who answered and which client address it saw; the clients run
/// <see cref="Client"/> from the test (through <c>ip netns exec</c>).
/// </summary>
public static class ServiceManifests
{
    /// <summary>TCP port where a backend answers "POD_NAME CLIENT_IP\n" and closes.</summary>
    public const int WhoPort = 8080;

    /// <summary>UDP port where a backend answers each datagram with "POD_NAME CLIENT_IP\n".</summary>
    public const int WhoUdpPort = 8081;

    /// <summary>TCP port where a backend echoes everything back (the long stream).</summary>
    public const int EchoPort = 8082;

    /// <summary>Node port of <c>who-np</c> (externalTrafficPolicy Cluster).</summary>
    public const int ClusterNodePort = 30901;

    /// <summary>Node port of <c>who-local</c> (externalTrafficPolicy Local).</summary>
    public const int LocalNodePort = 30902;

    /// <summary>
    /// The backends' server (python3, stdlib only): who-am-i over TCP and UDP and a TCP echo. Passed
    /// base64-encoded so the manifest carries one plain string.
    /// </summary>
    public const string WhoAmIServer = """
        import os, socket, threading
        name = os.environ.get("POD_NAME", "?")
        def listener(port):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.listen(512)
            return s
        def who_tcp():
            s = listener(8080)
            while True:
                c, a = s.accept()
                try:
                    c.sendall(("%s %s\n" % (name, a[0])).encode())
                except OSError:
                    pass
                c.close()
        def who_udp():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", 8081))
            while True:
                d, a = s.recvfrom(2048)
                s.sendto(("%s %s\n" % (name, a[0])).encode(), a)
        def echo_one(c):
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
            except OSError:
                pass
            c.close()
        def echo():
            s = listener(8082)
            while True:
                c, _ = s.accept()
                threading.Thread(target=echo_one, args=(c,), daemon=True).start()
        threading.Thread(target=who_udp, daemon=True).start()
        threading.Thread(target=echo, daemon=True).start()
        who_tcp()
        """;

    /// <summary>
    /// The client: <c>MODE IP PORT COUNT</c>, one line per attempt: <c>POD CLIENT_IP SECONDS</c> when a
    /// backend answered, <c>ERR ExceptionName SECONDS</c> otherwise (ConnectionRefusedError,
    /// TimeoutError …). MODE <c>tcp</c> connects and reads the answer; <c>udp</c> sends one datagram on a
    /// connected socket (so only an answer from IP:PORT, or an ICMP error quoting IP:PORT, reaches it).
    /// </summary>
    public const string Client = """
        import socket, sys, time
        mode, ip, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        for i in range(n):
            t = time.monotonic()
            try:
                if mode == "tcp":
                    s = socket.create_connection((ip, port), timeout=3)
                    data = b""
                    while not data.endswith(b"\n"):
                        chunk = s.recv(256)
                        if not chunk:
                            break
                        data += chunk
                    s.close()
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.settimeout(2)
                    s.connect((ip, port))
                    s.send(b"who?\n")
                    data = s.recv(256)
                    s.close()
                out = data.decode().strip() or "ERR Empty"
            except OSError as e:
                out = "ERR " + type(e).__name__
            print("%s %.3f" % (out, time.monotonic() - t), flush=True)
        """;

    /// <summary>
    /// A long TCP stream: <c>IP PORT SECONDS</c>; sends 1 KiB every 20 ms and reads its echo; prints
    /// <c>OK ROUNDS MAXGAP</c> (longest wait for an echo, seconds) or <c>ERR ExceptionName ROUNDS</c>.
    /// </summary>
    public const string StreamClient = """
        import socket, sys, time
        ip, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
        rounds, maxgap = 0, 0.0
        try:
            s = socket.create_connection((ip, port), timeout=5)
            end = time.monotonic() + secs
            block = bytes(range(256)) * 4
            while time.monotonic() < end:
                t = time.monotonic()
                s.sendall(block)
                got = 0
                while got < len(block):
                    d = s.recv(len(block) - got)
                    if not d:
                        raise ConnectionResetError("closed by peer")
                    got += len(d)
                maxgap = max(maxgap, time.monotonic() - t)
                rounds += 1
                time.sleep(0.02)
            s.close()
            print("OK %d %.3f" % (rounds, maxgap), flush=True)
        except OSError as e:
            print("ERR %s %d" % (type(e).__name__, rounds), flush=True)
        """;

    /// <summary>Backends: two on node1, one on node2; clients: one sleeper per node.</summary>
    public static string Workloads => Pods.Join(
        Backend("who1a", "node1"),
        Backend("who1b", "node1"),
        Backend("who2a", "node2"),
        Pods.Sleeper("cli1", "node1"),
        Pods.Sleeper("cli2", "node2"));

    /// <summary>
    /// <c>who</c> (ClusterIP, TCP 80 and UDP 81), <c>who-np</c> (NodePort, Cluster), <c>who-local</c>
    /// (NodePort, Local), <c>who-aff</c> (ClientIP affinity), <c>empty</c> (no endpoints),
    /// <c>unreach</c> (UDP to a port nobody listens on).
    /// </summary>
    public static string AllServices => Pods.Join(
        Service("who", "ClusterIP", $"[{{name: http, port: 80, targetPort: {WhoPort}, protocol: TCP}}, {{name: dns, port: 81, targetPort: {WhoUdpPort}, protocol: UDP}}]"),
        Service("who-np", "NodePort", $"[{{name: http, port: 80, targetPort: {WhoPort}, nodePort: {ClusterNodePort}, protocol: TCP}}]"),
        Service("who-local", "NodePort", $"[{{name: http, port: 80, targetPort: {WhoPort}, nodePort: {LocalNodePort}, protocol: TCP}}]", "  externalTrafficPolicy: Local\n"),
        Service("who-aff", "ClusterIP", $"[{{name: http, port: 80, targetPort: {WhoPort}, protocol: TCP}}]", "  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}\n"),
        Service("empty", "ClusterIP", "[{name: http, port: 80, targetPort: 8080, protocol: TCP}]", selector: "nobody"),
        Service("unreach", "ClusterIP", "[{name: nothing, port: 83, targetPort: 9999, protocol: UDP}]"));

    /// <summary>A selector-less Service for the scaling test; its Endpoints are written by the test.</summary>
    public const string StreamService = """
        apiVersion: v1
        kind: Service
        metadata: {name: stream, namespace: default}
        spec:
          ports: [{name: echo, port: 82, targetPort: 8082, protocol: TCP}]

        """;

    /// <summary>
    /// Endpoints of <c>stream</c>: the survivor (<paramref name="survivor"/>:8082) first, then
    /// <paramref name="count"/> − 1 more backends on <paramref name="others"/> at ports 20001… (distinct
    /// backends as the renderer sees them: address and port; nothing listens there).
    /// </summary>
    public static string StreamEndpoints(string survivor, IReadOnlyList<string> others, int count)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Endpoints\nmetadata: {name: stream, namespace: default}\nsubsets:\n");
        sb.Append(CultureInfo.InvariantCulture, $"  - addresses: [{{ip: {survivor}}}]\n    ports: [{{name: echo, port: {EchoPort}, protocol: TCP}}]\n");
        for (var i = 1; i < count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - addresses: [{{ip: {others[i % others.Count]}}}]\n    ports: [{{name: echo, port: {20000 + i}, protocol: TCP}}]\n");
        }

        return sb.ToString();
    }

    private static string Backend(string name, string node) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: default
          labels: {app: who}
        spec:
          nodeName: {{node}}
          containers:
            - name: who
              image: none
              command: ["python3", "-c", "import base64; exec(base64.b64decode('{{Convert.ToBase64String(Encoding.UTF8.GetBytes(WhoAmIServer))}}'))"]
              ports:
                - {containerPort: {{WhoPort}}, protocol: TCP}
                - {containerPort: {{WhoUdpPort}}, protocol: UDP}
                - {containerPort: {{EchoPort}}, protocol: TCP}

        """;

    private static string Service(string name, string type, string ports, string extra = "", string selector = "who") => $$"""
        apiVersion: v1
        kind: Service
        metadata: {name: {{name}}, namespace: default}
        spec:
          type: {{type}}
          selector: {app: {{selector}}}
          ports: {{ports}}
        {{extra}}
        """;
}
