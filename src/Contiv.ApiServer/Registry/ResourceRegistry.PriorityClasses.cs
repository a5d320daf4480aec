using System.Text.Json.Nodes;
using Contiv.ApiServer.Registry.Strategies;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry;

/// <summary>The built-in PriorityClasses, which kube-apiserver creates at start and manifests rely on.</summary>
public sealed partial class ResourceRegistry
{
    /// <summary>Creates <c>system-node-critical</c> and <c>system-cluster-critical</c> when missing.</summary>
    public void EnsureSystemPriorityClasses()
    {
        var type = Catalog.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        lock (_gate)
        {
            _priorityClasses.CreatingSystemClasses = true;
            try
            {
                foreach (var (name, value, description) in PriorityClassStrategy.SystemClasses)
                {
                    if (Find(type, null, name) is null)
                    {
                        CreateLocked(type, null, new JsonObject
                        {
                            ["metadata"] = new JsonObject { ["name"] = name },
                            ["value"] = value,
                            ["description"] = description,
                        }, dryRun: false);
                    }
                }
            }
            finally
            {
                _priorityClasses.CreatingSystemClasses = false;
            }
        }
    }

    private JsonObject? FindPriorityClass(string name)
        => Find(Catalog.Find("scheduling.k8s.io", "v1", "priorityclasses")!, null, name);
}
