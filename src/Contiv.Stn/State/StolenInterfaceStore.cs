using System.Text.Json;
using System.Text.Json.Serialization;
using Contiv.Linux;

namespace Contiv.Stn.State;

/// <summary>
/// The state file: every interface contiv-stn holds, rewritten durably (fsync, rename, fsync of the
/// directory) after each change, so that a contiv-stn killed with SIGKILL and started again still
/// knows what to give back.
/// </summary>
internal sealed class StolenInterfaceStore(string path)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Path of the state file.</summary>
    public string Path { get; } = path;

    /// <summary>Reads the state file; an absent file means nothing is stolen.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a state file (names the path).</exception>
    public List<StolenInterface> Load()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<StolenInterface>>(File.ReadAllText(Path), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"STN state file {Path} is not valid: {e.Message}", e);
        }
    }

    /// <summary>Replaces the state file with <paramref name="interfaces"/>.</summary>
    public void Save(IEnumerable<StolenInterface> interfaces) =>
        DurableFile.WriteAllText(Path, JsonSerializer.Serialize(interfaces.ToList(), Json));
}
