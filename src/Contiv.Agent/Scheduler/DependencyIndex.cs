namespace Contiv.Agent.Scheduler;

/// <summary>
/// Dependencies between items: what an item's value needs (its descriptor's dependencies plus its parent, for a
/// derived item) and, inverted, which items depend on a key.
/// </summary>
internal sealed class DependencyIndex(ItemTable items)
{
    /// <summary>Keys <paramref name="value"/> (the item's desired or applied value) depends on.</summary>
    public static IEnumerable<string> Of(ItemState s, object value)
    {
        var deps = s.Descriptor.Dependencies(s.Key, value);
        return s.ParentKey is null ? deps : deps.Append(s.ParentKey);
    }

    /// <summary>True when every dependency of <paramref name="value"/> is both desired and applied.</summary>
    public bool Met(ItemState s, object value) => !Of(s, value).Any(d => !items.TryGet(d, out var ds) || ds.Applied is null || ds.Desired is null);

    /// <summary>Dependencies of the desired value that are not applied (for the pending dump).</summary>
    public IEnumerable<string> Missing(ItemState s)
        => s.Desired is null ? [] : Of(s, s.Desired).Where(d => !items.TryGet(d, out var ds) || ds.Applied is null);

    /// <summary>Map from a key to the items whose desired or applied value depends on it.</summary>
    public Dictionary<string, List<ItemState>> DesiredOrAppliedDependents() => DependentsBy(desiredToo: true);

    /// <summary>Map from a key to the applied items whose applied value depends on it.</summary>
    public Dictionary<string, List<ItemState>> AppliedDependents() => DependentsBy(desiredToo: false);

    private Dictionary<string, List<ItemState>> DependentsBy(bool desiredToo)
    {
        var map = new Dictionary<string, List<ItemState>>(StringComparer.Ordinal);
        foreach (var s in items.All)
        {
            if (desiredToo && s.Desired is not null)
            {
                Add(map, s, s.Desired);
            }

            if (s.Applied is not null)
            {
                Add(map, s, s.Applied);
            }
        }

        return map;
    }

    private static void Add(Dictionary<string, List<ItemState>> map, ItemState s, object value)
    {
        foreach (var d in Of(s, value))
        {
            if (!map.TryGetValue(d, out var list))
            {
                list = [];
                map[d] = list;
            }

            if (list.Count == 0 || list[^1] != s)
            {
                list.Add(s); // once per item, also when both its values depend on the key
            }
        }
    }
}
