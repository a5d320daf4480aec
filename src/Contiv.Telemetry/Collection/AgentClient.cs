using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Contiv.Telemetry.Collection;

/// <summary>
/// HTTP client of agents' REST APIs (SPEC §5) with the options of <see cref="AgentClientOptions"/>.
/// One instance serves every node; errors are <see cref="AgentUnreachableException"/> naming the URL.
/// </summary>
public sealed class AgentClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _trust;

    /// <summary>Creates the client.</summary>
    public AgentClient(AgentClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var handler = new SocketsHttpHandler { ConnectTimeout = options.Timeout };
        if (options.InsecureSkipVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (options.CaFile is { } ca)
        {
            _trust = [];
            _trust.ImportFromPemFile(ca);
            handler.SslOptions.RemoteCertificateValidationCallback = ValidateAgainstCa;
        }

        _http = new HttpClient(handler) { Timeout = options.Timeout };
        if (options.User is { } user)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{options.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    /// <summary>The options.</summary>
    public AgentClientOptions Options { get; }

    /// <summary>GETs a path and returns the status code and the body parsed as JSON (null when the body is not JSON).</summary>
    /// <exception cref="AgentUnreachableException">No HTTP answer.</exception>
    public async Task<(int Status, JsonElement? Body)> GetAsync(string baseUrl, string pathAndQuery, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + pathAndQuery);
        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs a path that must answer 200 with JSON.</summary>
    /// <exception cref="AgentUnreachableException">No answer, or not 200.</exception>
    public async Task<JsonElement> GetOkAsync(string baseUrl, string pathAndQuery, CancellationToken cancellationToken = default)
    {
        var (status, body) = await GetAsync(baseUrl, pathAndQuery, cancellationToken).ConfigureAwait(false);
        return status == 200 && body is { } b
            ? b
            : throw new AgentUnreachableException(baseUrl + pathAndQuery, $"HTTP {status}: {Describe(body)}");
    }

    /// <summary>Runs a CLI command through <c>POST /vpp/command</c> and returns its output.</summary>
    /// <exception cref="AgentUnreachableException">No answer, or the agent refused the command.</exception>
    public async Task<string> RunCliAsync(string baseUrl, string command, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/vpp/command")
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["vppclicommand"] = command }), Encoding.UTF8, "application/json"),
        };
        var (status, body) = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = body is { ValueKind: JsonValueKind.String } s ? s.GetString() ?? string.Empty : Describe(body);
        return status == 200 ? text : throw new AgentUnreachableException(baseUrl + "/vpp/command", $"HTTP {status}: {text}");
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private async Task<(int Status, JsonElement? Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.ToString();
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonElement? body = null;
            try
            {
                using var doc = JsonDocument.Parse(text);
                body = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                using var doc = JsonDocument.Parse(JsonSerializer.Serialize(text));
                body = doc.RootElement.Clone();
            }

            return ((int)response.StatusCode, body);
        }
        catch (HttpRequestException e)
        {
            throw new AgentUnreachableException(url, e.InnerException?.Message ?? e.Message, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentUnreachableException(url, $"no answer within {Options.Timeout.TotalSeconds:0.#} s", e);
        }
    }

    private static string Describe(JsonElement? body) => body switch
    {
        null => "(empty)",
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? string.Empty,
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("error", out var e) => e.ToString(),
        { } b => b.GetRawText(),
    };

    private bool ValidateAgainstCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trust!);
        using var cert = new X509Certificate2(certificate);
        // A name mismatch still fails: the CA vouches for the name, not for any host.
        return custom.Build(cert) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }
}
