using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Contiv.Hosting;

/// <summary>
/// HTTPS and basic authentication for a daemon's REST endpoint. The probes (<c>/liveness</c>,
/// <c>/readiness</c>) stay open: kubelet probes carry no credentials and reveal nothing but health.
/// Everything else — reads included, since dumps describe the node's whole network — needs the
/// credentials once a user is configured.
/// </summary>
public static class RestSecurity
{
    /// <summary>Paths served without credentials.</summary>
    public static IReadOnlySet<string> OpenPaths { get; } = new HashSet<string>(StringComparer.Ordinal) { "/liveness", "/readiness" };

    /// <summary>Adds the REST listener on <paramref name="address"/>:<paramref name="port"/> (HTTP/1.1, HTTPS when configured).</summary>
    /// <param name="kestrel">The daemon's Kestrel options.</param>
    /// <param name="address">Bind address.</param>
    /// <param name="port">Port.</param>
    /// <param name="security">TLS and auth settings.</param>
    public static void ListenRest(this KestrelServerOptions kestrel, IPAddress address, int port, RestSecurityOptions security)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(security);
        var certificate = LoadCertificate(security);
        kestrel.Listen(address, port, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        });
    }

    /// <summary>The server certificate of <paramref name="security"/>, or null for plain HTTP.</summary>
    /// <param name="security">TLS settings.</param>
    public static X509Certificate2? LoadCertificate(RestSecurityOptions security)
    {
        ArgumentNullException.ThrowIfNull(security);
        if (security.CertFile is null || security.KeyFile is null)
        {
            return null;
        }

        // Exported and re-imported: Kestrel needs a key that is not ephemeral to use it for TLS.
        using var pem = X509Certificate2.CreateFromPemFile(security.CertFile, security.KeyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Requires basic authentication on every path but the probes when <paramref name="security"/>
    /// names a user; answers 401 with a <c>WWW-Authenticate</c> challenge otherwise.
    /// </summary>
    /// <param name="app">The daemon's application (call before mapping endpoints).</param>
    /// <param name="security">Auth settings.</param>
    /// <param name="restPort">When the daemon has other listeners (the agent's CNI unix socket, protected by
    /// its file mode), only requests arriving on this TCP port are checked; null checks every request.</param>
    public static void UseRestAuthentication(this WebApplication app, RestSecurityOptions security, int? restPort = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(security);
        if (!security.RequiresAuthentication)
        {
            return;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes($"{security.Username}:{security.Password}"));
        app.Use(async (context, next) =>
        {
            var other = restPort is { } port && (context.Connection.LocalIpAddress is null || context.Connection.LocalPort != port);
            if (other || OpenPaths.Contains(context.Request.Path.Value ?? string.Empty) || IsAuthorized(context.Request, expected))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"contiv\", charset=\"UTF-8\"";
            // Built as a JSON node, not an anonymous type: no reflection (the NativeAOT daemons use this too).
            context.Response.ContentType = "application/json; charset=utf-8";
            var body = new System.Text.Json.Nodes.JsonObject { ["error"] = $"{context.Request.Method} {context.Request.Path}: credentials required (HTTP basic authentication)" };
            await context.Response.WriteAsync(body.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })).ConfigureAwait(false);
        });
    }

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(header[6..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        // Hashes of equal length: the comparison takes the same time whatever was sent.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(decoded), expected);
    }
}
