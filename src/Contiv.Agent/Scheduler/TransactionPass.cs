using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Scheduler;

/// <summary>
/// One attempt of a transaction: visits the items (all, or those in the transaction's scope) in key order until
/// nothing more can be done — deleting what must go once nothing applied depends on it, creating and updating what is
/// desired once its dependencies are applied — and records every operation. Operations of batching descriptors are
/// queued (<see cref="OperationBatch"/>) and applied optimistically, so that their dependents can join the same
/// batch; a flush settles them.
/// </summary>
internal sealed class TransactionPass
{
    private readonly ItemTable _items;
    private readonly DependencyIndex _deps;
    private readonly ILogger _log;
    private readonly TxnRecord _record;
    private readonly int _attempt;
    private readonly bool _isRevert;
    private readonly Dictionary<string, string> _failed;
    private readonly HashSet<string>? _scope;
    private readonly OperationBatch _batch = new();

    /// <param name="items">The item table.</param>
    /// <param name="deps">Dependencies over <paramref name="items"/>.</param>
    /// <param name="log">Where failures are logged.</param>
    /// <param name="record">The transaction's record; operations are appended.</param>
    /// <param name="attempt">1 for the first attempt.</param>
    /// <param name="isRevert">True when reverting.</param>
    /// <param name="failed">Receives the keys whose operation failed, with the error.</param>
    /// <param name="scope">Keys to visit (grows with dependents of changed items); null = all.</param>
    public TransactionPass(ItemTable items, DependencyIndex deps, ILogger log, TxnRecord record, int attempt, bool isRevert,
        Dictionary<string, string> failed, HashSet<string>? scope)
    {
        _items = items;
        _deps = deps;
        _log = log;
        _record = record;
        _attempt = attempt;
        _isRevert = isRevert;
        _failed = failed;
        _scope = scope;
    }

    /// <summary>Runs the pass to its end; nothing stays queued.</summary>
    public void Run()
    {
        var progress = true;
        while (progress)
        {
            progress = false;
            var candidates = _items.Candidates(_scope);

            // Batchable items first: a pod's data plane items gather in one batch before the Linux side needs them.
            foreach (var s in candidates)
            {
                if (s.Descriptor.Batches)
                {
                    progress |= Visit(s);
                }
            }

            foreach (var s in candidates)
            {
                if (!s.Descriptor.Batches)
                {
                    progress |= Visit(s);
                }
            }

            if (progress)
            {
                continue;
            }

            if (_batch.Count > 0)
            {
                Flush();
                progress = true;
                continue;
            }

            // Deadlock: a removal is blocked by applied dependents that cannot be updated away from it.
            // Those dependents are deleted (and stay desired, pending until their dependency is back).
            foreach (var s in _items.Candidates(_scope))
            {
                if (s.Applied is null || _failed.ContainsKey(s.Key))
                {
                    continue;
                }

                if (NeedsRemoval(s))
                {
                    foreach (var b in _deps.AppliedDependents(s.Key))
                    {
                        progress |= CascadeDelete(b);
                    }
                }
                else if (s.Desired is not null && !_deps.Met(s, s.Applied))
                {
                    // Applied items whose dependency is gone are removed as well.
                    progress |= CascadeDelete(s);
                }
            }
        }

        Flush(); // nothing stays queued (cascade deletes run at once, after a flush)
    }

    /// <summary>Does (or queues) what one item needs, if it can be done now.</summary>
    private bool Visit(ItemState s)
    {
        if (_failed.ContainsKey(s.Key) || _batch.Contains(s))
        {
            return false;
        }

        if (!s.Descriptor.Batches && _batch.RelatesTo(s))
        {
            Flush(); // the item needs what is queued, or something queued needs it
            if (_failed.ContainsKey(s.Key))
            {
                return false;
            }
        }

        if (s.Applied is not null && NeedsRemoval(s))
        {
            if (_deps.HasAppliedDependents(s.Key))
            {
                return false; // dependents first (queued operations count as done)
            }

            var removed = s.Applied;
            var done = Do(s, KvOp.Delete, cascade: false);
            if (s.Applied is null)
            {
                // What this item depended on may be removable now: queue it with this removal.
                if (s.Descriptor.Batches)
                {
                    foreach (var d in DependencyIndex.Of(s, removed))
                    {
                        if (_items.TryGet(d, out var dependency) && dependency.Descriptor.Batches && InScope(dependency))
                        {
                            Visit(dependency);
                        }
                    }
                }
            }

            return done;
        }

        if (s.Desired is not null && _deps.Met(s, s.Desired))
        {
            bool done;
            if (s.Applied is null)
            {
                done = Do(s, KvOp.Create, cascade: false);
            }
            else if (!s.Descriptor.Equivalent(s.Key, s.Desired, s.Applied))
            {
                done = Do(s, KvOp.Update, cascade: false);
            }
            else
            {
                return false;
            }

            // Queued data plane items that depend on this one can join the same batch.
            if (done && s.Descriptor.Batches && _batch.Contains(s))
            {
                foreach (var dependent in _deps.DesiredOrAppliedDependents(s.Key))
                {
                    if (dependent.Descriptor.Batches && InScope(dependent))
                    {
                        Visit(dependent);
                    }
                }
            }

            return done;
        }

        return false;
    }

