using System.Runtime.CompilerServices;
using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// The 10-byte virtio-net header (struct virtio_net_hdr, little-endian as on x86 TAP/AF_PACKET)
/// that carries GSO and checksum-offload state with every frame.
/// </summary>
public static unsafe class VirtioNetHeader
{
    /// <summary>Header size.</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID.</summary>
    public const byte FlagDataValid = 2;

    /// <summary>Copies header fields into buffer metadata.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Parse(byte* h, ref BufferMeta m)
    {
        var flags = h[0];
        var gso = h[1];
        if ((flags | gso) == 0)
        {
            return;
        }

        if ((flags & FlagNeedsCsum) != 0)
        {
            m.Flags |= BufferFlags.ChecksumPartial;
            m.CsumStart = *(ushort*)(h + 6);
            m.CsumOffset = *(ushort*)(h + 8);
        }

        if ((flags & FlagDataValid) != 0)
        {
            m.Flags |= BufferFlags.ChecksumValid;
        }

        m.Gso = (GsoType)(gso & 0x7f);
        if (m.Gso != GsoType.None)
        {
            m.GsoHeaderLength = *(ushort*)(h + 2);
            m.GsoSize = *(ushort*)(h + 4);
        }
    }

    /// <summary>Writes the header for a buffer's offload state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* h, ref BufferMeta m)
    {
        *(ulong*)h = 0;
        *(ushort*)(h + 8) = 0;
        if ((m.Flags & BufferFlags.ChecksumPartial) != 0)
        {
            h[0] = FlagNeedsCsum;
            *(ushort*)(h + 6) = m.CsumStart;
            *(ushort*)(h + 8) = m.CsumOffset;
        }
        else if ((m.Flags & BufferFlags.ChecksumValid) != 0)
        {
            h[0] = FlagDataValid;
        }

        if (m.Gso != GsoType.None)
        {
            h[1] = (byte)m.Gso;
            *(ushort*)(h + 2) = m.GsoHeaderLength;
            *(ushort*)(h + 4) = m.GsoSize;
        }
    }
}
