using System.Globalization;
using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>Kubernetes Service → KSR <c>service.Service</c> record (SPEC §1.3).</summary>
internal static class ServiceConversion
{
    /// <summary>Kubernetes' default <c>sessionAffinityConfig.clientIP.timeoutSeconds</c> (3 hours).</summary>
    public const uint DefaultSessionAffinityTimeout = 10800;

    /// <summary>
    /// Converts a service: ports (name, protocol, port, target port as number or name, node port),
    /// selector, cluster IP, type, external IPs, load-balancer ingress IPs, session affinity (with
    /// its timeout only for <c>ClientIP</c>), load-balancer IP and source ranges, external traffic
    /// policy, health-check node port and the <c>contivpp.io*</c> annotations.
    /// </summary>
    /// <param name="service">The Kubernetes service.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">No name or namespace, or a target port out of range.</exception>
    public static Service ToProto(V1Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var name = Metadata.Name(service.Metadata, "service");
        var ns = Metadata.Namespace(service.Metadata, "service");
        var spec = service.Spec;
        var result = new Service
        {
            Name = name,
            Namespace = ns,
            ClusterIp = spec?.ClusterIP ?? string.Empty,
            ServiceType = spec?.Type ?? string.Empty,
            SessionAffinity = spec?.SessionAffinity ?? string.Empty,
            LoadbalancerIp = spec?.LoadBalancerIP ?? string.Empty,
            ExternalTrafficPolicy = spec?.ExternalTrafficPolicy ?? string.Empty,
            HealthCheckNodePort = spec?.HealthCheckNodePort ?? 0,
        };

        foreach (var port in spec?.Ports ?? [])
        {
            result.Port.Add(new Service.Types.ServicePort
            {
                Name = port.Name ?? string.Empty,
                Protocol = port.Protocol ?? "TCP",
                Port = port.Port,
                TargetPort = TargetPort(port.TargetPort, port.Port, $"service {ns}/{name} port {port.Name ?? port.Port.ToString(CultureInfo.InvariantCulture)}"),
                NodePort = port.NodePort ?? 0,
            });
        }

        foreach (var (key, value) in (spec?.Selector ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            result.Selector[key] = value ?? string.Empty;
        }

        result.ExternalIps.AddRange(spec?.ExternalIPs ?? []);
        foreach (var ingress in service.Status?.LoadBalancer?.Ingress ?? [])
        {
            if (!string.IsNullOrEmpty(ingress.Ip))
            {
                result.LbIngressIps.Add(ingress.Ip);
            }
        }

        if (string.Equals(spec?.SessionAffinity, "ClientIP", StringComparison.Ordinal))
        {
            var timeout = spec?.SessionAffinityConfig?.ClientIP?.TimeoutSeconds;
            result.SessionAffinityTimeout = timeout is > 0 ? (uint)timeout.Value : DefaultSessionAffinityTimeout;
        }

        result.LoadbalancerSourceRanges.AddRange(spec?.LoadBalancerSourceRanges ?? []);
        foreach (var (key, value) in Metadata.ContivAnnotations(service.Metadata.Annotations))
        {
            result.Annotations[key] = value;
        }

        return result;
    }

    // An absent targetPort means "same as port" (the API server's defaulting).
    private static Service.Types.ServicePort.Types.IntOrString TargetPort(IntOrString? port, int servicePort, string what)
    {
        var value = port?.Value is { Length: > 0 } v ? v : servicePort.ToString(CultureInfo.InvariantCulture);

        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            if (number is < 0 or > 65535)
            {
                throw new ConversionException($"{what}: targetPort {value} is outside 0-65535");
            }

            return new Service.Types.ServicePort.Types.IntOrString
            {
                Type = Service.Types.ServicePort.Types.IntOrString.Types.Type.Number,
                IntVal = (int)number,
            };
        }

        return new Service.Types.ServicePort.Types.IntOrString
        {
            Type = Service.Types.ServicePort.Types.IntOrString.Types.Type.String,
            StringVal = value,
        };
    }
}
