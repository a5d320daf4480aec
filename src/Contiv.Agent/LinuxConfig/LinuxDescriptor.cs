using Contiv.Agent.Scheduler;
using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Common parts of Linux descriptors: dependency lists and netlink error mapping.</summary>
internal abstract class LinuxDescriptor<T>(LinuxNamespaces namespaces) : KvDescriptor<T>
    where T : class
{
    /// <summary>Namespace access.</summary>
    protected LinuxNamespaces Namespaces { get; } = namespaces;

    /// <summary>Comma-separated dependency keys of a value.</summary>
    protected abstract string DependsOn(T value);

    /// <summary>Namespace of a value.</summary>
    protected abstract string NetnsOf(T value);

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, T value) => DependsOn(value).Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Creates the item in Linux.</summary>
    protected abstract void Apply(RtNetlink nl, T value);

    /// <summary>Removes the item from Linux.</summary>
    protected abstract void Remove(RtNetlink nl, T value);

    /// <summary>True when the item exists as described.</summary>
    protected abstract bool Exists(RtNetlink nl, T value);

    /// <inheritdoc/>
    public override void Create(string key, T value)
    {
        var v = value;
        try
        {
            Namespaces.With(NetnsOf(v), nl => Apply(nl, v));
        }
        catch (NetlinkException e) when (e.IsAlreadyExists)
        {
            // Already there: the desired state holds.
        }
        catch (NetlinkException e)
        {
            throw new KvOperationException($"{Name} {key}: {e.Message}", transient: !e.IsNotFound, e);
        }
    }

    /// <inheritdoc/>
    public override void Update(string key, T oldValue, T newValue)
    {
        Delete(key, oldValue);
        Create(key, newValue);
    }

    /// <inheritdoc/>
    public override void Delete(string key, T value)
    {
        var v = value;
        try
        {
            Namespaces.With(NetnsOf(v), nl => Remove(nl, v));
        }
        catch (NetlinkException e) when (e.IsNotFound)
        {
            // Gone with its link or namespace: deleting a missing item succeeds.
        }
        catch (NetlinkException e)
        {
            throw new KvOperationException($"{Name} {key}: {e.Message}", transient: true, e);
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, T>? Retrieve(IReadOnlyDictionary<string, T> keysOfInterest, RetrieveContext context)
    {
        ArgumentNullException.ThrowIfNull(keysOfInterest);
        var found = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (key, v) in keysOfInterest)
        {
            try
            {
                if (Namespaces.With(NetnsOf(v), nl => Exists(nl, v)))
                {
                    found[key] = v;
                }
            }
            catch (NetlinkException)
            {
                // Namespace or link missing: the item does not exist.
            }
        }

        return found;
    }

    /// <summary>Index of a link; throws IsNotFound when missing.</summary>
    protected static int IndexOf(RtNetlink nl, string name) => nl.GetLinkIndex(name);

    /// <summary>Index of a link or null.</summary>
    protected static int? FindIndex(RtNetlink nl, string name) => nl.FindLink(name)?.Index;
}
