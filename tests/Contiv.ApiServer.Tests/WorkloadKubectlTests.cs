using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>apps/v1 and batch/v1 through the real kubectl: imperative creates (protobuf), scale, expose, set image, rollout status.</summary>
public sealed class WorkloadKubectlTests
{
    [Fact]
    public async Task Create_deployment_scale_expose_and_set_image_work_with_kubectl()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        Assert.Contains("deployment.apps/web created", kubectl.Ok("create", "deployment", "web", "--image=busybox:1.36", "--replicas=3", "--port=8080", "--", "httpd", "-f", "-p", "8080"), StringComparison.Ordinal);
        var d = JsonNode.Parse(kubectl.Ok("get", "deploy", "web", "-o", "json"))!;
        Assert.Equal(3, (int)d["spec"]!["replicas"]!);
        Assert.Equal("web", (string)d["spec"]!["selector"]!["matchLabels"]!["app"]!);
        Assert.Equal("busybox:1.36", (string)d["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
        Assert.Equal("httpd", (string)d["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]![0]!);
        Assert.Equal(8080, (int)d["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!);
        Assert.Equal("25%", (string)d["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!);
        Assert.Equal(1, (int)d["metadata"]!["generation"]!);

        Assert.Contains("deployment.apps/web scaled", kubectl.Ok("scale", "deployment", "web", "--replicas=6"), StringComparison.Ordinal);
        Assert.Equal("6", kubectl.Ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));

        Assert.Contains("service/web exposed", kubectl.Ok("expose", "deployment", "web", "--port=80", "--target-port=8080"), StringComparison.Ordinal);
        Assert.Equal("web 8080", kubectl.Ok("get", "svc", "web", "-o", "jsonpath={.spec.selector.app} {.spec.ports[0].targetPort}"));

        kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:1.37");
        Assert.Equal("busybox:1.37 3", kubectl.Ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}"));
        kubectl.Ok("set", "env", "deployment/web", "COLOR=blue");
        Assert.Equal("COLOR=blue busybox", kubectl.Ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].env[0].name}={.spec.template.spec.containers[0].env[0].value} {.spec.template.spec.containers[*].name}"));

        var table = kubectl.Ok("get", "deployments");
        Assert.Contains("UP-TO-DATE", table, StringComparison.Ordinal);
        Assert.Contains("0/6", table, StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web", kubectl.Ok("get", "all"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_run_sends_a_pod_as_protobuf_and_it_is_decoded()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        Assert.Contains("pod/box created", kubectl.Ok("run", "box", "--image=busybox", "--restart=Never", "--env=A=1", "--port=8080", "--", "sleep", "10"), StringComparison.Ordinal);
        Assert.Equal("sleep 10 A=1 8080 Never box", kubectl.Ok("get", "pod", "box", "-o",
            "jsonpath={.spec.containers[0].args[0]} {.spec.containers[0].args[1]} {.spec.containers[0].env[0].name}={.spec.containers[0].env[0].value} {.spec.containers[0].ports[0].containerPort} {.spec.restartPolicy} {.metadata.labels.run}"));
    }

    [Fact]
    public async Task Rollout_status_waits_for_the_status_the_controller_writes()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        using var client = Lab.Client(server);
        kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        var pending = kubectl.Run("rollout", "status", "deployment/web", "--timeout=1s");
        Assert.NotEqual(0, pending.ExitCode);

        var status = new JsonObject
        {
            ["status"] = new JsonObject { ["observedGeneration"] = 1, ["replicas"] = 2, ["updatedReplicas"] = 2, ["readyReplicas"] = 2, ["availableReplicas"] = 2 },
        };
        await client.AppsV1.PatchNamespacedDeploymentStatusAsync(new V1Patch(status.ToJsonString(), V1Patch.PatchType.MergePatch), "web", "default");
        Assert.Contains("successfully rolled out", kubectl.Ok("rollout", "status", "deployment/web", "--timeout=5s"), StringComparison.Ordinal);
        Assert.Equal("2/2", kubectl.Ok("get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}"));
    }

    [Fact]
    public async Task Create_job_generates_the_selector_and_kubectl_create_daemonset_from_yaml_works()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "job", "once", "--image=busybox", "--", "true");
        var job = JsonNode.Parse(kubectl.Ok("get", "job", "once", "-o", "json"))!;
        var uid = (string)job["metadata"]!["uid"]!;
        Assert.Equal(uid, (string)job["spec"]!["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!);
        Assert.Equal("once", (string)job["spec"]!["template"]!["metadata"]!["labels"]!["job-name"]!);
        Assert.Equal(6, (int)job["spec"]!["backoffLimit"]!);
        Assert.Equal("Never", (string)job["spec"]!["template"]!["spec"]!["restartPolicy"]!);

        var file = kubectl.File("ds.yaml", """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: agent
            spec:
              selector:
                matchLabels: {app: agent}
              template:
                metadata:
                  labels: {app: agent}
                spec:
                  containers:
                  - name: a
                    image: busybox
            """);
        kubectl.Ok("apply", "-f", file);
        Assert.Equal("RollingUpdate 1", kubectl.Ok("get", "ds", "agent", "-o", "jsonpath={.spec.updateStrategy.type} {.spec.updateStrategy.rollingUpdate.maxUnavailable}"));
        var bad = kubectl.File("bad.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: bad
            spec:
              selector:
                matchLabels: {app: x}
              template:
                metadata:
                  labels: {app: y}
                spec:
                  containers:
                  - name: a
                    image: busybox
            """);
        Assert.Contains("does not match template", kubectl.Run("apply", "-f", bad).StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_subresource_reads_and_writes_replicas_through_the_client()
    {
        await using var server = await Lab.StartAsync();
        using var client = Lab.Client(server);
        var rs = new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta { Name = "rs" },
            Spec = new V1ReplicaSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["a"] = "b" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["a"] = "b" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
                },
            },
        };
        await client.AppsV1.CreateNamespacedReplicaSetAsync(rs, "default");
        var scale = await client.AppsV1.ReadNamespacedReplicaSetScaleAsync("rs", "default");
        Assert.Equal(1, scale.Spec.Replicas);
        Assert.Equal("a=b", scale.Status.Selector);
        scale.Spec.Replicas = 4;
        await client.AppsV1.ReplaceNamespacedReplicaSetScaleAsync(scale, "rs", "default");
        Assert.Equal(4, (await client.AppsV1.ReadNamespacedReplicaSetAsync("rs", "default")).Spec.Replicas);
        scale.Spec.Replicas = 5;
        var stale = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.AppsV1.ReplaceNamespacedReplicaSetScaleAsync(scale, "rs", "default"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, stale.Response.StatusCode);
    }
}
