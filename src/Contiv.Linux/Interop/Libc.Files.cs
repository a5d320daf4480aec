using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

internal static partial class Libc
{
    /// <summary>chown(2); -1 (as uint) leaves the owner or group unchanged.</summary>
    [LibraryImport(Lib, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint owner, uint group);
}
