using System.Net;
using System.Reflection;
using Contiv.Yaml;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Crd.Definitions;

/// <summary>
/// Creates (or updates to the shipped shape) the CustomResourceDefinitions of <see cref="CrdKind.All"/>,
/// read from the <c>deploy/crds/</c> YAML files embedded in the executable.
/// </summary>
internal static partial class CrdRegistration
{
    /// <summary>The shipped definition of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The CustomResourceDefinition.</returns>
    public static V1CustomResourceDefinition Definition(CrdKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var resource = "crds/" + kind.File;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded CRD definition '{resource}' is missing from contiv-crd");
        using var reader = new StreamReader(stream);
        var json = YamlJson.Parse(reader.ReadToEnd())?.ToJsonString()
            ?? throw new InvalidOperationException($"embedded CRD definition '{resource}' is empty");
        return KubernetesJson.Deserialize<V1CustomResourceDefinition>(json);
    }

    /// <summary>Creates every definition that is missing and replaces those whose spec differs.</summary>
    /// <param name="client">Kubernetes client.</param>
    /// <param name="log">Logger.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>A task that completes when every definition is in place.</returns>
    public static async Task EnsureAllAsync(IKubernetes client, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        foreach (var kind in CrdKind.All)
        {
            var wanted = Definition(kind);
            try
            {
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(wanted, cancellationToken: ct).ConfigureAwait(false);
                LogCreated(log, kind.CrdName);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                var current = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(kind.CrdName, cancellationToken: ct).ConfigureAwait(false);
                if (KubernetesJson.Serialize(current.Spec) != KubernetesJson.Serialize(wanted.Spec))
                {
                    wanted.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                    await client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(wanted, kind.CrdName, cancellationToken: ct).ConfigureAwait(false);
                    LogUpdated(log, kind.CrdName);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "registered CustomResourceDefinition {Name}")]
    private static partial void LogCreated(ILogger log, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "updated CustomResourceDefinition {Name} to the shipped definition")]
    private static partial void LogUpdated(ILogger log, string name);
}
