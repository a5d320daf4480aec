using System.Threading.Channels;

namespace Contiv.Lab.Controllers;

/// <summary>
/// A controller's queue of object keys (<c>namespace/name</c>), as client-go's work queue: a key waiting to be processed
/// is queued once however often it is added, and a key added while it is being processed is processed again afterwards.
/// </summary>
internal sealed class WorkQueue
{
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);
    private readonly Channel<string> _keys = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues <paramref name="key"/> unless it is already waiting.</summary>
    public void Add(string key)
    {
        lock (_waiting)
        {
            if (!_waiting.Add(key))
            {
                return;
            }
        }

        _keys.Writer.TryWrite(key);
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/> (a retry, a back-off).</summary>
    public void AddAfter(string key, TimeSpan delay, CancellationToken ct)
        => _ = Task.Delay(delay, ct).ContinueWith(t => Add(key), ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    /// <summary>Waits for the next key; it may be added again from now on.</summary>
    public async Task<string> TakeAsync(CancellationToken ct)
    {
        var key = await _keys.Reader.ReadAsync(ct).ConfigureAwait(false);
        lock (_waiting)
        {
            _waiting.Remove(key);
        }

        return key;
    }
}
