using Contiv.Stn.Linux;
using Contiv.Stn.State;
using Microsoft.Extensions.Logging;

namespace Contiv.Stn;

/// <summary>
/// The interfaces contiv-stn holds and the three things done with them: steal, revert (release, health
/// check, shutdown) and repair. One request at a time (a gate), every change persisted before the reply.
/// </summary>
internal sealed class StolenInterfaces : IAsyncDisposable
{
    // After a revert the repair loop checks every RepairInterval until the link is consistent; it gives
    // up after this many checks (a minute with the default 3 s) and logs what is still missing.
    private const int MaxRepairChecks = 20;

    private readonly NicTakeover _takeover;
    private readonly PciDriverBinding _pci;
    private readonly StolenInterfaceStore _store;
    private readonly TimeSpan _repairInterval;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, StolenInterface> _stolen = new(StringComparer.Ordinal);
    private readonly List<Task> _repairs = [];
    private readonly CancellationTokenSource _stopping = new();

    public StolenInterfaces(NicTakeover takeover, PciDriverBinding pci, StolenInterfaceStore store, TimeSpan repairInterval, ILogger log)
    {
        _takeover = takeover;
        _pci = pci;
        _store = store;
        _repairInterval = repairInterval;
        _log = log;
        foreach (var nic in store.Load())
        {
            _stolen[nic.Name] = nic;
            log.LogInformation("interface {Name} was stolen by an earlier run (state file {Path})", nic.Name, store.Path);
        }
    }

    /// <summary>Raised after an interface was stolen (the health check arms itself on it).</summary>
    public event Action? Stolen;

    /// <summary>Number of interfaces held.</summary>
    public int Count
    {
        get
        {
            lock (_stolen)
            {
                return _stolen.Count;
            }
        }
    }

