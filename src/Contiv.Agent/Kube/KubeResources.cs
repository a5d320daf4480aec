using Contiv.Model;
using Contiv.Model.Crd;
using Contiv.Model.IdAlloc;
using Contiv.Model.Ipam;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Google.Protobuf;

namespace Contiv.Agent.Kube;

/// <summary>The resources the agent mirrors from under the KSR prefix, and how their values parse.</summary>
internal static class KubeResources
{
    /// <summary>Resource keyword of pods.</summary>
    public const string Pod = "pod";

    /// <summary>Resource keyword of k8s nodes.</summary>
    public const string Node = "node";

    /// <summary>Resource keyword of node ID allocations.</summary>
    public const string VppNode = "vppnode";

    /// <summary>Resource keyword of services.</summary>
    public const string Service = "service";

    /// <summary>Resource keyword of endpoints.</summary>
    public const string Endpoints = "endpoints";

    /// <summary>Resource keyword of custom interface IP allocations.</summary>
    public const string CustomIpam = "custom-ipam";

    /// <summary>Resolves a key relative to the KSR prefix to its resource keyword; null when the agent does not watch it.</summary>
    public static string? ResourceOf(string relativeKey)
    {
        foreach (var (keyword, prefix, _) in Keys.AgentResources)
        {
            if (relativeKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                return keyword;
            }
        }

        return null;
    }

    /// <summary>Parses a value of a resource; throws <see cref="FormatException"/> naming the key on bad JSON.</summary>
    public static IMessage Parse(string resource, string key, string json)
    {
        try
        {
            return resource switch
            {
                "vppnode" => ProtoJson.Parse<VppNode>(json),
                "nodeconfig" => ProtoJson.Parse<NodeConfig>(json),
                "node" => ProtoJson.Parse<Node>(json),
                "pod" => ProtoJson.Parse<Pod>(json),
                "namespace" => ProtoJson.Parse<Namespace>(json),
                "policy" => ProtoJson.Parse<Model.Ksr.Policy>(json),
                "service" => ProtoJson.Parse<Service>(json),
                "endpoints" => ProtoJson.Parse<Endpoints>(json),
                "customnetwork" => ProtoJson.Parse<CustomNetwork>(json),
                "external-interface" => ProtoJson.Parse<ExternalInterface>(json),
                "servicefunctionchain" => ProtoJson.Parse<ServiceFunctionChain>(json),
                "custom-ipam" => ProtoJson.Parse<CustomIPAllocation>(json),
                "idalloc" => ProtoJson.Parse<AllocationPool>(json),
                _ => throw new FormatException($"unknown resource {resource}"),
            };
        }
        catch (FormatException e)
        {
            throw new FormatException($"etcd key {key}: {e.Message}", e);
        }
    }
}
