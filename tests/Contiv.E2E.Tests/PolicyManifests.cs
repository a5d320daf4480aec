using System.Text;

namespace Contiv.E2E.Tests;

/// <summary>
/// The grid of <see cref="PolicyTests"/>, after the Kubernetes network-policy conformance suite: namespaces
/// <c>x</c>, <c>y</c>, <c>z</c> (label <c>ns</c>) with pods <c>a</c>, <c>b</c>, <c>c</c> each (label <c>pod</c>; the pod
/// of namespace x labelled a is named <c>xa</c>), spread over both nodes. Every pod serves TCP 80 and 81, UDP 80 and 81
/// and SCTP 80 on a raw socket (<see cref="Server"/>); TCP 81 echoes (long connections); port 81 is named <c>serve-81-tcp</c>.
/// </summary>
public static class PolicyManifests
{
    public static readonly string[] Namespaces = ["x", "y", "z"];

    public static readonly string[] PodLabels = ["a", "b", "c"];

    /// <summary>Every pod as (namespace, pod label, name).</summary>
    public static IEnumerable<(string Ns, string Pod, string Name)> Grid =>
        Namespaces.SelectMany(ns => PodLabels.Select(p => (ns, p, ns + p)));

    /// <summary>The server every grid pod runs (python3, stdlib only).</summary>
    public const string Server = """
        import socket, struct, threading
        def serve_tcp(port):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.listen(256)
            while True:
                c, _ = s.accept()
                threading.Thread(target=echo if port == 81 else greet, args=(c,), daemon=True).start()
        def greet(c):
            try:
                c.sendall(b"ok\n")
            except OSError:
                pass
            c.close()
        def echo(c):
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    c.sendall(d)
            except OSError:
                pass
            c.close()
        def serve_udp(port):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", port))
            while True:
                d, a = s.recvfrom(2048)
                s.sendto(b"ok\n", a)
        def serve_sctp():
            # SCTP by protocol number and ports on a raw socket (the lab's kernel may have no SCTP): a packet to port 80
            # is answered with the ports swapped.
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
            while True:
                d, a = s.recvfrom(2048)
                ihl = (d[0] & 15) * 4
                sport, dport = struct.unpack("!HH", d[ihl:ihl + 4])
                if dport == 80:
                    s.sendto(struct.pack("!HHII", dport, sport, 0, 0) + d[ihl + 12:], (a[0], 0))
        for f, args in ((serve_tcp, (80,)), (serve_tcp, (81,)), (serve_udp, (80,)), (serve_udp, (81,)), (serve_sctp, ())):
            threading.Thread(target=f, args=args, daemon=True).start()
        threading.Event().wait()
        """;

    /// <summary>
    /// The prober: argv = timeout seconds, then targets <c>ip/proto/port</c>; probes all at once (one thread each, two
    /// attempts) and prints one line <c>ip/proto/port 1|0</c> per target. TCP and SCTP: handshake completed (or
    /// refused: the packet reached the pod); UDP: an answer arrived.
    /// </summary>
    public const string Prober = """
        import os, socket, struct, sys, threading, time
        timeout = float(sys.argv[1])
        targets = sys.argv[2:]
        results = {}
        def sctp(ip, port):
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
            s.settimeout(timeout)
            sport = 20000 + int.from_bytes(os.urandom(2), "big") % 40000
            init = struct.pack("!BBHIIHHI", 1, 0, 20, int.from_bytes(os.urandom(4), "big") | 1, 65535, 1, 1, 1)
            s.sendto(struct.pack("!HHII", sport, port, 0, 0) + init, (ip, 0))
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                d, a = s.recvfrom(2048)
                ihl = (d[0] & 15) * 4
                if a[0] == ip and struct.unpack("!HH", d[ihl:ihl + 4]) == (port, sport):
                    s.close()
                    return
            raise TimeoutError()
        def probe(t):
            ip, proto, port = t.split("/")
            port = int(port)
            for attempt in range(2):
                try:
                    if proto == "udp":
                        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        s.settimeout(timeout)
                        s.connect((ip, port))
                        s.send(b"x")
                        s.recv(64)
                        s.close()
                    elif proto == "sctp":
                        sctp(ip, port)
                    else:
                        s = socket.create_connection((ip, port), timeout=timeout)
                        s.close()
                    results[t] = 1
                    return
                except ConnectionRefusedError:
                    results[t] = 1
                    return
                except OSError:
                    pass
            results[t] = 0
        ts = [threading.Thread(target=probe, args=(t,)) for t in targets]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for t in targets:
            print(t, results.get(t, 0))
        """;

    /// <summary>
    /// A long TCP connection: <c>IP PORT SECONDS</c>; connects, then sends a byte every 100 ms and prints <c>OK N</c> if
    /// every one came back and the connection stayed up, else <c>ERR Name N</c>. Used for "established connections
    /// survive a new policy".
    /// </summary>
    public const string LongConnection = """
        import socket, sys, time
        ip, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
        n = 0
        try:
            s = socket.create_connection((ip, port), timeout=3)
            s.settimeout(3)
            print("CONNECTED", flush=True)
            end = time.monotonic() + secs
            while time.monotonic() < end:
                s.sendall(b"x")
                if s.recv(1) != b"x":
                    raise ConnectionResetError("echo lost")
                n += 1
                time.sleep(0.1)
            s.close()
            print("OK %d" % n, flush=True)
        except OSError as e:
            print("ERR %s %d" % (type(e).__name__, n), flush=True)
        """;

    /// <summary>The namespaces and the nine pods.</summary>
    public static string GridManifest()
    {
        var sb = new StringBuilder();
        foreach (var ns in Namespaces)
        {
            sb.Append($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{ns: {ns}}}\n---\n");
        }

        var i = 0;
        var server = Convert.ToBase64String(Encoding.UTF8.GetBytes(Server));
        foreach (var (ns, pod, name) in Grid)
        {
            var node = i++ % 2 == 0 ? "node1" : "node2";
            sb.Append($$"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: {{name}}
                  namespace: {{ns}}
                  labels: {pod: {{pod}}}
                spec:
                  nodeName: {{node}}
                  containers:
                    - name: serve
                      image: none
                      command: ["python3", "-c", "import base64; exec(base64.b64decode('{{server}}'))"]
                      ports:
                        - {name: serve-80-tcp, containerPort: 80, protocol: TCP}
                        - {name: serve-81-tcp, containerPort: 81, protocol: TCP}
                        - {name: serve-80-udp, containerPort: 80, protocol: UDP}
                        - {name: serve-81-udp, containerPort: 81, protocol: UDP}
                ---

                """);
        }

        return sb.ToString();
    }
}
