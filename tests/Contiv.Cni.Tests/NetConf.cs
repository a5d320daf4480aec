namespace Contiv.Cni.Tests;

/// <summary>Builds network configurations for contiv-cni.</summary>
public static class NetConf
{
    /// <summary>A configuration for <paramref name="version"/> with optional extra JSON members (without braces).</summary>
    public static string For(string version, string grpcServer, string logFile = "", string? dataDir = null, string? extra = null)
    {
        var members = new List<string>
        {
            $"\"cniVersion\":\"{version}\"",
            "\"name\":\"k8s-pod-network\"",
            "\"type\":\"contiv-cni\"",
            $"\"grpcServer\":\"{grpcServer}\"",
            $"\"logFile\":\"{logFile}\"",
        };
        if (dataDir is not null)
        {
            members.Add($"\"dataDir\":\"{dataDir}\"");
        }

        if (extra is not null)
        {
            members.Add(extra);
        }

        return "{" + string.Join(",", members) + "}";
    }
}
