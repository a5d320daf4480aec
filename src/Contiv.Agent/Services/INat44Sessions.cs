using Contiv.Model.Vpp;

namespace Contiv.Agent.Services;

/// <summary>The data plane's NAT44 session API (dump and delete), as the idle-session cleanup uses it.</summary>
internal interface INat44Sessions
{
    /// <summary>Sessions idle at least <see cref="Nat44SessionDumpRequest.MinIdleSeconds"/>, with the totals of all sessions.</summary>
    Task<Nat44SessionDumpReply> DumpAsync(Nat44SessionDumpRequest request, CancellationToken ct);

    /// <summary>Deletes sessions by their outside 5-tuple.</summary>
    Task<Nat44SessionDeleteReply> DeleteAsync(Nat44SessionDeleteRequest request, CancellationToken ct);
}
