namespace Contiv.ApiServer.Http;

/// <summary>
/// Protobuf field numbers (k8s.io/api apps/v1, batch/v1 and core/v1 generated.proto) of the workload kinds that
/// kubectl's typed clients send (<c>kubectl create deployment|job</c>): the workload, its pod template and the pod
/// spec fields those commands and ordinary manifests set; <c>kubectl run</c> sends a Pod the same way. Unknown fields are skipped.
/// </summary>
internal static partial class ProtobufBody
{
    private static readonly HashSet<string> WorkloadKinds = ["Deployment", "ReplicaSet", "DaemonSet", "Job", "Pod"];

    private static readonly Dictionary<string, Dictionary<int, F>> WorkloadSchemas = new()
    {
        ["Deployment"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "DeploymentSpec") },
        ["DeploymentSpec"] = new()
        {
            [1] = new("replicas", K.IntPtr), [2] = new("selector", K.Msg, Type: "LabelSelector"), [3] = new("template", K.Msg, Type: "PodTemplateSpec"),
            [4] = new("strategy", K.Msg, Type: "DeploymentStrategy"), [5] = new("minReadySeconds", K.Int), [6] = new("revisionHistoryLimit", K.IntPtr),
            [7] = new("paused", K.Bool), [9] = new("progressDeadlineSeconds", K.IntPtr),
        },
        ["DeploymentStrategy"] = new() { [1] = new("type", K.Str), [2] = new("rollingUpdate", K.Msg, Type: "RollingUpdate") },
        ["RollingUpdate"] = new() { [1] = new("maxUnavailable", K.IntOrString), [2] = new("maxSurge", K.IntOrString) },
        ["ReplicaSet"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "ReplicaSetSpec") },
        ["ReplicaSetSpec"] = new()
        {
            [1] = new("replicas", K.IntPtr), [2] = new("selector", K.Msg, Type: "LabelSelector"), [3] = new("template", K.Msg, Type: "PodTemplateSpec"),
            [4] = new("minReadySeconds", K.Int),
        },
        ["DaemonSet"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "DaemonSetSpec") },
        ["DaemonSetSpec"] = new()
        {
            [1] = new("selector", K.Msg, Type: "LabelSelector"), [2] = new("template", K.Msg, Type: "PodTemplateSpec"),
            [3] = new("updateStrategy", K.Msg, Type: "DeploymentStrategy"), [4] = new("minReadySeconds", K.Int), [6] = new("revisionHistoryLimit", K.IntPtr),
        },
        ["Job"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "JobSpec") },
        ["JobSpec"] = new()
        {
            [1] = new("parallelism", K.IntPtr), [2] = new("completions", K.IntPtr), [3] = new("activeDeadlineSeconds", K.IntPtr),
            [4] = new("selector", K.Msg, Type: "LabelSelector"), [5] = new("manualSelector", K.BoolPtr), [6] = new("template", K.Msg, Type: "PodTemplateSpec"),
            [7] = new("backoffLimit", K.IntPtr), [8] = new("ttlSecondsAfterFinished", K.IntPtr), [9] = new("completionMode", K.Str), [10] = new("suspend", K.BoolPtr),
        },
        ["LabelSelector"] = new() { [1] = new("matchLabels", K.Map), [2] = new("matchExpressions", K.Msg, true, "LabelSelectorRequirement") },
        ["LabelSelectorRequirement"] = new() { [1] = new("key", K.Str), [2] = new("operator", K.Str), [3] = new("values", K.Str, true) },
        ["Pod"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "PodSpec") },
        ["PodTemplateSpec"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "PodSpec") },
        ["PodSpec"] = new()
        {
            [2] = new("containers", K.Msg, true, "Container"), [3] = new("restartPolicy", K.Str), [4] = new("terminationGracePeriodSeconds", K.IntPtr),
            [5] = new("activeDeadlineSeconds", K.IntPtr), [6] = new("dnsPolicy", K.Str), [7] = new("nodeSelector", K.Map), [8] = new("serviceAccountName", K.Str),
            [10] = new("nodeName", K.Str), [11] = new("hostNetwork", K.Bool), [16] = new("hostname", K.Str), [17] = new("subdomain", K.Str),
            [19] = new("schedulerName", K.Str), [20] = new("initContainers", K.Msg, true, "Container"), [24] = new("priorityClassName", K.Str),
        },
        ["Container"] = new()
        {
            [1] = new("name", K.Str), [2] = new("image", K.Str), [3] = new("command", K.Str, true), [4] = new("args", K.Str, true), [5] = new("workingDir", K.Str),
            [6] = new("ports", K.Msg, true, "ContainerPort"), [7] = new("env", K.Msg, true, "EnvVar"), [13] = new("terminationMessagePath", K.Str),
            [14] = new("imagePullPolicy", K.Str), [16] = new("stdin", K.Bool), [17] = new("stdinOnce", K.Bool), [18] = new("tty", K.Bool),
            [20] = new("terminationMessagePolicy", K.Str),
        },
        ["ContainerPort"] = new() { [1] = new("name", K.Str), [2] = new("hostPort", K.Int), [3] = new("containerPort", K.Int), [4] = new("protocol", K.Str), [5] = new("hostIP", K.Str) },
        ["EnvVar"] = new() { [1] = new("name", K.Str), [2] = new("value", K.Str) },
    };
}
