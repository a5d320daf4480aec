namespace Contiv.Agent.Scheduler;

/// <summary>What the scheduler knows of one item: its desired and its applied value, and how its last operation went.</summary>
/// <remarks>
/// Every change of <see cref="Desired"/>, <see cref="Applied"/> or <see cref="ParentKey"/> is reported to the owning
/// <see cref="ItemTable"/>, which keeps its indexes (dependents by key, children by parent, items touched since the
/// last clean-up) current; so a transaction never rebuilds them from all items.
/// </remarks>
internal sealed class ItemState(string key, RegisteredDescriptor descriptor, ItemTable owner)
{
    private object? _desired;
    private object? _applied;
    private string? _parentKey;

    public string Key { get; } = key;

    public RegisteredDescriptor Descriptor { get; } = descriptor;

    /// <summary>What should exist (null: the item should not exist).</summary>
    public object? Desired
    {
        get => _desired;
        set
        {
            if (!ReferenceEquals(_desired, value))
            {
                _desired = value;
                owner.OnDesiredChanged(this);
            }
        }
    }

    /// <summary>What exists as far as the scheduler knows (null: does not exist).</summary>
    public object? Applied
    {
        get => _applied;
        set
        {
            if (!ReferenceEquals(_applied, value))
            {
                _applied = value;
                owner.OnAppliedChanged(this);
            }
        }
    }

    /// <summary>The item this one is derived from, if any (it is removed with its parent and depends on it).</summary>
    public string? ParentKey
    {
        get => _parentKey;
        set
        {
            if (_parentKey != value)
            {
                var old = _parentKey;
                _parentKey = value;
                owner.OnParentChanged(this, old);
            }
        }
    }

    /// <summary>Keys the desired value depended on when it was last indexed (what to unindex when it changes).</summary>
    internal string[] IndexedDesiredDependencies { get; set; } = [];

    /// <summary>Keys the applied value depended on when it was last indexed.</summary>
    internal string[] IndexedAppliedDependencies { get; set; } = [];

    /// <summary>Error of the last failed operation; cleared when one succeeds.</summary>
    public string? Error { get; set; }

    /// <summary>False when the last failure was permanent (a retry inside the transaction would not help).</summary>
    public bool LastFailureTransient { get; set; } = true;
}
