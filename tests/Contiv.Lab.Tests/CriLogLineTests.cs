using Contiv.Lab.Kubelet.Cri;

namespace Contiv.Lab.Tests;

/// <summary>containerd's CRI log records as <c>kubectl logs</c> shows them: messages only, partial records joined per stream.</summary>
public sealed class CriLogLineTests
{
    [Fact]
    public void Partial_records_are_joined_up_to_the_full_one_per_stream()
    {
        var joiner = new CriLogLine.Joiner();
        string?[] shown =
        [
            joiner.Add("2026-12-07T03:23:30.333407605Z stdout P first half "),
            joiner.Add("2026-12-07T03:23:30.333407606Z stderr F an error line"),
            joiner.Add("2026-12-07T03:23:30.333407607Z stdout P and more "),
            joiner.Add("2026-12-07T03:23:30.333407608Z stdout F the end"),
            joiner.Add("2026-12-07T03:23:30.333407609Z stdout F next line"),
        ];

        Assert.Equal(new string?[] { null, "an error line", null, "first half and more the end", "next line" }, shown);
    }

    [Fact]
    public void An_empty_full_record_ends_a_partial_line_and_plain_lines_pass_unchanged()
    {
        var joiner = new CriLogLine.Joiner();
        Assert.Null(joiner.Add("2026-12-07T03:23:30.1Z stdout P no newline at the end"));
        Assert.Equal("no newline at the end", joiner.Add("2026-12-07T03:23:30.2Z stdout F"));
        Assert.Equal("plain output of the process runner", joiner.Add("plain output of the process runner"));
        Assert.Equal("2026-12-07T03:23:30.2Z stdout X not a record", joiner.Add("2026-12-07T03:23:30.2Z stdout X not a record"));
        Assert.Equal("message", CriLogLine.Message("2026-12-07T03:23:30.333407605Z stderr F message"));
    }
}