    /// <summary>Names of the interfaces held, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_stolen)
            {
                return [.. _stolen.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Steals <paramref name="name"/>; a second request for a stolen interface returns the data saved the first time.</summary>
    public async Task<StolenInterface> StealAsync(string name, bool dhcpEnabled, CancellationToken ct)
    {
        RequireName(name);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (TryGet(name) is { } known)
            {
                return known;
            }

            // Saved durably before the link is touched: whatever happens next, a restart can give it back.
            var nic = _takeover.Snapshot(name, dhcpEnabled);
            lock (_stolen)
            {
                _stolen[name] = nic;
            }

            try
            {
                Persist();
            }
            catch (IOException e)
            {
                lock (_stolen)
                {
                    _stolen.Remove(name);
                }

                throw new StnException(StnError.Failed, $"interface '{name}' not stolen: the state file {_store.Path} cannot be written: {e.Message}");
            }

            _takeover.TakeDown(nic);
            _pci.BindToUserSpace(nic.PciAddress);
            _log.LogInformation("stole interface {Name} (driver {Driver}, PCI {Pci}): addresses [{Addresses}], {Routes} routes",
                name, nic.KernelDriver, nic.PciAddress, string.Join(", ", nic.Addresses), nic.Routes.Count);
        }
        finally
        {
            _gate.Release();
        }

        Stolen?.Invoke();
        return TryGet(name)!;
    }

    /// <summary>The saved data of <paramref name="name"/>, or of any stolen interface when empty.</summary>
    /// <exception cref="StnException">Nothing (matching) is stolen.</exception>
    public StolenInterface Info(string name)
    {
        lock (_stolen)
        {
            if (name.Length == 0)
            {
                return _stolen.Values.FirstOrDefault() ?? throw new StnException(StnError.NotFound, "no interface is stolen");
            }

            return _stolen.TryGetValue(name, out var nic) ? nic : throw NotStolen(name);
        }
    }

    /// <summary>Gives <paramref name="name"/> back to the host.</summary>
    /// <exception cref="StnException">It is not stolen, or it did not reappear for the revert.</exception>
    public async Task<StolenInterface> ReleaseAsync(string name, CancellationToken ct)
    {
        RequireName(name);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var nic = TryGet(name) ?? throw NotStolen(name);
            await RevertAsync(nic, ct).ConfigureAwait(false);
            return nic;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gives every stolen interface back (health check failure, shutdown); errors are logged per interface.</summary>
    public async Task RevertAllAsync(string reason, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            List<StolenInterface> all;
            lock (_stolen)
            {
                all = [.. _stolen.Values];
            }

            if (all.Count > 0)
            {
                _log.LogWarning("reverting every stolen interface ({Names}): {Reason}", string.Join(", ", all.Select(n => n.Name)), reason);
            }

            foreach (var nic in all)
            {
                try
                {
                    await RevertAsync(nic, ct).ConfigureAwait(false);
                }
                catch (StnException e)
                {
                    _log.LogError("revert of {Name} failed: {Error}", nic.Name, e.Message);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits (bounded) for running repair loops, then stops them.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] repairs;
        lock (_repairs)
        {
            repairs = [.. _repairs];
        }

        // A revert at shutdown still gets its first consistency check (SPEC: re-check after 3 s).
        await Task.WhenAny(Task.WhenAll(repairs), Task.Delay(_repairInterval * 2)).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(repairs).ConfigureAwait(false);
        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task RevertAsync(StolenInterface nic, CancellationToken ct)
    {
        try
        {
            _pci.BindBack(nic.PciAddress, nic.KernelDriver);
        }
        catch (IOException e)
        {
            _log.LogError("interface {Name}: {Error}", nic.Name, e.Message);
        }

        var problems = await _takeover.RestoreAsync(nic, ct).ConfigureAwait(false);
        foreach (var p in problems)
        {
            _log.LogWarning("revert of {Name}: {Problem} (the repair loop retries)", nic.Name, p);
        }

        lock (_stolen)
        {
            _stolen.Remove(nic.Name);
        }

        try
        {
            Persist();
        }
        catch (IOException e)
        {
            // Harmless: a restart would give the interface back once more (re-adding is idempotent).
            _log.LogError("interface {Name} given back but the state file {Path} cannot be written: {Error}", nic.Name, _store.Path, e.Message);
        }

        _log.LogInformation("gave interface {Name} back to the host", nic.Name);
        var repair = RepairLoopAsync(nic);
        lock (_repairs)
        {
            _repairs.RemoveAll(t => t.IsCompleted);
            _repairs.Add(repair);
        }
    }

    // SPEC §1.8: re-check 3 s after a revert and repair (link up, missing address, missing route) until consistent.
    private async Task RepairLoopAsync(StolenInterface nic)
    {
        try
        {
            for (var check = 0; check < MaxRepairChecks; check++)
            {
                await Task.Delay(_repairInterval, _stopping.Token).ConfigureAwait(false);
                if (TryGet(nic.Name) is not null)
                {
                    return; // stolen again meanwhile: nothing to repair
                }

                var differences = _takeover.Differences(nic);
                if (differences.Count == 0)
                {
                    return;
                }

                _log.LogWarning("interface {Name} is not as it was before the steal ({Differences}); repairing", nic.Name, string.Join("; ", differences));
                _ = _takeover.Repair(nic);
            }

            _log.LogError("interface {Name}: still not consistent after {Checks} repairs: {Differences}",
                nic.Name, MaxRepairChecks, string.Join("; ", _takeover.Differences(nic)));
        }
        catch (OperationCanceledException)
        {
            // contiv-stn is stopping
        }
    }

    private StolenInterface? TryGet(string name)
    {
        lock (_stolen)
        {
            return _stolen.GetValueOrDefault(name);
        }
    }

    private void Persist()
    {
        List<StolenInterface> all;
        lock (_stolen)
        {
            all = [.. _stolen.Values];
        }

        _store.Save(all);
    }

    private static void RequireName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new StnException(StnError.InvalidArgument, "interface_name is empty");
        }
    }

    private static StnException NotStolen(string name) => new(StnError.NotFound, $"interface '{name}' is not stolen");
}
