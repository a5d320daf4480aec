using System.Globalization;
using System.Text;

namespace Contiv.Agent.Policy;

/// <summary>
/// A rendered table of rules: a pod's local table (shared by every pod with the same rules) or the node-global table.
/// The ID of a local table is the FNV-64a hash of its rules' text, in hex, so equal tables get equal IDs on every
/// node and across restarts.
/// </summary>
/// <param name="Id">Table ID (hash, or <see cref="GlobalId"/>).</param>
/// <param name="Rules">Rules in evaluation order.</param>
internal sealed record RuleTable(string Id, IReadOnlyList<ContivRule> Rules)
{
    /// <summary>ID of the node-global table.</summary>
    public const string GlobalId = "NODE-GLOBAL";

    /// <summary>A local table with its hash ID.</summary>
    public static RuleTable Local(IReadOnlyList<ContivRule> rules) => new(HashOf(rules), rules);

    /// <summary>FNV-64a over the rules' text (one rule per line), as 16 hex digits.</summary>
    public static string HashOf(IReadOnlyList<ContivRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        const ulong offset = 14695981039346656037UL, prime = 1099511628211UL;
        var hash = offset;
        foreach (var r in rules)
        {
            foreach (var b in Encoding.UTF8.GetBytes(r.ToString() + "\n"))
            {
                hash ^= b;
                hash *= prime;
            }
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
