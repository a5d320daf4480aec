using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Http;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (<c>k8s\0</c> + <c>runtime.Unknown</c>) that kubectl's typed
/// clients send for imperative commands (<c>kubectl create namespace|configmap|secret|service|serviceaccount</c>)
/// into the equivalent JSON object. Only those kinds are known (field numbers of k8s.io/api
/// generated.proto); other kinds get 415 so the caller sees a clear error. Zero values of non-pointer
/// fields (which gogo-protobuf always writes) are dropped, as JSON's omitempty would.
/// </summary>
internal static partial class ProtobufBody
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    private enum K
    {
        Str,
        Bytes,
        Int,
        Bool,
        BoolPtr,
        Msg,
        Map,
        MapBytes,
        IntOrString,
        Time,
        IntPtr,
    }

    private sealed record F(string Name, K Kind, bool Repeated = false, string? Type = null);

    private static readonly Dictionary<string, Dictionary<int, F>> Schemas = new()
    {
        ["ObjectMeta"] = new()
        {
            [1] = new("name", K.Str), [2] = new("generateName", K.Str), [3] = new("namespace", K.Str), [5] = new("uid", K.Str),
            [6] = new("resourceVersion", K.Str), [7] = new("generation", K.Int), [8] = new("creationTimestamp", K.Time),
            [9] = new("deletionTimestamp", K.Time), [10] = new("deletionGracePeriodSeconds", K.Int), [11] = new("labels", K.Map),
            [12] = new("annotations", K.Map), [13] = new("ownerReferences", K.Msg, true, "OwnerReference"), [14] = new("finalizers", K.Str, true),
        },
        ["OwnerReference"] = new()
        {
            [1] = new("kind", K.Str), [3] = new("name", K.Str), [4] = new("uid", K.Str), [5] = new("apiVersion", K.Str),
            [6] = new("controller", K.BoolPtr), [7] = new("blockOwnerDeletion", K.BoolPtr),
        },
        ["ObjectReference"] = new()
        {
            [1] = new("kind", K.Str), [2] = new("namespace", K.Str), [3] = new("name", K.Str), [4] = new("uid", K.Str),
            [5] = new("apiVersion", K.Str), [6] = new("resourceVersion", K.Str), [7] = new("fieldPath", K.Str),
        },
        ["LocalObjectReference"] = new() { [1] = new("name", K.Str) },
        ["Namespace"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "NamespaceSpec") },
        ["NamespaceSpec"] = new() { [1] = new("finalizers", K.Str, true) },
        ["ConfigMap"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("data", K.Map), [3] = new("binaryData", K.MapBytes), [4] = new("immutable", K.BoolPtr) },
        ["Secret"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("data", K.MapBytes), [3] = new("type", K.Str), [4] = new("stringData", K.Map), [5] = new("immutable", K.BoolPtr) },
        ["ServiceAccount"] = new()
        {
            [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("secrets", K.Msg, true, "ObjectReference"),
            [3] = new("imagePullSecrets", K.Msg, true, "LocalObjectReference"), [4] = new("automountServiceAccountToken", K.BoolPtr),
        },
        ["Service"] = new() { [1] = new("metadata", K.Msg, Type: "ObjectMeta"), [2] = new("spec", K.Msg, Type: "ServiceSpec") },
        ["ServiceSpec"] = new()
        {
            [1] = new("ports", K.Msg, true, "ServicePort"), [2] = new("selector", K.Map), [3] = new("clusterIP", K.Str), [4] = new("type", K.Str),
            [5] = new("externalIPs", K.Str, true), [7] = new("sessionAffinity", K.Str), [8] = new("loadBalancerIP", K.Str),
            [9] = new("loadBalancerSourceRanges", K.Str, true), [10] = new("externalName", K.Str), [11] = new("externalTrafficPolicy", K.Str),
            [12] = new("healthCheckNodePort", K.Int), [13] = new("publishNotReadyAddresses", K.Bool), [17] = new("ipFamilyPolicy", K.Str),
            [18] = new("clusterIPs", K.Str, true), [19] = new("ipFamilies", K.Str, true), [20] = new("allocateLoadBalancerNodePorts", K.BoolPtr),
            [21] = new("loadBalancerClass", K.Str), [22] = new("internalTrafficPolicy", K.Str),
        },
        ["ServicePort"] = new()
        {
            [1] = new("name", K.Str), [2] = new("protocol", K.Str), [3] = new("port", K.Int), [4] = new("targetPort", K.IntOrString),
            [5] = new("nodePort", K.Int), [6] = new("appProtocol", K.Str),
        },
    };

    /// <summary>Decodes a protobuf request body; 415 for unknown kinds, 400 for malformed data.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body, string what)
    {
        if (!body.StartsWith(Magic))
        {
            throw ApiException.BadRequest($"{what}: protobuf body does not start with the k8s envelope magic");
        }

        string? apiVersion = null;
        string? kind = null;
        ReadOnlySpan<byte> raw = default;
        var r = new Reader(body[Magic.Length..].ToArray());
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2)
            {
                var tm = new Reader(r.Bytes());
                while (tm.More)
                {
                    var (f, w) = tm.Tag();
                    if (w != 2)
                    {
                        tm.Skip(w);
                        continue;
                    }

                    var s = Encoding.UTF8.GetString(tm.Bytes());
                    if (f == 1)
                    {
                        apiVersion = s;
                    }
                    else if (f == 2)
                    {
                        kind = s;
                    }
                }
            }
            else if (field == 2 && wire == 2)
            {
                raw = r.Bytes();
            }
            else
            {
                r.Skip(wire);
            }
        }

        if (kind is null || !(Schemas.ContainsKey(kind) || WorkloadKinds.Contains(kind)) || kind is "ObjectMeta")
        {
            throw new ApiException(415, "UnsupportedMediaType", $"{what}: protobuf bodies are supported for Namespace, ConfigMap, Secret, Service, ServiceAccount, Pod, Deployment, DaemonSet, ReplicaSet and Job only, got kind \"{kind}\"; send application/json");
        }

        var obj = Message(raw.ToArray(), kind);
        var result = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        foreach (var (k, v) in obj.ToList())
        {
            obj.Remove(k);
            result[k] = v;
        }

        result["metadata"] ??= new JsonObject();
        return result;
    }

    private static JsonObject Message(byte[] data, string type)
    {
        var schema = Schemas.TryGetValue(type, out var known) ? known : WorkloadSchemas[type];
        var obj = new JsonObject();
        var r = new Reader(data);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (!schema.TryGetValue(field, out var f))
            {
                r.Skip(wire);
                continue;
            }

            JsonNode? value;
            switch (f.Kind)
            {
                case K.Str:
                    var s = Encoding.UTF8.GetString(r.Bytes());
                    value = s.Length == 0 && !f.Repeated ? null : s;
                    break;
                case K.Bytes:
                    value = Convert.ToBase64String(r.Bytes());
                    break;
                case K.Int:
                    var n = (long)r.Varint();
                    value = n == 0 ? null : n;
                    break;
                case K.Bool:
                    value = r.Varint() != 0 ? true : null;
                    break;
                case K.BoolPtr:
                    value = r.Varint() != 0;
                    break;
                case K.IntPtr:
                    value = (long)r.Varint();
                    break;
                case K.Msg:
                    var m = Message(r.Bytes(), f.Type!);
                    value = m.Count == 0 && !f.Repeated ? null : m;
                    break;
                case K.Map:
                case K.MapBytes:
                {
                    var (key, entry) = MapEntry(r.Bytes(), f.Kind == K.MapBytes);
                    var map = obj[f.Name] as JsonObject ?? new JsonObject();
                    map[key] = entry;
                    obj[f.Name] = map;
                    continue;
                }

                case K.IntOrString:
                    value = IntOrString(r.Bytes());
                    break;
                case K.Time:
                    value = Time(r.Bytes());
                    break;
                default:
                    r.Skip(wire);
                    continue;
            }

            if (f.Repeated)
            {
                var list = obj[f.Name] as JsonArray ?? [];
                list.Add(value);
                obj[f.Name] = list;
            }
            else if (value is not null)
            {
                obj[f.Name] = value;
            }
        }

        return obj;
    }

    private static (string Key, JsonNode Value) MapEntry(byte[] data, bool bytesValue)
    {
        var r = new Reader(data);
        var key = string.Empty;
        JsonNode value = string.Empty;
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (w != 2)
            {
                r.Skip(w);
                continue;
            }

            var b = r.Bytes();
            if (f == 1)
            {
                key = Encoding.UTF8.GetString(b);
            }
            else if (f == 2)
            {
                value = bytesValue ? Convert.ToBase64String(b) : Encoding.UTF8.GetString(b);
            }
        }

        return (key, value);
    }

    private static JsonNode? IntOrString(byte[] data)
    {
        var r = new Reader(data);
        long type = 0;
        long intVal = 0;
        var strVal = string.Empty;
        while (r.More)
        {
            var (f, w) = r.Tag();
            switch (f)
            {
                case 1 when w == 0:
                    type = (long)r.Varint();
                    break;
                case 2 when w == 0:
                    intVal = (int)r.Varint();
                    break;
                case 3 when w == 2:
                    strVal = Encoding.UTF8.GetString(r.Bytes());
                    break;
                default:
                    r.Skip(w);
                    break;
            }
        }

        return type == 1 ? strVal : intVal == 0 ? null : intVal;
    }

    private static JsonNode? Time(byte[] data)
    {
        var r = new Reader(data);
        long seconds = 0;
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 0)
            {
                seconds = (long)r.Varint();
            }
            else
            {
                r.Skip(w);
            }
        }

        return seconds == 0 ? null : Json.Timestamp(DateTimeOffset.FromUnixTimeSeconds(seconds));
    }

    private sealed class Reader(byte[] data)
    {
        private int _pos;

        public bool More => _pos < data.Length;

        public (int Field, int Wire) Tag()
        {
            var t = Varint();
            return ((int)(t >> 3), (int)(t & 7));
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= data.Length)
                {
                    throw Malformed();
                }

                var b = data[_pos++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw Malformed();
        }

        public byte[] Bytes()
        {
            var len = (int)Varint();
            if (len < 0 || _pos + len > data.Length)
            {
                throw Malformed();
            }

            var b = data.AsSpan(_pos, len).ToArray();
            _pos += len;
            return b;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    _pos += 8;
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    _pos += 4;
                    break;
                default:
                    throw Malformed();
            }
        }

        private ApiException Malformed() => ApiException.BadRequest($"malformed protobuf body at offset {_pos.ToString(CultureInfo.InvariantCulture)}");
    }
}
