using System.Globalization;
using System.Security.Cryptography;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// Identity of this start of the daemon, reported in the version reply: a random value plus the start time,
/// so a client tells a restarted data plane from the old one even when the pid is reused (a container's pid 1).
/// </summary>
internal static class ProcessInstance
{
    /// <summary>"&lt;32 hex digits&gt;@&lt;UTC start time&gt;", fixed for the life of the process.</summary>
    public static string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "@"
        + DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
