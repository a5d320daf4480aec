using Contiv.Agent.Services;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>NAT44 sessions of contiv-vpp over its gRPC API.</summary>
internal sealed class DataplaneNat44Sessions(DataplaneConnection dataplane) : INat44Sessions
{
    /// <inheritdoc/>
    public async Task<Nat44SessionDumpReply> DumpAsync(Nat44SessionDumpRequest request, CancellationToken ct)
        => await dataplane.Client.DumpNat44SessionsAsync(request, dataplane.Options(ct)).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<Nat44SessionDeleteReply> DeleteAsync(Nat44SessionDeleteRequest request, CancellationToken ct)
        => await dataplane.Client.DeleteNat44SessionsAsync(request, dataplane.Options(ct)).ConfigureAwait(false);
}
