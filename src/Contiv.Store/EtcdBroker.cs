using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Contiv.Store;

/// <summary>
/// The etcd broker (see <see cref="IEtcdBroker"/>): one gRPC channel (dotnet-etcd) balanced over the
/// configured endpoints, a health monitor that tracks the connection state (a probe, then a watch that stays
/// open while connected: nothing is polled while idle), and Polly retries with
/// bounded exponential back-off around every request.
/// </summary>
/// <remarks>
/// dotnet-etcd builds the channel (endpoints, TLS, token authentication); requests go through its raw
/// generated gRPC clients so the broker controls deadlines, retries and the watch protocol itself.
/// gRPC's own retry policy is switched off: retrying twice in two layers would multiply the delays.
/// </remarks>
public sealed partial class EtcdBroker : IEtcdBroker
{
    // A key nobody uses; reading it costs etcd nothing and returns the current revision in the header.
    private static readonly ByteString ProbeKey = ByteString.CopyFrom(0);

    private readonly EtcdBrokerOptions _options;
    private readonly ILogger _log;
    // Replaced together by RebuildChannel when the gRPC channel is stuck (see MonitorAsync).
    private volatile EtcdClient _client;
    private volatile KV.KVClient _kv;
    private volatile Watch.WatchClient _watch;
    private volatile Lease.LeaseClient _lease;
    private DateTime _lastRebuild = DateTime.MinValue;
    // Incremented each time the clients above are replaced (see ChannelReplacedSince).
    private int _channelGeneration;
    private readonly ResiliencePipeline _retryAlways;
    private readonly ResiliencePipeline _retryUnsent;
    private readonly CancellationTokenSource _closing = new();
    private readonly Channel<ConnectionStateChangedEventArgs> _stateEvents = Channel.CreateUnbounded<ConnectionStateChangedEventArgs>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _stateLock = new();
    private readonly Task _monitor;
    private readonly Task _eventPump;
    private StoreConnectionState _state = StoreConnectionState.Connecting;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    /// <summary>Creates the broker and starts probing etcd; it does not wait for a connection (see <see cref="WaitConnectedAsync"/>).</summary>
    /// <param name="options">Endpoints, TLS, credentials and timing.</param>
    /// <param name="logger">Logger; null for none.</param>
    public EtcdBroker(EtcdBrokerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = logger ?? NullLogger.Instance;
        UseClient(CreateClient(options));
        _retryAlways = BuildRetry(RetryPolicy.Always);
        _retryUnsent = BuildRetry(RetryPolicy.OnlyUnsent);
        _eventPump = Task.Run(PumpStateEventsAsync);
        _monitor = Task.Run(MonitorAsync);
    }

    /// <summary>The endpoints, for messages.</summary>
    public string EndpointList => string.Join(",", _options.Endpoints);

    /// <summary>The options the broker was created with.</summary>
    public EtcdBrokerOptions Options => _options;

    /// <inheritdoc />
    public StoreConnectionState ConnectionState
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <inheritdoc />
    public event EventHandler<ConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <inheritdoc />
    public Task WaitConnectedAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Task t;
        lock (_stateLock)
        {
            t = _connected.Task;
        }

