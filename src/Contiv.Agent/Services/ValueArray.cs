using System.Collections;

namespace Contiv.Agent.Services;

/// <summary>
/// An immutable array compared by its elements, so records holding lists (a mapping's locals, a service's
/// backends) have value equality and a re-rendered object equal to the applied one is not re-sent.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal readonly struct ValueArray<T> : IEquatable<ValueArray<T>>, IReadOnlyList<T>
{
    private readonly T[]? _items;

    /// <summary>Copies <paramref name="items"/>.</summary>
    public ValueArray(IEnumerable<T> items) => _items = [.. items];

    /// <summary>The empty array.</summary>
    public static ValueArray<T> Empty => default;

    /// <inheritdoc/>
    public int Count => _items?.Length ?? 0;

    /// <inheritdoc/>
    public T this[int index] => (_items ?? [])[index];

    /// <inheritdoc/>
    public bool Equals(ValueArray<T> other)
    {
        var a = _items ?? [];
        var b = other._items ?? [];
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Length != b.Length)
        {
            return false;
        }

        var eq = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!eq.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueArray<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var item in _items ?? [])
        {
            h.Add(item);
        }

        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Elements joined by ", ".</summary>
    public override string ToString() => string.Join(", ", _items ?? []);

    /// <summary>Equality operator.</summary>
    public static bool operator ==(ValueArray<T> left, ValueArray<T> right) => left.Equals(right);

    /// <summary>Inequality operator.</summary>
    public static bool operator !=(ValueArray<T> left, ValueArray<T> right) => !left.Equals(right);
}
