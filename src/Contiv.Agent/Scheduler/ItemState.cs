namespace Contiv.Agent.Scheduler;

/// <summary>What the scheduler knows of one item: its desired and its applied value, and how its last operation went.</summary>
internal sealed class ItemState(string key, RegisteredDescriptor descriptor)
{
    public string Key { get; } = key;

    public RegisteredDescriptor Descriptor { get; } = descriptor;

    /// <summary>What should exist (null: the item should not exist).</summary>
    public object? Desired { get; set; }

    /// <summary>What exists as far as the scheduler knows (null: does not exist).</summary>
    public object? Applied { get; set; }

    /// <summary>The item this one is derived from, if any (it is removed with its parent and depends on it).</summary>
    public string? ParentKey { get; set; }

    /// <summary>Error of the last failed operation; cleared when one succeeds.</summary>
    public string? Error { get; set; }

    /// <summary>False when the last failure was permanent (a retry inside the transaction would not help).</summary>
    public bool LastFailureTransient { get; set; } = true;
}