        return t.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(StoreConnectionState.Closed, "broker disposed", null);
        await _closing.CancelAsync();
        _stateEvents.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_monitor, _eventPump).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        _client.Dispose();
        _closing.Dispose();
    }

    private static EtcdClient CreateClient(EtcdBrokerOptions o)
    {
        var connectionString = string.Join(",", o.Endpoints);
        void ConfigureChannel(GrpcChannelOptions c)
        {
            // Round-robin over the endpoints, no gRPC-level retries (the broker retries), and a
            // reconnect back-off bounded like ours so a restarted etcd is found within MaxBackoff.
            c.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
            c.MaxRetryAttempts = null;
            c.InitialReconnectBackoff = o.InitialBackoff;
            c.MaxReconnectBackoff = o.MaxBackoff;
            if (c.HttpHandler is SocketsHttpHandler h)
            {
                h.ConnectTimeout = o.RequestTimeout;
                h.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
                h.KeepAlivePingTimeout = TimeSpan.FromSeconds(5);
            }
        }

        EtcdClient client = o.UsesTls
            ? new EtcdClient(connectionString, ssl => ConfigureTls(o, ssl), configureChannelOptions: ConfigureChannel)
            : new EtcdClient(connectionString, configureChannelOptions: ConfigureChannel);
        if (o.Username is not null)
        {
            client.SetCredentials(o.Username, o.Password!);
        }

        return client;
    }

    private static void ConfigureTls(EtcdBrokerOptions o, SslClientAuthenticationOptions ssl)
    {
        if (o.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(o.CaFile);
            if (roots.Count == 0)
            {
                throw new ArgumentException($"etcd options: ca-file '{o.CaFile}' holds no PEM certificate", nameof(o.CaFile));
            }

            ssl.RemoteCertificateValidationCallback = (_, cert, _, errors) => ValidateAgainst(roots, cert, errors);
        }

        if (o.CertFile is not null)
        {
            ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(o.CertFile, o.KeyFile)];
        }
    }

    // Accepts a server certificate that chains to one of the configured CAs (and matches the host).
    private static bool ValidateAgainst(X509Certificate2Collection roots, X509Certificate? cert, SslPolicyErrors errors)
    {
        if (cert is not X509Certificate2 server || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }

    private enum RetryPolicy
    {
        Always,
        OnlyUnsent,
    }

    private ResiliencePipeline BuildRetry(RetryPolicy policy) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue, // bounded by RetryTimeout instead
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.InitialBackoff,
            MaxDelay = _options.MaxBackoff,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                && EtcdErrors.IsTransient(e)
                && (policy == RetryPolicy.Always || EtcdErrors.CertainlyNotSent(e))),
            OnRetry = args =>
            {
                ReportFailure(args.Outcome.Exception!);
                _log.LogDebug("etcd {Endpoints}: attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                    EndpointList, args.AttemptNumber + 1, args.Outcome.Exception!.Message, (int)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>Runs one request with retries; maps the final failure to a store exception naming <paramref name="what"/>.</summary>
    private async Task<T> RunAsync<T>(string what, RetryPolicy policy, Func<CallOptions, Task<T>> call, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(ct, _closing.Token);
        overall.CancelAfter(_options.RetryTimeout);
        Exception? last = null;
        var pipeline = policy == RetryPolicy.Always ? _retryAlways : _retryUnsent;
        try
        {
            var result = await pipeline.ExecuteAsync(
                async token =>
                {
                    var generation = Volatile.Read(ref _channelGeneration);
                    try
                    {
                        var options = new CallOptions(deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: token);
                        return await call(options);
                    }
                    catch (OperationCanceledException e) when (!token.IsCancellationRequested)
                    {
                        // Not our cancellation: the HTTP/2 connection died under the call.
                        last = new RpcException(new Status(StatusCode.Unavailable, "call aborted: " + e.Message, e));
                        throw last;
                    }
                    catch (Exception e) when (e is not OperationCanceledException && ChannelReplacedSince(generation) && IsChannelTeardown(e))
                    {
                        last = new RpcException(new Status(StatusCode.Unavailable, "the gRPC channel was replaced under the call: " + EtcdErrors.Describe(e), new ChannelReplacedException(e)));
                        throw last;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        last = e;
                        throw;
                    }
                },
                overall.Token);
            ReportSuccess();
            return result;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            throw new StoreUnavailableException($"etcd {EndpointList}: {what} failed: no answer within {_options.RetryTimeout.TotalSeconds:0.#} s (last error: {last?.Message ?? "none"})", last ?? new TimeoutException());
        }
        catch (RpcException e) when (EtcdErrors.IsTransient(e))
        {
            // Only reached for OnlyUnsent: the request may have been applied.
            ReportFailure(e);
            throw new StoreUnavailableException($"etcd {EndpointList}: {what} failed after it may have reached etcd: {e.Status.Detail}", mayHaveBeenApplied: true, e);
        }
        catch (RpcException e)
        {
            ReportSuccess(); // etcd answered, with an error
            throw EtcdErrors.Translate(what, e);
        }
    }

    private void ReportSuccess()
    {
        if (ConnectionState != StoreConnectionState.Connected)
        {
            SetState(StoreConnectionState.Connected, $"etcd {EndpointList} answered", null);
        }
    }

    private void ReportFailure(Exception e)
    {
        if (EtcdErrors.IsConnectionFailure(e) && ConnectionState != StoreConnectionState.Disconnected)
        {
            SetState(StoreConnectionState.Disconnected, $"etcd {EndpointList} unreachable: {EtcdErrors.Describe(e)}", e);
        }
    }

    private void SetState(StoreConnectionState next, string reason, Exception? error)
    {
        lock (_stateLock)
        {
            var prev = _state;
            if (prev == next || prev == StoreConnectionState.Closed)
            {
                return;
            }

            _state = next;
            if (next == StoreConnectionState.Connected)
            {
                _connected.TrySetResult();
            }
            else if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (next == StoreConnectionState.Closed)
            {
                _connected.TrySetException(new ObjectDisposedException(nameof(EtcdBroker)));
            }

            _stateEvents.Writer.TryWrite(new ConnectionStateChangedEventArgs(prev, next, reason, error));
        }

        if (next == StoreConnectionState.Disconnected)
        {
            _log.LogWarning("etcd connection lost: {Reason}", reason);
        }
        else
        {
            _log.LogInformation("etcd connection {State}: {Reason}", next, reason);
        }
    }

    private async Task PumpStateEventsAsync()
    {
        await foreach (var e in _stateEvents.Reader.ReadAllAsync())
        {
            try
            {
                ConnectionStateChanged?.Invoke(this, e);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "etcd connection state handler failed on {Transition}", e.ToString());
            }
        }
    }

    // Probes etcd with a linearizable read (needs a leader) when the broker starts and whenever the
    // liveness watch below ends; with growing back-off (InitialBackoff … MaxBackoff) while the probe fails.
    // While connected nothing is polled: a watch stream on the probe key (which nobody writes) stays open,
    // with etcd's "hasleader" metadata, and the probe runs again only when that stream ends — etcd died or
    // restarted (the connection closes), hung (HTTP/2 keep-alive pings unanswered for 10 + 5 s), lost its
    // leader (etcd cancels require-leader watches), or the channel was replaced. A stream that ends on a
    // connection failure is reported as a lost connection at once, so even an etcd restarted within
    // milliseconds shows as Disconnected → Connected (which KSR, the agents and the API server use as
    // their cue to check for data loss). A stream that cannot stay open (ends within HealthInterval)
    // falls back to a probe every HealthInterval, as before.
    // After a few failed probes in a row it checks whether an endpoint accepts TCP connections: if one
    // does, etcd is back but the gRPC channel has not noticed — seen after etcd restarts: the balancer's
    // subchannel stayed "connecting" and every call (the resumed watch too) waited in PickAsync for
    // ever — so the channel is replaced, which also aborts the calls stuck on the old one.
    private async Task MonitorAsync()
    {
        var failures = 0;
        var delay = TimeSpan.Zero;
        var probeTimeout = TimeSpan.FromTicks(Math.Min(_options.RequestTimeout.Ticks, TimeSpan.FromSeconds(2).Ticks));
        while (!_closing.IsCancellationRequested)
        {
            Exception? failed = null;
            try
            {
                await Task.Delay(delay, _closing.Token);
                await _kv.RangeAsync(new RangeRequest { Key = ProbeKey }, deadline: DateTime.UtcNow + probeTimeout, cancellationToken: _closing.Token);
                ReportSuccess();
                failures = 0;
                delay = await AwaitLivenessWatchEndAsync();
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (EtcdErrors.IsTransient(e))
            {
                failed = e;
            }
            catch (RpcException)
            {
                ReportSuccess(); // etcd answered (e.g. permission denied on the probe key)
                failures = 0;
                delay = _options.HealthInterval;
            }
            catch (Exception e)
            {
                _log.LogWarning("etcd {Endpoints}: health probe failed: {Error}", EndpointList, e.Message);
                failed = e;
            }

            if (failed is not null)
            {
                ReportFailure(failed);
                delay = Backoff(failures++);
                if (failures >= 3 && DateTime.UtcNow - _lastRebuild > StuckChannelRebuildInterval && await AnyEndpointAcceptsAsync())
                {
                    RebuildChannel($"{failures} health probes failed ({EtcdErrors.Describe(failed)}) while an endpoint accepts TCP connections");
                    failures = 0;
                    delay = TimeSpan.Zero;
                }
            }
        }
    }

    /// <summary>Number of liveness watches opened by the health monitor (for tests).</summary>
    public int LivenessWatches => _livenessWatches;

    private int _livenessWatches;

    // Holds a watch on the probe key open until it ends; returns the delay before the next probe.
    private async Task<TimeSpan> AwaitLivenessWatchEndAsync()
    {
        var started = DateTime.UtcNow;
        Interlocked.Increment(ref _livenessWatches);
        Exception? error = null;
        var ct = _closing.Token;
        try
        {
            using var call = _watch.Watch(new Metadata { { "hasleader", "true" } }, cancellationToken: ct);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ProbeKey } }, ct);
            while (await call.ResponseStream.MoveNext(ct))
            {
                if (call.ResponseStream.Current.Canceled)
                {
                    error = new RpcException(new Status(StatusCode.Unavailable, "etcd cancelled the liveness watch: " + call.ResponseStream.Current.CancelReason));
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            error = new IOException("liveness watch aborted: " + e.Message, e); // the connection died under the call
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException or ObjectDisposedException)
        {
            error = e;
        }

        if (error is not null && EtcdErrors.IsConnectionFailure(error))
        {
            ReportFailure(error);
        }

        _log.LogDebug("etcd {Endpoints}: liveness watch ended ({Error}); probing", EndpointList, error is null ? "stream closed" : EtcdErrors.Describe(error));
        return DateTime.UtcNow - started < _options.HealthInterval ? _options.HealthInterval : TimeSpan.Zero;
    }

    /// <summary>Shortest time between two channel rebuilds.</summary>
    private static readonly TimeSpan StuckChannelRebuildInterval = TimeSpan.FromSeconds(10);

    /// <summary>Number of times the gRPC channel was replaced because it was stuck (for tests and metrics).</summary>
    public int ChannelRebuilds { get; private set; }

    private async Task<bool> AnyEndpointAcceptsAsync()
    {
        foreach (var e in _options.Endpoints)
        {
            var uri = new Uri(e);
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(uri.Host, uri.Port, timeout.Token);
                return true;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
            {
            }
        }

        return false;
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_client), nameof(_kv), nameof(_watch), nameof(_lease))]
    private void UseClient(EtcdClient client)
    {
        var connection = client.GetConnection();
        _kv = connection.KVClient;
        _watch = connection.WatchClient;
        _lease = connection.LeaseClient;
        _client = client;
        Interlocked.Increment(ref _channelGeneration);
    }

    // True when the clients were replaced after a call read the generation: RebuildChannel disposes
    // the old channel (and dotnet-etcd's token state with it), so a call that picked up the old
    // clients just before fails to start (ObjectDisposedException, bare or as "Internal: Error
    // starting gRPC call") or is torn down mid-flight (Internal/Unknown/Cancelled). Such a failure
    // says nothing about etcd: the call is retried on the new channel.
    private bool ChannelReplacedSince(int generation) => Volatile.Read(ref _channelGeneration) != generation && _disposed == 0;

    private static bool IsChannelTeardown(Exception e) => e is ObjectDisposedException or InvalidOperationException or IOException or HttpRequestException
        or RpcException { StatusCode: StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled or StatusCode.Unavailable };

    /// <summary>Replaces the gRPC channel (the health monitor does when the channel is stuck; tests).</summary>
    internal void RebuildChannel(string reason)
    {
        _log.LogWarning("etcd {Endpoints}: replacing the gRPC channel: {Reason}", EndpointList, reason);
        var old = _client;
        UseClient(CreateClient(_options));
        _lastRebuild = DateTime.UtcNow;
        ChannelRebuilds++;
        try
        {
            old.Dispose(); // cancels the calls stuck on the old channel; their owners retry on the new one
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            _log.LogDebug("etcd: disposing the old channel: {Error}", e.Message);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20));
        ms = Math.Min(ms, _options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }
}