    private bool InScope(ItemState s) => _scope is null || _scope.Contains(s.Key);

    /// <summary>True when the applied item must go: not desired, or desired with a value that cannot be reached in place.</summary>
    private static bool NeedsRemoval(ItemState s)
        => s.Applied is not null && (s.Desired is null
            || (!s.Descriptor.Equivalent(s.Key, s.Desired, s.Applied) && s.Descriptor.RequiresRecreate(s.Key, s.Applied, s.Desired)));

    /// <summary>Executes the queued operations and settles each item: done, failed (state restored), or not attempted.</summary>
    private void Flush()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var queued = _batch.Take();
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<KvBatchResult> results;
        try
        {
            results = OperationBatch.Execute(queued);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            results = queued.Select(_ => KvBatchResult.Failed(e)).ToList();
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / queued.Count;
        for (var i = 0; i < queued.Count; i++)
        {
            var q = queued[i];
            var r = i < results.Count ? results[i] : KvBatchResult.Skipped;
            if (r.Done)
            {
                _record.Operations.Add(new KvOpRecord(q.State.Key, q.Op, q.Value, null, _attempt, _isRevert, false, ms));
                continue;
            }

            q.State.Applied = q.Previous;
            if (r.Error is null)
            {
                continue; // not attempted: the next pass reconsiders it
            }

            q.State.Error = r.Error.Message;
            q.State.LastFailureTransient = r.Error is not KvOperationException { Transient: false };
            _failed[q.State.Key] = r.Error.Message;
            _record.Operations.Add(new KvOpRecord(q.State.Key, q.Op, q.Value, r.Error.Message, _attempt, _isRevert, false, ms));
            _log.LogWarning("txn {Seq}: {Op} {Key} failed: {Error}", _record.SeqNum, q.Op, q.State.Key, r.Error.Message);
        }
    }

    /// <summary>Deletes an item after (recursively) deleting everything applied that depends on it.</summary>
    private bool CascadeDelete(ItemState s)
    {
        if (s.Applied is null || _failed.ContainsKey(s.Key))
        {
            return false;
        }

        foreach (var d in _deps.AppliedDependents(s.Key))
        {
            CascadeDelete(d);
        }

        if (_deps.HasAppliedDependents(s.Key))
        {
            return false; // a dependent could not be deleted
        }

        Flush();
        return Do(s, KvOp.Delete, cascade: s.Desired is not null);
    }

    /// <summary>Performs (or, for a batching descriptor, queues) one operation and records it.</summary>
    private bool Do(ItemState s, KvOp op, bool cascade)
    {
        var value = op == KvOp.Delete ? s.Applied! : s.Desired!;
        string? error = null;
        if (s.Descriptor.Batches && !cascade)
        {
            try
            {
                var prepared = s.Descriptor.Prepare(op, s.Key, value);
                if (_batch.HoldsOtherExecutorThan(prepared))
                {
                    Flush();
                }

                // Applied optimistically, so that dependent items can join the batch; Flush settles it.
                _batch.Add(new QueuedOperation(s, op, value, s.Applied, prepared));
                s.Applied = op == KvOp.Delete ? null : value;
                s.Error = null;
                AddDependentsToScope(s);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e.Message;
            }
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            if (error is not null)
            {
                throw new KvOperationException(error, transient: false);
            }

            switch (op)
            {
                case KvOp.Create:
                    s.Descriptor.Create(s.Key, value);
                    s.Applied = value;
                    break;
                case KvOp.Update:
                    s.Descriptor.Update(s.Key, s.Applied!, value);
                    s.Applied = value;
                    break;
                case KvOp.Delete:
                    s.Descriptor.Delete(s.Key, value);
                    s.Applied = null;
                    break;
            }

            s.Error = null;
            AddDependentsToScope(s);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e.Message;
            s.Error = error;
            s.LastFailureTransient = e is not KvOperationException { Transient: false };
            _failed[s.Key] = error;
            _log.LogWarning("txn {Seq}: {Op} {Key} failed: {Error}", _record.SeqNum, op, s.Key, error);
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _record.Operations.Add(new KvOpRecord(s.Key, op, value, error, _attempt, _isRevert, cascade, ms));
        return error is null;
    }

    /// <summary>Items depending on this one may now be created, or must follow its removal.</summary>
    private void AddDependentsToScope(ItemState s)
    {
        if (_scope is not null)
        {
            foreach (var other in _deps.DesiredOrAppliedDependents(s.Key))
            {
                _scope.Add(other.Key);
            }
        }
    }
}
