namespace Contiv.Hosting;

/// <summary>
/// How a daemon's REST endpoint is protected (SPEC "Our decisions" 5, docs/security.md): HTTPS when
/// <see cref="CertFile"/> is set, HTTP basic authentication when <see cref="Username"/> is set.
/// Both off by default; the endpoint then relies on its bind address (node-local by default).
/// </summary>
public sealed record RestSecurityOptions
{
    /// <summary>PEM server certificate (with <see cref="KeyFile"/>); null = plain HTTP.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>User name clients must send (basic auth); null = no authentication.</summary>
    public string? Username { get; init; }

    /// <summary>Password of <see cref="Username"/>.</summary>
    public string? Password { get; init; }

    /// <summary>True when requests must carry credentials.</summary>
    public bool RequiresAuthentication => Username is not null;

    /// <summary>True when the endpoint serves HTTPS.</summary>
    public bool UsesHttps => CertFile is not null;

    /// <summary>
    /// Builds the options from the usual daemon settings; the password is read from a file (first line)
    /// so that it never shows in the process list.
    /// </summary>
    /// <param name="certFile">PEM certificate or null.</param>
    /// <param name="keyFile">PEM key or null.</param>
    /// <param name="username">User or null.</param>
    /// <param name="passwordFile">File holding the password, or null.</param>
    /// <param name="what">Option prefix for error messages, e.g. <c>--rest</c>.</param>
    /// <exception cref="ArgumentException">A file is missing, or only half of a pair is given.</exception>
    public static RestSecurityOptions From(string? certFile, string? keyFile, string? username, string? passwordFile, string what)
    {
        if ((certFile is null) != (keyFile is null))
        {
            throw new ArgumentException($"{what}-cert-file '{certFile}' and {what}-key-file '{keyFile}' must be given together");
        }

        if ((username is null) != (passwordFile is null))
        {
            throw new ArgumentException($"{what}-user '{username}' and {what}-password-file '{passwordFile}' must be given together");
        }

        foreach (var (name, file) in new[] { ("cert-file", certFile), ("key-file", keyFile), ("password-file", passwordFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new ArgumentException($"{what}-{name} '{file}' does not exist");
            }
        }

        string? password = null;
        if (passwordFile is not null)
        {
            password = File.ReadLines(passwordFile).FirstOrDefault()?.TrimEnd('\r') ?? string.Empty;
            if (password.Length == 0)
            {
                throw new ArgumentException($"{what}-password-file '{passwordFile}' is empty");
            }
        }

        if (username is { Length: 0 } || username?.Contains(':', StringComparison.Ordinal) == true)
        {
            throw new ArgumentException($"{what}-user '{username}' must be non-empty and without ':' (basic auth)");
        }

        return new RestSecurityOptions { CertFile = certFile, KeyFile = keyFile, Username = username, Password = password };
    }
}
