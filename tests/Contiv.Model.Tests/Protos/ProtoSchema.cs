using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;

namespace Contiv.Model.Tests;

/// <summary>Renders a .proto file's messages and enums in SPEC's compact notation, one line per type.</summary>
internal static class ProtoSchema
{
    public static IEnumerable<string> Describe(FileDescriptor file)
    {
        foreach (var e in file.EnumTypes)
        {
            yield return DescribeEnum(e);
        }

        foreach (var m in file.MessageTypes)
        {
            foreach (var line in DescribeMessage(m))
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<string> DescribeMessage(MessageDescriptor message)
    {
        var fields = message.Fields.InFieldNumberOrder().Select(DescribeField);
        yield return $"message {message.FullName} {{ {string.Join(" ", fields)} }}";
        foreach (var e in message.EnumTypes)
        {
            yield return DescribeEnum(e);
        }

        foreach (var nested in message.NestedTypes.Where(n => n.GetOptions()?.MapEntry != true))
        {
            foreach (var line in DescribeMessage(nested))
            {
                yield return line;
            }
        }
    }

    private static string DescribeEnum(EnumDescriptor e) =>
        $"enum {e.FullName} {{ {string.Join(" ", e.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Name}={v.Number};")))} }}";

    private static string DescribeField(FieldDescriptor f)
    {
        var sb = new StringBuilder();
        if (f.IsMap)
        {
            var key = f.MessageType.FindFieldByNumber(1);
            var value = f.MessageType.FindFieldByNumber(2);
            sb.Append("map<").Append(TypeName(key)).Append(',').Append(TypeName(value)).Append('>');
        }
        else
        {
            if (f.IsRepeated)
            {
                sb.Append("repeated ");
            }

            sb.Append(TypeName(f));
        }

        sb.Append(' ').Append(f.Name).Append('=').Append(f.FieldNumber.ToString(CultureInfo.InvariantCulture)).Append(';');
        return sb.ToString();
    }

    private static string TypeName(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Message => f.MessageType.Name,
        FieldType.Enum => f.EnumType.Name,
        _ => f.FieldType.ToString().ToLowerInvariant(),
    };
}
