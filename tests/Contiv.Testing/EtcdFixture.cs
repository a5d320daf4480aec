using Xunit;

namespace Contiv.Testing;

/// <summary>
/// Shares one real etcd (<see cref="EtcdServer"/>) across the tests of a class
/// (<c>IClassFixture&lt;EtcdFixture&gt;</c>) or of a collection. xUnit only finds collection
/// definitions in the test assembly itself, so a test project declares its own:
/// <code>
/// [CollectionDefinition(EtcdCollection.Name)]
/// public sealed class EtcdCollection : ICollectionFixture&lt;EtcdFixture&gt; { public const string Name = "etcd"; }
/// </code>
/// Tests that share the server should use their own key prefix (<see cref="UniquePrefix"/>);
/// tests that kill, wipe or compact etcd are better off with their own <see cref="EtcdServer"/>.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdServer? _server;

    /// <summary>The running server.</summary>
    public EtcdServer Server => _server ?? throw new InvalidOperationException("EtcdFixture used before InitializeAsync");

    /// <summary>Client URL of the shared server.</summary>
    public string ClientUrl => Server.ClientUrl;

    /// <summary>A fresh key prefix such as <c>/test/3f9a1c2b/</c> so tests sharing the server do not see each other's keys.</summary>
    public static string UniquePrefix() => "/test/" + Guid.NewGuid().ToString("N")[..8] + "/";

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await EtcdServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
