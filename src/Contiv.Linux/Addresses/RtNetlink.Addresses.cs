using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Contiv.Linux.Interop;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>IPv4 and IPv6 interface addresses.</summary>
public sealed partial class RtNetlink
{
    /// <summary>Adds an address (<c>ip addr add A/P dev X</c>); fails with EEXIST when it is already there.</summary>
    /// <param name="interfaceIndex">The link to add it to.</param>
    /// <param name="address">The address including its host part, e.g. 10.1.1.7.</param>
    /// <param name="prefixLength">Prefix length, e.g. 32.</param>
    /// <param name="scope">Address scope (global by default).</param>
    /// <param name="skipDuplicateDetection">IPv6: mark the address usable at once (IFA_F_NODAD) instead of tentative.</param>
    public void AddAddress(int interfaceIndex, IPAddress address, int prefixLength, NetworkScope scope = NetworkScope.Global, bool skipDuplicateDetection = false)
        => ChangeAddress("address add", Nl.RTM_NEWADDR, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, interfaceIndex, address, prefixLength, scope, skipDuplicateDetection);

    /// <summary>Adds the address or updates it when present (NLM_F_REPLACE): idempotent.</summary>
    /// <inheritdoc cref="AddAddress" path="/param"/>
    public void ReplaceAddress(int interfaceIndex, IPAddress address, int prefixLength, NetworkScope scope = NetworkScope.Global, bool skipDuplicateDetection = false)
        => ChangeAddress("address replace", Nl.RTM_NEWADDR, Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE, interfaceIndex, address, prefixLength, scope, skipDuplicateDetection);

    /// <summary>Deletes an address; fails with <see cref="NetlinkException.IsNotFound"/> when it is not there.</summary>
    public void DeleteAddress(int interfaceIndex, IPAddress address, int prefixLength)
        => ChangeAddress("address del", Nl.RTM_DELADDR, 0, interfaceIndex, address, prefixLength, NetworkScope.Global, false);

    /// <summary>Addresses in the namespace, optionally only of one link and/or one family.</summary>
    public IReadOnlyList<InterfaceAddress> GetAddresses(int? interfaceIndex = null, AddressFamily family = AddressFamily.Unspecified)
    {
        lock (_gate)
        {
            var result = new List<InterfaceAddress>();
            _writer.Begin(Nl.RTM_GETADDR, Nl.NLM_F_DUMP).Write(new IfAddrMsg { Family = FamilyByte(family) });
            Dump("address list", interfaceIndex is int i ? "dev #" + i : "all", (type, payload) =>
            {
                if (type == Nl.RTM_NEWADDR)
                {
                    var a = ParseAddress(payload);
                    if (a is not null && (interfaceIndex is null || a.InterfaceIndex == interfaceIndex))
                    {
                        result.Add(a);
                    }
                }
            }, result.Clear);
            return result;
        }
    }

    private void ChangeAddress(string operation, ushort type, ushort flags, int interfaceIndex, IPAddress address, int prefixLength, NetworkScope scope, bool noDad)
    {
        ArgumentNullException.ThrowIfNull(address);
        var maxBits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, maxBits);
        lock (_gate)
        {
            var w = Begin(type, flags);
            w.Write(new IfAddrMsg
            {
                Family = FamilyByte(address.AddressFamily),
                PrefixLength = (byte)prefixLength,
                Scope = (byte)scope,
                Index = interfaceIndex,
                Flags = noDad ? (byte)Nl.IFA_F_NODAD : (byte)0,
            });
            w.AttributeAddress(Nl.IFA_LOCAL, address);
            w.AttributeAddress(Nl.IFA_ADDRESS, address);
            if (noDad)
            {
                w.AttributeU32(Nl.IFA_FLAGS, Nl.IFA_F_NODAD);
            }

            Execute(operation, () => $"{address}/{prefixLength} dev {LinkLabel(interfaceIndex)}");
        }
    }

    private static InterfaceAddress? ParseAddress(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<IfAddrMsg>(payload);
        IPAddress? local = null, address = null;
        string? label = null;
        uint flags = header.Flags;
        var reader = new AttributeReader(payload[8..]);
        while (reader.Next(out var type, out var value))
        {
            switch (type)
            {
                case Nl.IFA_LOCAL:
                    local = AttributeValue.Address(value);
                    break;
                case Nl.IFA_ADDRESS:
                    address = AttributeValue.Address(value);
                    break;
                case Nl.IFA_LABEL:
                    label = AttributeValue.String(value);
                    break;
                case Nl.IFA_FLAGS:
                    flags = AttributeValue.U32(value);
                    break;
                default:
                    break;
            }
        }

        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
        var own = local ?? address;
        return own is null ? null : new InterfaceAddress(header.Index, own, header.PrefixLength, (NetworkScope)header.Scope) { Label = label, Flags = flags };
    }

    private static byte FamilyByte(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Libc.AF_INET,
        AddressFamily.InterNetworkV6 => Libc.AF_INET6,
        AddressFamily.Unspecified => Libc.AF_UNSPEC,
        _ => throw new ArgumentException($"unsupported address family {family}", nameof(family)),
    };
}
