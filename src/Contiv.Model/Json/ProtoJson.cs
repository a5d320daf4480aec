using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Contiv.Model;

/// <summary>
/// The protobuf-JSON codec for every value Contiv keeps in etcd (SPEC §1.2): the same shape as
/// cn-infra's <c>SerializerJSON</c> (jsonpb with <c>OrigName: true</c>).
/// </summary>
/// <remarks>
/// Writing: original .proto field names (<c>ip_address</c>, <c>pod_CIDR</c>), enums as names, 64-bit
/// integers as strings, default values omitted, compact (no whitespace, like Go's jsonpb). Reading: accepts both the original names and the
/// lowerCamel JSON names (<c>ipAddress</c>), ignores fields it does not know (values written by a
/// newer writer stay readable). All members are thread-safe.
/// </remarks>
public static class ProtoJson
{
    private static readonly JsonFormatter Formatter = new(
        JsonFormatter.Settings.Default
            .WithPreserveProtoFieldNames(true)
            .WithFormatDefaultValues(false)
            .WithFormatEnumsAsIntegers(false));

    // Google.Protobuf's parser matches a field by its JSON name and by its original name.
    private static readonly JsonParser Parser = new(
        JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    // Throwing UTF-8 decoder: a corrupt etcd value must not turn into U+FFFD silently.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="message"/> as protobuf-JSON with the original field names.</summary>
    /// <param name="message">The message to write.</param>
    /// <returns>Compact JSON, e.g. <c>{"name":"web-1","namespace":"default","ip_address":"10.1.1.2"}</c>.</returns>
    public static string Format(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Compact(Formatter.Format(message));
    }

    /// <summary>Writes <paramref name="message"/> as UTF-8 protobuf-JSON (see <see cref="Format(IMessage)"/>).</summary>
    /// <param name="message">The message to write.</param>
    /// <returns>The UTF-8 bytes of the JSON text, without a byte-order mark.</returns>
    public static byte[] FormatUtf8(IMessage message) => StrictUtf8.GetBytes(Format(message));

    /// <summary>Reads a <typeparamref name="T"/> from protobuf-JSON (original or lowerCamel names).</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="json">The JSON text.</param>
    /// <returns>The parsed message; unknown fields are ignored.</returns>
    /// <exception cref="FormatException">The text is not valid protobuf-JSON for <typeparamref name="T"/>.</exception>
    public static T Parse<T>(string json)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return Parser.Parse<T>(json);
        }
        catch (Exception ex) when (IsParseError(ex))
        {
            throw Error(new T().Descriptor, json, ex);
        }
    }

    /// <summary>Reads a message of the type described by <paramref name="descriptor"/> from protobuf-JSON.</summary>
    /// <param name="descriptor">The message type, e.g. <c>Pod.Descriptor</c>.</param>
    /// <param name="json">The JSON text.</param>
    /// <returns>The parsed message (an instance of the descriptor's generated class).</returns>
    /// <exception cref="FormatException">The text is not valid protobuf-JSON for that type.</exception>
    public static IMessage Parse(MessageDescriptor descriptor, string json)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return Parser.Parse(json, descriptor);
        }
        catch (Exception ex) when (IsParseError(ex))
        {
            throw Error(descriptor, json, ex);
        }
    }

    /// <summary>Reads a <typeparamref name="T"/> from UTF-8 protobuf-JSON (see <see cref="Parse{T}(string)"/>).</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="utf8Json">The UTF-8 bytes of the JSON text.</param>
    /// <returns>The parsed message.</returns>
    /// <exception cref="FormatException">The bytes are not UTF-8 or not valid protobuf-JSON for <typeparamref name="T"/>.</exception>
    public static T ParseUtf8<T>(ReadOnlySpan<byte> utf8Json)
        where T : IMessage<T>, new()
    {
        string json;
        try
        {
            json = StrictUtf8.GetString(utf8Json);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException($"invalid protobuf-JSON for {new T().Descriptor.FullName}: value is not valid UTF-8 ({ex.Message})", ex);
        }

        return Parse<T>(json);
    }

    // JsonFormatter writes "{ "a": 1 }"; Go's jsonpb (what the original stored in etcd) writes "{"a":1}".
    // Drop whitespace outside string literals so our values look like the original's byte for byte.
    private static string Compact(string json)
    {
        var builder = new StringBuilder(json.Length);
        var inString = false;
        var escaped = false;
        foreach (var c in json)
        {
            if (inString)
            {
                builder.Append(c);
                if (escaped)
                {
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
                builder.Append(c);
            }
            else if (c is not (' ' or '\n' or '\r' or '\t'))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool IsParseError(Exception ex) =>
        ex is InvalidProtocolBufferException or InvalidJsonException or FormatException or OverflowException or ArgumentException;

    private static FormatException Error(MessageDescriptor descriptor, string json, Exception inner)
    {
        const int MaxShown = 200;
        var shown = json.Length <= MaxShown ? json : string.Concat(json.AsSpan(0, MaxShown), "…");
        return new FormatException($"invalid protobuf-JSON for {descriptor.FullName}: {inner.Message} (input: {shown})", inner);
    }
}
