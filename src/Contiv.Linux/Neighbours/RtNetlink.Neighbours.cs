using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>ARP (IPv4) and NDP (IPv6) neighbour entries.</summary>
public sealed partial class RtNetlink
{
    /// <summary>Adds a neighbour entry (static by default, <c>ip neigh add … nud permanent</c>); EEXIST when present.</summary>
    public void AddNeighbour(Neighbour neighbour) => ChangeNeighbour("neighbour add", Nl.RTM_NEWNEIGH, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, neighbour);

    /// <summary>Adds or overwrites a neighbour entry (<c>ip neigh replace</c>): idempotent.</summary>
    public void ReplaceNeighbour(Neighbour neighbour) => ChangeNeighbour("neighbour replace", Nl.RTM_NEWNEIGH, Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE, neighbour);

    /// <summary>Deletes a neighbour entry (MAC and state are ignored); <see cref="NetlinkException.IsNotFound"/> when missing.</summary>
    public void DeleteNeighbour(Neighbour neighbour) => ChangeNeighbour("neighbour del", Nl.RTM_DELNEIGH, 0, neighbour);

    /// <summary>Neighbour entries, optionally of one link and/or one family.</summary>
    public IReadOnlyList<Neighbour> GetNeighbours(int? interfaceIndex = null, AddressFamily family = AddressFamily.Unspecified)
    {
        lock (_gate)
        {
            var result = new List<Neighbour>();
            _writer.Begin(Nl.RTM_GETNEIGH, Nl.NLM_F_DUMP).Write(new NdMsg { Family = FamilyByte(family) });
            Dump("neighbour list", interfaceIndex is int i ? "dev #" + i : "all", (type, payload) =>
            {
                if (type == Nl.RTM_NEWNEIGH)
                {
                    var n = ParseNeighbour(payload);
                    if (n is not null && (interfaceIndex is null || n.InterfaceIndex == interfaceIndex))
                    {
                        result.Add(n);
                    }
                }
            }, result.Clear);
            return result;
        }
    }

    private void ChangeNeighbour(string operation, ushort type, ushort flags, Neighbour neighbour)
    {
        ArgumentNullException.ThrowIfNull(neighbour);
        lock (_gate)
        {
            var w = Begin(type, flags);
            w.Write(new NdMsg
            {
                Family = FamilyByte(neighbour.Family),
                Index = neighbour.InterfaceIndex,
                State = (ushort)neighbour.State,
            });
            w.AttributeAddress(Nl.NDA_DST, neighbour.Address);
            if (neighbour.MacAddress is not null && type != Nl.RTM_DELNEIGH)
            {
                w.Attribute(Nl.NDA_LLADDR, neighbour.MacAddress.GetAddressBytes());
            }

            Execute(operation, () => neighbour.Describe(LinkLabel(neighbour.InterfaceIndex)));
        }
    }

    private static Neighbour? ParseNeighbour(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<NdMsg>(payload);
        System.Net.IPAddress? address = null;
        PhysicalAddress? mac = null;
        var reader = new AttributeReader(payload[12..]);
        while (reader.Next(out var type, out var value))
        {
            if (type == Nl.NDA_DST)
            {
                address = AttributeValue.Address(value);
            }
            else if (type == Nl.NDA_LLADDR && value.Length > 0)
            {
                mac = new PhysicalAddress(value.ToArray());
            }
        }

        return address is null ? null : new Neighbour
        {
            InterfaceIndex = header.Index,
            Address = address,
            MacAddress = mac,
            State = (NeighbourState)header.State,
        };
    }
}
