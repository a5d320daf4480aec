using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Dns;

/// <summary>
/// The lab's kube-dns: answers A, SRV, CNAME (ExternalName) and PTR queries for the cluster domain from the current
/// <see cref="ClusterDnsZone"/> over UDP and TCP (ARSoft.Tools.Net parses and writes the messages).
/// Authoritative for the cluster domain (unknown names get NXDOMAIN with the zone's SOA, names without
/// the asked type get an empty NOERROR); every other name is REFUSED: the lab forwards nothing out.
/// </summary>
internal sealed class ClusterDnsServer : IDisposable
{
    /// <summary>TTL of the answers: short, so a changed Service is seen within seconds.</summary>
    public const int TtlSeconds = 5;

    private readonly Func<ClusterDnsZone> _zone;
    private readonly DnsServer _server;

    /// <summary>Serves <paramref name="zone"/> (read per query) on UDP and TCP <paramref name="listen"/>.</summary>
    public ClusterDnsServer(IPEndPoint listen, Func<ClusterDnsZone> zone)
    {
        _zone = zone;
        _server = new DnsServer(new UdpServerTransport(listen, 2000), new TcpServerTransport(listen, 5000, 120000));
        _server.QueryReceived += OnQueryReceivedAsync;
        _server.ExceptionThrown += (_, e) =>
        {
            LabLog.Warn("dns", $"query failed: {e.Exception.Message}");
            return Task.CompletedTask;
        };
    }

    /// <summary>Number of queries answered (any outcome).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    private long _queries;

    /// <summary>Binds the sockets and starts answering.</summary>
    public void Start() => _server.Start();

    /// <inheritdoc />
    public void Dispose() => _server.Stop();

    private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is DnsMessage query)
        {
            e.Response = Answer(query, _zone());
            Interlocked.Increment(ref _queries);
        }

        return Task.CompletedTask;
    }

    /// <summary>The response to <paramref name="query"/> from <paramref name="zone"/> (one question, as resolvers send).</summary>
    internal static DnsMessage Answer(DnsMessage query, ClusterDnsZone zone)
    {
        var response = query.CreateResponseInstance();
        if (query.Questions.Count != 1 || query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return response;
        }

        var question = query.Questions[0];
        var answer = zone.Lookup(question.Name.ToString());
        switch (answer.Kind)
        {
            case DnsAnswerKind.OutsideZone:
                response.ReturnCode = ReturnCode.Refused;
                return response;
            case DnsAnswerKind.NoSuchName:
                response.ReturnCode = ReturnCode.NxDomain;
                break;
            default:
                response.ReturnCode = ReturnCode.NoError;
                if (question.RecordClass is not (RecordClass.INet or RecordClass.Any))
                {
                    break;
                }

                var type = question.RecordType;
                if (answer.Cname is { } cname)
                {
                    // An ExternalName Service: the alias answers every type (the resolver follows it; the lab itself
                    // answers nothing outside the cluster).
                    response.AnswerRecords.Add(new CNameRecord(question.Name, TtlSeconds, DomainName.Parse(cname)));
                    break;
                }

                if (type is RecordType.A or RecordType.Any)
                {
                    foreach (var ip in answer.Addresses)
                    {
                        response.AnswerRecords.Add(new ARecord(question.Name, TtlSeconds, ip));
                    }
                }

                if (type is RecordType.Srv or RecordType.Any)
                {
                    var srv = answer.Srv ?? [];
                    foreach (var target in srv)
                    {
                        // Equal priority and weight, as kube-dns gives them (weight: an equal share of 100).
                        response.AnswerRecords.Add(new SrvRecord(question.Name, TtlSeconds, 0, (ushort)(100 / srv.Count), target.Port, DomainName.Parse(target.Target)));
                        foreach (var ip in zone.Lookup(target.Target).Addresses)
                        {
                            response.AdditionalRecords.Add(new ARecord(DomainName.Parse(target.Target), TtlSeconds, ip));
                        }
                    }
                }

                if (type is RecordType.Ptr or RecordType.Any)
                {
                    foreach (var target in answer.Ptr ?? [])
                    {
                        response.AnswerRecords.Add(new PtrRecord(question.Name, TtlSeconds, DomainName.Parse(target)));
                    }
                }

                break;
        }

        response.IsAuthoritiveAnswer = true;
        if (response.AnswerRecords.Count == 0)
        {
            // Negative answers carry the zone's SOA so resolvers know how long to remember them.
            var apex = DomainName.Parse(zone.Domain);
            response.AuthorityRecords.Add(new SoaRecord(apex, TtlSeconds, DomainName.Parse("ns.dns." + zone.Domain), DomainName.Parse("hostmaster." + zone.Domain), 1, 30, 30, 3600, TtlSeconds));
        }

        return response;
    }
}
