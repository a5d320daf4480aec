using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// contiv-cni's blocking gRPC client (Agent/Http2/RawSocket) makes its socket calls through this
// library's libc layer instead of declaring its own.
[assembly: InternalsVisibleTo("Contiv.Cni")]

namespace Contiv.Linux.Interop;

/// <summary>libc entry points needed by contiv-cni's stream sockets (unix and TCP).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, void* address, uint length);
}
