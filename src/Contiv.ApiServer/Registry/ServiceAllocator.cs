using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Contiv.ApiServer.Registry;

/// <summary>
/// Allocates Service cluster IPs from an IPv4 CIDR and node ports from a port range, like kube-apiserver:
/// random picks from the upper (dynamic) band first, then the lower band; network and broadcast
/// addresses are never given out and the first address belongs to <c>default/kubernetes</c>.
/// Not thread-safe: the registry calls it under its lock.
/// </summary>
internal sealed class ServiceAllocator
{
    private readonly uint _network;
    private readonly uint _size;
    private readonly uint _ipBand;
    private readonly HashSet<uint> _ips = [];
    private readonly int _portBase;
    private readonly int _portCount;
    private readonly int _portBand;
    private readonly HashSet<(int Port, string Protocol)> _ports = [];
    private readonly Random _random;

    public ServiceAllocator(string serviceCidr, string nodePortRange, Random random)
    {
        _random = random;
        var slash = serviceCidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(serviceCidr[..slash], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(serviceCidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 8 or > 30)
        {
            throw new ArgumentException($"service CIDR \"{serviceCidr}\" is not an IPv4 CIDR with a prefix length between 8 and 30", nameof(serviceCidr));
        }

        _size = 1u << (32 - prefix);
        var mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        _network = BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes()) & mask;
        _ipBand = Math.Min(Math.Max(16u, _size / 16), 256u);
        ServiceCidr = serviceCidr;

        var dash = nodePortRange.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || !int.TryParse(nodePortRange[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var lo)
            || !int.TryParse(nodePortRange[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) || lo < 1 || hi > 65535 || hi < lo)
        {
            throw new ArgumentException($"node port range \"{nodePortRange}\" is not of the form LOW-HIGH within 1-65535", nameof(nodePortRange));
        }

        _portBase = lo;
        _portCount = hi - lo + 1;
        _portBand = Math.Min(Math.Max(16, _portCount / 32), 128);
        NodePortRange = nodePortRange;
    }

    public string ServiceCidr { get; }

    public string NodePortRange { get; }

    /// <summary>The first address of the range (the <c>default/kubernetes</c> Service).</summary>
    public string FirstAddress => Format(_network + 1);

    public bool Contains(string address, out uint offset)
    {
        offset = 0;
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }

        var v = BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());
        offset = v - _network;
        return v >= _network && offset < _size;
    }

    /// <summary>Reserves a user-chosen address; returns an error text or null.</summary>
    public string? Reserve(string address)
    {
        if (!Contains(address, out var offset) || offset == 0 || offset == _size - 1)
        {
            return $"provided IP is not in the valid range. The range of valid IPs is {ServiceCidr}";
        }

        return _ips.Add(offset) ? null : "provided IP is already allocated";
    }

    /// <summary>Marks an address used without checks (restoring persisted state).</summary>
    public void MarkUsed(string address)
    {
        if (Contains(address, out var offset))
        {
            _ips.Add(offset);
        }
    }

    public string AllocateIp()
    {
        var upper = Pick(_ipBand, _size - 1, _ips);
        if (upper is null)
        {
            upper = Pick(1, _ipBand, _ips);
        }

        return upper is null
            ? throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a serviceIP: range {ServiceCidr} is full")
            : Format(_network + upper.Value);
    }

    public void ReleaseIp(string address)
    {
        if (Contains(address, out var offset))
        {
            _ips.Remove(offset);
        }
    }

    public string? ReservePort(int port, string protocol)
    {
        if (port < _portBase || port >= _portBase + _portCount)
        {
            return $"provided port is not in the valid range. The range of valid ports is {NodePortRange}";
        }

        return _ports.Add((port, protocol)) ? null : "provided port is already allocated";
    }

    public int AllocatePort(string protocol)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (lo, hi) = attempt == 0 ? (_portBand, _portCount) : (0, _portBand);
            if (hi <= lo)
            {
                continue;
            }

            var start = _random.Next(lo, hi);
            for (var i = 0; i < hi - lo; i++)
            {
                var port = _portBase + lo + ((start - lo + i) % (hi - lo));
                if (_ports.Add((port, protocol)))
                {
                    return port;
                }
            }
        }

        throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a nodePort: range {NodePortRange} is full");
    }

    public void ReleasePort(int port, string protocol) => _ports.Remove((port, protocol));

    private uint? Pick(uint lo, uint hi, HashSet<uint> used)
    {
        if (hi <= lo)
        {
            return null;
        }

        var span = hi - lo;
        var start = (uint)_random.NextInt64(span);
        for (uint i = 0; i < span; i++)
        {
            var candidate = lo + ((start + i) % span);
            if (candidate != 1 && used.Add(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Format(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return new IPAddress(b).ToString();
    }
}
