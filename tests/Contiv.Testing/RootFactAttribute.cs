using Xunit;

namespace Contiv.Testing;

/// <summary>
/// A fact that needs root (network namespaces, TAP devices, raw sockets). When the test process
/// is not root it is reported as skipped with the reason, never as passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Privileges.IsRoot)
        {
            Skip = "needs root (network namespaces, TAP devices); run the suite as root";
        }
    }
}

/// <summary>A theory that needs root; see <see cref="RootFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Privileges.IsRoot)
        {
            Skip = "needs root (network namespaces, TAP devices); run the suite as root";
        }
    }
}

/// <summary>Process privileges.</summary>
public static class Privileges
{
    /// <summary>True when the effective user is root.</summary>
    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
