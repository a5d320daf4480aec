namespace Contiv.Cni.Protocol;

/// <summary>The operations a runtime asks for through <c>CNI_COMMAND</c>.</summary>
public enum CniCommand
{
    /// <summary>Attach the container to the network.</summary>
    Add,

    /// <summary>Detach the container (idempotent, best effort).</summary>
    Del,

    /// <summary>Verify an attachment against prevResult (0.4.0+).</summary>
    Check,

    /// <summary>Report whether the plugin can serve ADD (1.1.0+).</summary>
    Status,

    /// <summary>Report supported spec versions.</summary>
    Version,

    /// <summary>Release resources of attachments the runtime no longer knows (1.1.0+).</summary>
    Gc,
}
