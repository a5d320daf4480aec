using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Contiv.Cni.Protocol;

namespace Contiv.Cni.Commands;

/// <summary>
/// One invocation of the plugin: validates environment and stdin in the order libcni's skeleton
/// does (command, variables, JSON, version, fields), runs the command and prints either its result
/// or an error JSON. Returns the process exit code.
/// </summary>
public static class CniPlugin
{
    /// <summary>Runs the command described by <paramref name="vars"/> with <paramref name="stdinText"/> as configuration.</summary>
    public static int Run(IReadOnlyDictionary<string, string> vars, Func<string> stdinText, TextWriter stdout)
        => Run(vars, stdinText, stdout, step: null);

    /// <summary>
    /// As <see cref="Run(IReadOnlyDictionary{string, string}, Func{string}, TextWriter)"/>, with
    /// <paramref name="step"/> called at each named step of a command (tests inject failures there).
    /// </summary>
    internal static int Run(IReadOnlyDictionary<string, string> vars, Func<string> stdinText, TextWriter stdout, Action<string>? step)
    {
        var log = new CniLog();
        string? text = null;
        var errorVersion = CniVersions.Current;
        var watch = Stopwatch.StartNew();
        try
        {
            var env = CniEnvironment.Parse(vars);
            if (env.Command == CniCommand.Version)
            {
                // VERSION ignores the configuration apart from reading it (spec: stdin is {cniVersion}).
                _ = stdinText();
                stdout.Write(VersionJson());
                return 0;
            }

            text = stdinText();
            errorVersion = NetworkConfig.ErrorVersionOf(text);
            var conf = NetworkConfig.Parse(text, env.Command);
            errorVersion = conf.CniVersion;
            log.Open(conf.LogFile, $"{env.CommandText} {(env.ContainerId.Length > 0 ? env.ContainerId : "-")} {(env.IfName.Length > 0 ? env.IfName : "-")}: ");
            var invocation = new Invocation(env, conf, log) { Step = step };
            var output = env.Command switch
            {
                CniCommand.Add => AddCommand.Run(invocation),
                CniCommand.Del => DelCommand.Run(invocation),
                CniCommand.Check => CheckCommand.Run(invocation),
                CniCommand.Status => StatusCommand.Run(invocation),
                CniCommand.Gc => GcCommand.Run(invocation),
                _ => throw new UnreachableException(),
            };
            if (output is not null)
            {
                stdout.Write(output);
            }

            log.Info($"ok in {watch.ElapsedMilliseconds} ms{(output is null ? string.Empty : ": " + Compact(output))}");
            return 0;
        }
        catch (CniException e)
        {
            log.Error($"failed in {watch.ElapsedMilliseconds} ms with code {e.Code}: {e.Message}");
            stdout.Write(ErrorJson(errorVersion, e.Code, e.Message, e.Details));
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug or a broken environment: the runtime still gets an error JSON
            // (libcni's ErrInternal), never a stack trace instead of one.
            var message = $"internal error: {e.GetType().Name}: {e.Message}";
            log.Error($"failed in {watch.ElapsedMilliseconds} ms with code {CniErrorCode.Internal}: {message}\n{e}");
            stdout.Write(ErrorJson(errorVersion, CniErrorCode.Internal, message, e.ToString()));
            return 1;
        }
    }

    /// <summary>The VERSION answer.</summary>
    public static string VersionJson()
    {
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", CniVersions.Current);
            w.WriteStartArray("supportedVersions");
            foreach (var v in CniVersions.Supported)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>An error result: <c>{cniVersion, code, msg, details}</c>.</summary>
    public static string ErrorJson(string cniVersion, int code, string msg, string? details)
    {
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", cniVersion);
            w.WriteNumber("code", code);
            w.WriteString("msg", msg);
            if (!string.IsNullOrEmpty(details))
            {
                w.WriteString("details", details);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>JSON on one line (for the log file).</summary>
    private static string Compact(string json)
    {
        using var doc = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            doc.WriteTo(w);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
