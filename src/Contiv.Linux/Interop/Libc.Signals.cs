using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

/// <summary>libc entry points for signalling processes.</summary>
internal static partial class Libc
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
