using System.Security.Cryptography;
using System.Text;

namespace Contiv.Ui.Hosting;

/// <summary>
/// HTTP basic authentication against the config's <c>basicAuth</c> users, on every path but the probes. The browser
/// shows its own login dialog on the 401 challenge; the page, the proxies and the event stream are all behind it.
/// </summary>
internal static class UiBasicAuth
{
    private static readonly HashSet<string> OpenPaths = new(StringComparer.Ordinal) { "/liveness", "/readiness" };

    /// <summary>Adds the check when <paramref name="users"/> is not empty.</summary>
    public static void UseUiBasicAuth(this WebApplication app, IReadOnlyDictionary<string, string> users)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(users);
        if (users.Count == 0)
        {
            return;
        }

        var hashes = users.ToDictionary(u => u.Key, u => SHA256.HashData(Encoding.UTF8.GetBytes(u.Value)), StringComparer.Ordinal);
        app.Use(async (context, next) =>
        {
            if (OpenPaths.Contains(context.Request.Path.Value ?? string.Empty) || IsAuthorized(context.Request.Headers.Authorization.ToString(), hashes))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"contiv-ui\", charset=\"UTF-8\"";
            await context.Response.WriteAsJsonAsync(new { error = "contiv-ui: credentials required (HTTP basic authentication)" }).ConfigureAwait(false);
        });
    }

    internal static bool IsAuthorized(string header, IReadOnlyDictionary<string, byte[]> hashes)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !hashes.TryGetValue(decoded[..colon], out var expected))
        {
            return false;
        }

        // Hashes of equal length: the comparison takes the same time whatever password was sent.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(decoded[(colon + 1)..])), expected);
    }
}
