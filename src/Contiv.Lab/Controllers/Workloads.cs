using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>What the workload controllers share: owner references, pod states, selectors, template hashes.</summary>
internal static class Workloads
{
    /// <summary>Label carrying the hash of the pod template a ReplicaSet or pod was made from (Deployments).</summary>
    public const string TemplateHashLabel = "pod-template-hash";

    /// <summary>Label carrying the template hash of a DaemonSet's pods.</summary>
    public const string RevisionHashLabel = "controller-revision-hash";

    /// <summary>Annotation with a ReplicaSet's (and its Deployment's) revision number.</summary>
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>An owner reference marking <paramref name="owner"/> as the controller.</summary>
    public static V1OwnerReference ControllerRef(string apiVersion, string kind, V1ObjectMeta owner) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Name,
        Uid = owner.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>The controller owner reference of an object, or null.</summary>
    public static V1OwnerReference? ControllerOf(V1ObjectMeta meta) => meta.OwnerReferences?.FirstOrDefault(o => o.Controller == true);

    /// <summary>True when <paramref name="meta"/> is controlled by the object with <paramref name="uid"/>.</summary>
    public static bool IsControlledBy(V1ObjectMeta meta, string uid) => ControllerOf(meta)?.Uid == uid;

    /// <summary>Not being deleted and not finished.</summary>
    public static bool IsActive(V1Pod pod) => pod.Metadata.DeletionTimestamp is null && pod.Status?.Phase is not ("Succeeded" or "Failed");

    /// <summary>The pod's Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>Ready for at least <paramref name="minReadySeconds"/>.</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTime now)
    {
        var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "True");
        return ready is not null && (minReadySeconds <= 0 || ready.LastTransitionTime is null || ready.LastTransitionTime.Value.AddSeconds(minReadySeconds) <= now);
    }

    /// <summary>A LabelSelector in the query syntax of <c>labelSelector=</c>.</summary>
    public static string SelectorQuery(V1LabelSelector? selector)
    {
        var terms = new List<string>();
        foreach (var (k, v) in selector?.MatchLabels ?? new Dictionary<string, string>())
        {
            terms.Add($"{k}={v}");
        }

        foreach (var e in selector?.MatchExpressions ?? [])
        {
            var values = string.Join(',', e.Values ?? []);
            terms.Add(e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({values})",
                "NotIn" => $"{e.Key} notin ({values})",
                "Exists" => e.Key,
                _ => $"!{e.Key}",
            });
        }

        return string.Join(',', terms);
    }

    /// <summary>True when the node's labels satisfy a pod's nodeSelector.</summary>
    public static bool NodeMatches(V1Node node, IDictionary<string, string>? nodeSelector)
        => nodeSelector is null || nodeSelector.All(kv => node.Metadata.Labels?.TryGetValue(kv.Key, out var v) == true && v == kv.Value);

    /// <summary>The node's Ready condition is True.</summary>
    public static bool NodeReady(V1Node node) => node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>A short stable hash of a pod template (label-value safe), as the Deployment controller names ReplicaSets.</summary>
    public static string TemplateHash(V1PodTemplateSpec template)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(template)));
        var sb = new StringBuilder(10);
        for (var i = 0; i < 10; i++)
        {
            sb.Append(SafeAlphabet[bytes[i] % SafeAlphabet.Length]);
        }

        return sb.ToString();
    }

    /// <summary>A label's or annotation's value, or null.</summary>
    public static string? Get(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var v) ? v : null;

    /// <summary>A deep copy of a model object.</summary>
    public static T Clone<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    /// <summary>A pod from a template, owned by <paramref name="owner"/>, named after <paramref name="prefix"/>.</summary>
    public static V1Pod PodFromTemplate(V1PodTemplateSpec template, string ns, string prefix, V1OwnerReference owner, IDictionary<string, string>? extraLabels = null)
    {
        var t = Clone(template);
        var labels = new Dictionary<string, string>(t.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in extraLabels ?? new Dictionary<string, string>())
        {
            labels[k] = v;
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = prefix + "-",
                NamespaceProperty = ns,
                Labels = labels,
                Annotations = t.Metadata?.Annotations,
                OwnerReferences = [owner],
            },
            Spec = t.Spec,
        };
    }

    /// <summary>Resolves an int-or-percent (<c>25%</c>) against <paramref name="total"/>, rounding up or down.</summary>
    public static int Resolve(IntOrString? value, int total, bool roundUp, int fallback)
    {
        if (value is null || string.IsNullOrEmpty(value.Value))
        {
            return fallback;
        }

        var text = value.Value;
        if (text.EndsWith('%'))
        {
            var percent = int.Parse(text.AsSpan(0, text.Length - 1), System.Globalization.CultureInfo.InvariantCulture);
            var exact = percent * total / 100.0;
            return (int)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
        }

        return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A condition keeping the previous transition time when its status did not change.</summary>
    public static T Condition<T>(IList<T>? previous, Func<T, string> type, Func<T, string> status, T next, Func<T, T, T> keepTimes)
        where T : class
    {
        var old = previous?.FirstOrDefault(c => type(c) == type(next));
        return old is not null && status(old) == status(next) ? keepTimes(old, next) : next;
    }
}
