using Contiv.Model.Ksr;

namespace Contiv.Agent.Policy;

/// <summary>Kubernetes label selector evaluation over KSR's <c>Policy.LabelSelector</c>.</summary>
internal static class LabelSelectors
{
    /// <summary>
    /// True when <paramref name="labels"/> satisfy every match label and every expression of
    /// <paramref name="selector"/> (ANDed); an empty selector matches everything.
    /// </summary>
    public static bool Matches(Model.Ksr.Policy.Types.LabelSelector selector, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var l in selector.MatchLabel)
        {
            if (!labels.TryGetValue(l.Key, out var v) || v != l.Value)
            {
                return false;
            }
        }

        foreach (var e in selector.MatchExpression)
        {
            var has = labels.TryGetValue(e.Key, out var v);
            var ok = e.Operator switch
            {
                Model.Ksr.Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.In => has && e.Value.Contains(v!),
                Model.Ksr.Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.NotIn => !has || !e.Value.Contains(v!),
                Model.Ksr.Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.Exists => has,
                Model.Ksr.Policy.Types.LabelSelector.Types.LabelExpression.Types.Operator.DoesNotExist => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The labels of a KSR pod: the <c>labels</c> map, or the legacy list when the map is empty.</summary>
    public static IReadOnlyDictionary<string, string> Of(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.Labels.Count > 0 || pod.Label.Count == 0)
        {
            return pod.Labels;
        }

        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in pod.Label)
        {
            d[l.Key] = l.Value;
        }

        return d;
    }

    /// <summary>The labels of a KSR namespace, plus <c>kubernetes.io/metadata.name</c> as Kubernetes sets it.</summary>
    public static IReadOnlyDictionary<string, string> Of(Namespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in ns.Label)
        {
            d[l.Key] = l.Value;
        }

        d.TryAdd("kubernetes.io/metadata.name", ns.Name);
        return d;
    }
}
