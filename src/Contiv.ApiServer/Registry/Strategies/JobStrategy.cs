using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// Jobs (batch/v1): parallelism and completions 1, backoffLimit 6, NonIndexed; unless <c>manualSelector</c>, the
/// selector is generated from the Job's uid and the template gets the <c>controller-uid</c>/<c>job-name</c> labels, as
/// kube-apiserver does. The template's restartPolicy must be Never or OnFailure.
/// </summary>
internal sealed class JobStrategy : IResourceStrategy
{
    private const string UidLabel = "batch.kubernetes.io/controller-uid";
    private const string NameLabel = "batch.kubernetes.io/job-name";

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        var spec = Json.Obj(obj, "spec");
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
        }

        spec["parallelism"] ??= 1;
        spec["backoffLimit"] ??= 6;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        spec["podReplacementPolicy"] ??= "TerminatingOrFailed";
        if (Json.Str(spec, "manualSelector") != "true")
        {
            var uid = Json.Str(obj, "metadata", "uid") ?? string.Empty;
            var name = Json.Str(obj, "metadata", "name") ?? string.Empty;
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [UidLabel] = uid } };
            var labels = Json.Obj(spec, "template", "metadata", "labels");
            labels[UidLabel] = uid;
            labels[NameLabel] = name;
            labels["controller-uid"] = uid;
            labels["job-name"] = name;
        }

        Validate(type, obj);
        obj["status"] = new JsonObject();
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        PodTemplates.KeepSelector(next, old, type.Kind);
        Validate(type, next);
    }

    private static void Validate(ResourceType type, JsonObject obj)
    {
        var template = Json.At(obj, "spec", "template") as JsonObject;
        var restart = Json.Str(template, "spec", "restartPolicy");
        if (template is not null && restart is null or "Always")
        {
            // Defaulting would make it Always, which a Job cannot use.
            throw ApiException.Invalid(type.Kind, Json.Str(obj, "metadata", "name") ?? string.Empty, "spec.template.spec.restartPolicy", "FieldValueNotSupported",
                $"Unsupported value: \"{restart ?? "Always"}\": supported values: \"OnFailure\", \"Never\"", type.Group);
        }

        PodTemplates.DefaultAndValidate(obj, type.Kind);
    }
}
