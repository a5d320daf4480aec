using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net.Dns;
using Contiv.ApiServer;
using Contiv.Lab.Dns;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// The lab's cluster DNS end to end on loopback: Services and pods in the project's API server, the server watching
/// them (<see cref="ServiceDirectory"/>) and answering real DNS messages over UDP and TCP.
/// </summary>
public sealed class ClusterDnsTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private LabApiServer _api = null!;
    private Kubernetes _client = null!;
    private ServiceDirectory _directory = null!;
    private ClusterDnsServer _dns = null!;
    private IPEndPoint _endpoint = null!;

    public async Task InitializeAsync()
    {
        _api = await LabApiServer.StartAsync(new LabApiServerOptions { Port = 0 });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _api.Url.ToString() });
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1ServiceSpec { ClusterIP = "10.96.0.50", Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Port = 80 }] },
        }, "default");
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1ServiceSpec { ClusterIP = "None", Selector = new Dictionary<string, string> { ["app"] = "db" }, Ports = [new V1ServicePort { Port = 5432 }] },
        }, "default");
        await AddPodAsync("db-0", "db", "10.1.1.5", ready: true, hostname: "db-0");
        await AddPodAsync("db-1", "db", "10.1.2.6", ready: true, hostname: null);
        await AddPodAsync("db-2", "db", "10.1.2.7", ready: false, hostname: null);

        _directory = new ServiceDirectory(_client, "cluster.local");
        _ = _directory.RunAsync(_stop.Token);
        await _directory.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _endpoint = (IPEndPoint)probe.LocalEndpoint;
        }

        _dns = new ClusterDnsServer(_endpoint, () => _directory.Zone);
        _dns.Start();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _dns.Dispose();
        _client.Dispose();
        await _api.DisposeAsync();
        _stop.Dispose();
    }

    private async Task AddPodAsync(string name, string app, string ip, bool ready, string? hostname, string subdomain = "db")
    {
        await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
            Spec = new V1PodSpec { NodeName = "node1", Hostname = hostname, Subdomain = hostname is null ? null : subdomain, Containers = [new V1Container { Name = "c", Image = "none" }] },
        }, "default");
        var status = $$$"""{"status":{"phase":"Running","podIP":"{{{ip}}}","conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}""";
        await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), name, "default");
    }

    /// <summary>A standard query (RD set) for one A record.</summary>
    private static byte[] Query(string name, ushort id, ushort type = 1)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }

    private async Task<DnsMessage> AskUdpAsync(string name, ushort type = 1)
    {
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        var id = (ushort)Random.Shared.Next(1, 65535);
        await udp.SendAsync(Query(name, id, type), _endpoint);
        var reply = await udp.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(5));
        var message = DnsMessage.Parse(reply.Buffer);
        Assert.Equal(id, message.TransactionID);
        return message;
    }

    private static SortedSet<string> Addresses(DnsMessage m) => new(m.AnswerRecords.OfType<ARecord>().Select(a => a.Address.ToString()), StringComparer.Ordinal);

    private async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    [Fact]
    public async Task A_service_name_resolves_to_its_cluster_ip_in_any_case_with_an_authoritative_answer()
    {
        var answer = await AskUdpAsync("WEB.default.svc.cluster.local");
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        Assert.Equal(["10.96.0.50"], Addresses(answer));
        Assert.Equal(ClusterDnsServer.TtlSeconds, answer.AnswerRecords[0].TimeToLive);
    }

    [Fact]
    public async Task A_headless_service_resolves_to_its_ready_pods_and_a_pod_by_its_hostname()
    {
        // The API server's Endpoints controller writes the endpoints shortly after the pods' status.
        Assert.True(await EventuallyAsync(async () => Addresses(await AskUdpAsync("db.default.svc.cluster.local")).SetEquals(["10.1.1.5", "10.1.2.6"])));
        Assert.Equal(["10.1.1.5", "10.1.2.6"], Addresses(await AskUdpAsync("db.default.svc.cluster.local")));
        Assert.Equal(["10.1.1.5"], Addresses(await AskUdpAsync("db-0.db.default.svc.cluster.local")));
    }

    [Fact]
    public async Task Unknown_names_in_the_cluster_domain_are_nxdomain_and_names_outside_it_are_refused()
    {
        var unknown = await AskUdpAsync("nosuch.default.svc.cluster.local");
        Assert.Equal(ReturnCode.NxDomain, unknown.ReturnCode);
        Assert.IsType<SoaRecord>(Assert.Single(unknown.AuthorityRecords));
        Assert.Equal(ReturnCode.Refused, (await AskUdpAsync("example.com")).ReturnCode);
        // A search-path expansion of an outside name stays inside the zone: NXDOMAIN, so the resolver tries the next one.
        Assert.Equal(ReturnCode.NxDomain, (await AskUdpAsync("example.com.default.svc.cluster.local")).ReturnCode);
    }

    [Fact]
    public async Task An_existing_name_asked_for_AAAA_gets_an_empty_noerror_answer()
    {
        var aaaa = await AskUdpAsync("web.default.svc.cluster.local", type: 28);
        Assert.Equal(ReturnCode.NoError, aaaa.ReturnCode);
        Assert.Empty(aaaa.AnswerRecords);
    }

    [Fact]
    public async Task Tcp_queries_are_answered_too()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_endpoint);
        var stream = tcp.GetStream();
        var query = Query("web.default.svc.cluster.local", 4242);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed);
        var length = new byte[2];
        await stream.ReadExactlyAsync(length);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await stream.ReadExactlyAsync(body);
        Assert.Equal(["10.96.0.50"], Addresses(DnsMessage.Parse(body)));
    }

    [Fact]
    public async Task A_new_service_and_a_pod_becoming_ready_are_answered_within_seconds()
    {
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "late" },
            Spec = new V1ServiceSpec { ClusterIP = "10.96.0.51", Ports = [new V1ServicePort { Port = 80 }] },
        }, "default");
        Assert.True(await EventuallyAsync(async () => Addresses(await AskUdpAsync("late.default.svc.cluster.local")).SetEquals(["10.96.0.51"])));

        await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch), "db-2", "default");
        Assert.True(await EventuallyAsync(async () => Addresses(await AskUdpAsync("db.default.svc.cluster.local")).SetEquals(["10.1.1.5", "10.1.2.6", "10.1.2.7"])));
    }

    [Fact]
    public async Task Named_ports_have_srv_records_for_cluster_ip_and_headless_services()
    {
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1ServiceSpec { ClusterIP = "10.96.0.60", Selector = new Dictionary<string, string> { ["app"] = "api" }, Ports = [new V1ServicePort { Name = "https", Port = 443 }, new V1ServicePort { Port = 8080, Name = "" }] },
        }, "default");
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "cache" },
            Spec = new V1ServiceSpec { ClusterIP = "None", Selector = new Dictionary<string, string> { ["app"] = "cache" }, Ports = [new V1ServicePort { Name = "redis", Port = 6379 }] },
        }, "default");
        await AddPodAsync("cache-0", "cache", "10.1.3.9", ready: true, hostname: "cache-0", subdomain: "cache");
        await AddPodAsync("cache-1", "cache", "10.1.3.10", ready: true, hostname: null);

        DnsMessage srv = null!;
        Assert.True(await EventuallyAsync(async () => (srv = await AskUdpAsync("_https._tcp.api.default.svc.cluster.local", 33)).AnswerRecords.Count == 1));
        var record = Assert.IsType<SrvRecord>(Assert.Single(srv.AnswerRecords));
        Assert.Equal((443, "api.default.svc.cluster.local."), (record.Port, record.Target.ToString()));
        Assert.Equal("10.96.0.60", Assert.IsType<ARecord>(Assert.Single(srv.AdditionalRecords)).Address.ToString());

        Assert.True(await EventuallyAsync(async () => (srv = await AskUdpAsync("_redis._tcp.cache.default.svc.cluster.local", 33)).AnswerRecords.Count == 2));
        Assert.Equal(["10-1-3-10.cache.default.svc.cluster.local.", "cache-0.cache.default.svc.cluster.local."],
            srv.AnswerRecords.OfType<SrvRecord>().Select(r => r.Target.ToString()).Order(StringComparer.Ordinal));
        Assert.All(srv.AnswerRecords.OfType<SrvRecord>(), r => Assert.Equal(6379, r.Port));
        Assert.Equal(["10.1.3.10"], Addresses(await AskUdpAsync("10-1-3-10.cache.default.svc.cluster.local")));

        // An unnamed port has no SRV name; the protocol label must match.
        Assert.Equal(ReturnCode.NxDomain, (await AskUdpAsync("_https._udp.api.default.svc.cluster.local", 33)).ReturnCode);
    }

    [Fact]
    public async Task External_name_services_are_cnames_and_addresses_have_ptr_records()
    {
        await _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "ext" },
            Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = "Example.ORG" },
        }, "default");
        DnsMessage cname = null!;
        Assert.True(await EventuallyAsync(async () => (cname = await AskUdpAsync("ext.default.svc.cluster.local")).AnswerRecords.Count == 1));
        Assert.Equal("example.org.", Assert.IsType<CNameRecord>(Assert.Single(cname.AnswerRecords)).CanonicalName.ToString());

        var web = await AskUdpAsync("50.0.96.10.in-addr.arpa", 12);
        Assert.Equal("web.default.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(web.AnswerRecords)).PointerDomainName.ToString());
        DnsMessage db0 = null!;
        Assert.True(await EventuallyAsync(async () => (db0 = await AskUdpAsync("5.1.1.10.in-addr.arpa", 12)).AnswerRecords.Count == 1));
        Assert.Equal("db-0.db.default.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(db0.AnswerRecords)).PointerDomainName.ToString());
        // A not-ready endpoint and addresses the cluster does not know are not answered (nothing is forwarded).
        Assert.Equal(ReturnCode.Refused, (await AskUdpAsync("7.2.1.10.in-addr.arpa", 12)).ReturnCode);
        Assert.Equal(ReturnCode.Refused, (await AskUdpAsync("9.9.9.9.in-addr.arpa", 12)).ReturnCode);
    }
}
