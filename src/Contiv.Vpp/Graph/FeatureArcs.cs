namespace Contiv.Vpp.Graph;

/// <summary>The data plane's feature arcs (indices into <see cref="NodeGraph.Arcs"/> and each interface's chains).</summary>
public static class FeatureArcs
{
    /// <summary>ip4-unicast: after ip4-input, before ip4-lookup; selected by the rx interface (input ACL, NAT out2in).</summary>
    public const int Ip4Unicast = 0;

    /// <summary>ip4-output: after ip4-rewrite, before interface-output; selected by the tx interface (output ACL, NAT in2out-output).</summary>
    public const int Ip4Output = 1;

    /// <summary>Number of arcs.</summary>
    public const int Count = 2;

    /// <summary>Name of <see cref="Ip4Unicast"/>.</summary>
    public const string Ip4UnicastName = "ip4-unicast";

    /// <summary>Name of <see cref="Ip4Output"/>.</summary>
    public const string Ip4OutputName = "ip4-output";
}
