using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>Kubernetes Pod → KSR <c>pod.Pod</c> record and <c>sfc.Sfc</c> record (SPEC §1.3).</summary>
public static class PodConversion
{
    /// <summary>Label that puts a pod into the SFC pod-to-node map.</summary>
    public const string SfcLabel = "sfc";

    /// <summary>
    /// Converts a pod: name, namespace, labels (both the sorted list <c>label</c> and the map
    /// <c>labels</c>), <c>status.podIP</c>, <c>status.hostIP</c>, containers with their TCP/UDP ports,
    /// and only the <c>contivpp.io*</c> annotations.
    /// </summary>
    /// <param name="pod">The Kubernetes pod.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">The pod has no name or namespace.</exception>
    public static Pod ToProto(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var result = new Pod
        {
            Name = Metadata.Name(pod.Metadata, "pod"),
            Namespace = Metadata.Namespace(pod.Metadata, "pod"),
            IpAddress = pod.Status?.PodIP ?? string.Empty,
            HostIpAddress = pod.Status?.HostIP ?? string.Empty,
        };

        foreach (var (key, value) in Metadata.SortedLabels(pod.Metadata.Labels))
        {
            result.Label.Add(new Pod.Types.Label { Key = key, Value = value });
            result.Labels[key] = value;
        }

        foreach (var container in pod.Spec?.Containers ?? [])
        {
            var c = new Pod.Types.Container { Name = container.Name ?? string.Empty };
            foreach (var port in container.Ports ?? [])
            {
                // The record only knows TCP and UDP; an SCTP port must not turn into a TCP one
                // (named ports in policies resolve through these).
                if (!TryProtocol(port.Protocol, out var protocol))
                {
                    continue;
                }

                c.Port.Add(new Pod.Types.Container.Types.Port
                {
                    Name = port.Name ?? string.Empty,
                    HostPort = port.HostPort ?? 0,
                    ContainerPort = port.ContainerPort,
                    Protocol = protocol,
                    HostIpAddress = port.HostIP ?? string.Empty,
                });
            }

            result.Container.Add(c);
        }

        foreach (var (key, value) in Metadata.ContivAnnotations(pod.Metadata.Annotations))
        {
            result.Annotations[key] = value;
        }

        return result;
    }

    /// <summary>True when the pod carries the label <c>sfc=true</c>.</summary>
    /// <param name="pod">The pod.</param>
    public static bool IsSfcPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Metadata?.Labels is { } labels
            && labels.TryGetValue(SfcLabel, out var v)
            && string.Equals(v, "true", StringComparison.Ordinal);
    }

    /// <summary>Converts an SFC pod into its pod-to-node record {pod name, <c>spec.nodeName</c>}.</summary>
    /// <param name="pod">The pod (labelled <c>sfc=true</c>).</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">The pod has no name or namespace.</exception>
    public static Sfc ToSfc(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _ = Metadata.Namespace(pod.Metadata, "pod");
        return new Sfc
        {
            Pod = Metadata.Name(pod.Metadata, "pod"),
            Node = pod.Spec?.NodeName ?? string.Empty,
        };
    }

    private static bool TryProtocol(string? protocol, out Pod.Types.Container.Types.Port.Types.Protocol result)
    {
        switch (protocol)
        {
            case null or "" or "TCP":
                result = Pod.Types.Container.Types.Port.Types.Protocol.Tcp;
                return true;
            case "UDP":
                result = Pod.Types.Container.Types.Port.Types.Protocol.Udp;
                return true;
            default:
                result = default;
                return false;
        }
    }
}
