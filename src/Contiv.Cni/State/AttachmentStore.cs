using System.Text;
using System.Text.Json;
using Contiv.Cni.Protocol;

namespace Contiv.Cni.State;

/// <summary>
/// One JSON file per attachment under <c>dataDir</c>, named <c>{containerID}@{ifname}.json</c>
/// (a container ID never contains <c>@</c>). Written before the agent is asked to ADD, so a crash in
/// between still leaves something GC can clean; removed once DEL succeeded. Writes go through a
/// temporary file and a rename, so a reader never sees half a record.
/// </summary>
public sealed class AttachmentStore(string directory)
{
    /// <summary>The directory holding the records.</summary>
    public string Directory { get; } = directory;

    /// <summary>Stores (or replaces) the record of an attachment.</summary>
    public void Save(AttachmentRecord record)
    {
        var path = PathOf(record.ContainerId, record.IfName);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var file = File.Create(temp))
            using (var w = new Utf8JsonWriter(file))
            {
                w.WriteStartObject();
                w.WriteString("containerID", record.ContainerId);
                w.WriteString("ifname", record.IfName);
                w.WriteString("netns", record.Netns);
                w.WriteString("cniArgs", record.Args);
                w.WriteString("config", record.Config);
                w.WriteEndObject();
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CniException(CniErrorCode.StateStoreFailed, $"dataDir {Directory}: cannot write attachment record {path}: {e.Message}");
        }
    }

    /// <summary>True when a record of the attachment exists (false also when <c>dataDir</c> was never created).</summary>
    public bool Contains(string containerId, string ifName) => File.Exists(PathOf(containerId, ifName));

    /// <summary>
    /// Removes the record of an attachment; absent is fine (DEL is idempotent), and so is a
    /// <c>dataDir</c> that does not exist (a fresh node: nothing was ever recorded).
    /// </summary>
    public void Remove(string containerId, string ifName)
    {
        var path = PathOf(containerId, ifName);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // No dataDir, so no record: already gone.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.StateStoreFailed, $"dataDir {Directory}: cannot remove attachment record {path}: {e.Message}");
        }
    }

    /// <summary>Every readable record; unreadable files are reported through <paramref name="problems"/>.</summary>
    public IReadOnlyList<AttachmentRecord> List(List<string> problems)
    {
        var records = new List<AttachmentRecord>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return records;
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file, Encoding.UTF8));
                var r = doc.RootElement;
                records.Add(new AttachmentRecord(
                    r.GetProperty("containerID").GetString() ?? string.Empty,
                    r.GetProperty("ifname").GetString() ?? string.Empty,
                    r.GetProperty("netns").GetString() ?? string.Empty,
                    r.GetProperty("cniArgs").GetString() ?? string.Empty,
                    r.GetProperty("config").GetString() ?? string.Empty));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                problems.Add($"attachment record {file} is unreadable: {e.Message}");
            }
        }

        return records;
    }

    private string PathOf(string containerId, string ifName) => Path.Combine(Directory, $"{containerId}@{ifName}.json");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"contiv-cni: cannot remove temporary file {path}: {e.Message}");
        }
    }
}
