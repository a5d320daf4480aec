using YamlDotNet.RepresentationModel;

namespace Contiv.Deploy.Tests;

/// <summary>A container of a rendered workload.</summary>
/// <param name="Workload">The DaemonSet/Deployment/StatefulSet.</param>
/// <param name="Node">The container's own mapping.</param>
/// <param name="IsInit">An init container.</param>
internal sealed record ContainerSpec(KubeObject Workload, YamlNode Node, bool IsInit)
{
    /// <summary>Container name.</summary>
    public string Name => Yaml.Text(Node, "name") ?? string.Empty;

    /// <summary>Image reference.</summary>
    public string Image => Yaml.Text(Node, "image") ?? string.Empty;

    /// <summary>imagePullPolicy, or null.</summary>
    public string? PullPolicy => Yaml.Text(Node, "imagePullPolicy");

    /// <summary>command followed by args.</summary>
    public IReadOnlyList<string> CommandLine => [.. Yaml.Strings(Node, "command"), .. Yaml.Strings(Node, "args")];

    /// <summary>Environment: literal values, or <c>&lt;from …&gt;</c> for valueFrom entries.</summary>
    public IReadOnlyDictionary<string, string> Env => Yaml.Items(Node, "env").ToDictionary(
        e => Yaml.Text(e, "name")!,
        e => Yaml.Text(e, "value") ?? "<from " + string.Join(",", ((YamlMappingNode?)Yaml.At(e, "valueFrom"))?.Children.Keys.Select(k => k.ToString()) ?? []) + ">");

    /// <summary>mountPath → volume name.</summary>
    public IReadOnlyDictionary<string, string> Mounts => Yaml.Items(Node, "volumeMounts").ToDictionary(
        m => Yaml.Text(m, "mountPath")!, m => Yaml.Text(m, "name")!);

    /// <inheritdoc />
    public override string ToString() => $"{Workload.Kind} {Workload.Name} container {Name}";
}

/// <summary>Helpers over the pod templates of rendered workloads.</summary>
internal static class Workloads
{
    /// <summary>Kinds whose objects carry a pod template.</summary>
    public static readonly string[] Kinds = ["DaemonSet", "Deployment", "StatefulSet"];

    /// <summary>The workloads of a render.</summary>
    public static IEnumerable<KubeObject> Of(IReadOnlyList<KubeObject> objects) => objects.Where(o => Kinds.Contains(o.Kind));

    /// <summary>The pod spec of a workload.</summary>
    public static YamlNode PodSpec(KubeObject workload) =>
        workload.At("spec.template.spec") ?? throw new InvalidDataException($"{workload} has no pod template");

    /// <summary>All containers (init containers first) of a workload.</summary>
    public static IEnumerable<ContainerSpec> Containers(KubeObject workload) =>
        Yaml.Items(PodSpec(workload), "initContainers").Select(c => new ContainerSpec(workload, c, IsInit: true))
            .Concat(Yaml.Items(PodSpec(workload), "containers").Select(c => new ContainerSpec(workload, c, IsInit: false)));

    /// <summary>The container named <paramref name="name"/>.</summary>
    public static ContainerSpec Container(KubeObject workload, string name) =>
        Containers(workload).SingleOrDefault(c => c.Name == name) ?? throw new InvalidDataException($"{workload} has no container {name}");

    /// <summary>volume name → the volume's mapping.</summary>
    public static IReadOnlyDictionary<string, YamlNode> Volumes(KubeObject workload) =>
        Yaml.Items(PodSpec(workload), "volumes").ToDictionary(v => Yaml.Text(v, "name")!, v => v);
}
