using System.Collections.Concurrent;

namespace Contiv.Linux;

/// <summary>
/// A long-lived OS thread that stays inside one network namespace and runs queued operations in
/// order. Use it to batch many operations (opening TAPs, sockets, sysctl writes) without creating a
/// thread per call. Operations queued from the thread itself run inline, so nesting cannot deadlock.
/// Disposing drains the queue and stops the thread.
/// </summary>
public sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = [];
    private readonly Thread _thread;

    internal NamespaceThread(NetworkNamespace ns, string threadName)
    {
        Namespace = ns;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Loop(started)) { IsBackground = true, Name = threadName };
        _thread.Start();
        started.Task.GetAwaiter().GetResult();
    }

    /// <summary>The namespace this thread runs in.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>True when called from this namespace thread.</summary>
    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="action"/> on the namespace thread and returns its result or rethrows its exception.</summary>
    public T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return IsCurrentThread ? action() : RunAsync(action).GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="action"/> on the namespace thread and waits for it.</summary>
    public void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (IsCurrentThread)
        {
            action();
            return;
        }

        RunAsync(action).GetAwaiter().GetResult();
    }

    /// <summary>Queues <paramref name="action"/> on the namespace thread; the task completes with its result or exception.</summary>
    public Task<T> RunAsync<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var item = new WorkItem<T>(action);
        if (IsCurrentThread)
        {
            item.Execute();
            item.Complete();
            return item.Task;
        }

        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(NamespaceThread), $"the thread of netns {Namespace.DisplayName} was stopped");
        }

        return item.Task;
    }

    /// <summary>Queues <paramref name="action"/> on the namespace thread.</summary>
    public Task RunAsync(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync<object?>(() =>
        {
            action();
            return null;
        });
    }

    /// <summary>Lets queued operations finish, then stops the thread.</summary>
    public void Dispose()
    {
        if (!_queue.IsAddingCompleted)
        {
            _queue.CompleteAdding();
        }

        if (!IsCurrentThread)
        {
            _thread.Join();
            _queue.Dispose();
        }
    }

    private void Loop(TaskCompletionSource started)
    {
        // The thread enters the namespace only while it runs an item and completes every task from
        // its home namespace: completing a task queues continuations, and a thread-pool worker the
        // runtime creates from this thread would otherwise inherit the pod's namespace.
        NetworkNamespace home;
        try
        {
            home = NetworkNamespace.OpenCurrent();
            try
            {
                Namespace.Enter();
                home.Enter();
            }
            catch
            {
                home.Dispose();
                throw;
            }
        }
        catch (NetlinkException e)
        {
            _queue.CompleteAdding();
            started.SetException(e);
            return;
        }

        started.SetResult();
        using (home)
        {
            foreach (var item in _queue.GetConsumingEnumerable())
            {
                try
                {
                    Namespace.Enter();
                    item.Execute();
                }
                catch (Exception e)
                {
                    item.Fail(e);
                }

                home.Enter();
                item.Complete();
            }
        }
    }

    private abstract class WorkItem
    {
        /// <summary>Runs the action and keeps its outcome (inside the namespace).</summary>
        public abstract void Execute();

        /// <summary>Records a failure to enter the namespace.</summary>
        public abstract void Fail(Exception e);

        /// <summary>Publishes the outcome (from the home namespace).</summary>
        public abstract void Complete();
    }

    private sealed class WorkItem<T>(Func<T> action) : WorkItem
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private Exception? _error;

        public Task<T> Task => _tcs.Task;

        public override void Execute()
        {
            try
            {
                _result = action();
            }
            catch (Exception e)
            {
                _error = e;
            }
        }

        public override void Fail(Exception e) => _error = e;

        public override void Complete()
        {
            if (_error is null)
            {
                _tcs.SetResult(_result);
            }
            else
            {
                _tcs.SetException(_error);
            }
        }
    }
}
