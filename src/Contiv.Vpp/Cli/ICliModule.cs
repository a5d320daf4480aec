namespace Contiv.Vpp.Cli;

/// <summary>
/// A subsystem's CLI commands (interfaces, IP, neighbours, L2, VXLAN, trace/counters; NAT and ACL add
/// theirs). Adding a subsystem: one file under Cli/Commands/ implementing this, one line in
/// <see cref="CliEngine"/>'s constructor.
/// </summary>
internal interface ICliModule
{
    /// <summary>Registers the module's commands with <see cref="CliEngine.Register"/>.</summary>
    void Register(CliEngine cli);
}
