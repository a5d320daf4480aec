using System.Globalization;
using System.Runtime.InteropServices;
using Contiv.Linux.Interop;

namespace Contiv.Linux.Files;

/// <summary>
/// Group ownership of files: resolving a group given by name or number (from <c>/etc/group</c>, like
/// <c>chgrp</c>) and handing a file to it. Used for sockets shared with a group (mode 0660).
/// </summary>
public static class UnixGroup
{
    /// <summary>Returns the numeric id of <paramref name="nameOrId"/> (a group name in <paramref name="groupFile"/> or a number).</summary>
    /// <param name="nameOrId">Group name or decimal gid.</param>
    /// <param name="groupFile">The group database (default <c>/etc/group</c>).</param>
    /// <exception cref="ArgumentException">No such group.</exception>
    public static uint Resolve(string nameOrId, string groupFile = "/etc/group")
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        if (uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
        {
            return gid;
        }

        if (File.Exists(groupFile))
        {
            foreach (var line in File.ReadLines(groupFile))
            {
                // name:password:gid:members
                var f = line.Split(':');
                if (f.Length >= 3 && f[0] == nameOrId && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                {
                    return gid;
                }
            }
        }

        throw new ArgumentException($"group '{nameOrId}' does not exist (not a number and not in {groupFile})", nameof(nameOrId));
    }

    /// <summary>Makes <paramref name="gid"/> the group of <paramref name="path"/>; the owner stays.</summary>
    /// <exception cref="IOException">chown failed (errno in the message).</exception>
    public static void SetGroup(string path, uint gid)
    {
        if (Libc.Chown(path, uint.MaxValue, gid) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot give {path} to group {gid}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }
}
