namespace Contiv.Linux;

/// <summary>What happened to a link; see <see cref="LinkWatcher"/>.</summary>
public enum LinkEventKind
{
    /// <summary>A link appeared (created or moved into the namespace).</summary>
    Added,

    /// <summary>A link disappeared (deleted or moved out); the event carries its last known state.</summary>
    Deleted,

    /// <summary>The link became operational: administratively up and carrier present (IFF_UP and IFF_LOWER_UP).</summary>
    Up,

    /// <summary>The link stopped being operational: set down or lost its carrier.</summary>
    Down,

    /// <summary>Anything else changed (name, MTU, MAC, master, operstate without an up/down transition).</summary>
    Changed,
}

/// <summary>A link change in the watched namespace.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Link">The link's state after the change (for <see cref="LinkEventKind.Deleted"/>: its last state).</param>
public sealed record LinkEvent(LinkEventKind Kind, Link Link)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Link.Name} (#{Link.Index})";
}
