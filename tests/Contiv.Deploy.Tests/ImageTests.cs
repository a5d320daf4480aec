using System.Text.RegularExpressions;

namespace Contiv.Deploy.Tests;

/// <summary>Images are the ones scripts/images.sh builds here: never pulled from a public registry.</summary>
public sealed partial class ImageTests
{
    public static TheoryData<string> Kustomizations => ["base", "overlays/single-nic", "overlays/dev"];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_image_is_a_local_contiv_image_that_is_not_pulled(string kustomization)
    {
        var images = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in Workloads.Of(Rendered.Of(kustomization)).SelectMany(Workloads.Containers))
        {
            // contiv/<component>:<version>, no registry host (a first component with '.' or ':' would be one).
            Assert.Matches(LocalImage(), container.Image);
            Assert.True(container.PullPolicy is "IfNotPresent" or "Never", $"{container}: imagePullPolicy {container.PullPolicy ?? "(default: Always for :latest)"}");
            images.Add(container.Image);
        }

        var built = ImagesScriptComponents();
        foreach (var image in images)
        {
            Assert.True(built.Contains(image.Split(':')[0]["contiv/".Length..]), $"{kustomization}: {image} is not built by scripts/images.sh");
        }
    }

    [Fact]
    public void Dev_overlay_never_pulls()
    {
        Assert.All(Workloads.Of(Rendered.Of("overlays/dev")).SelectMany(Workloads.Containers), c => Assert.Equal("Never", c.PullPolicy));
    }

    private static HashSet<string> ImagesScriptComponents()
    {
        var script = File.ReadAllText(Path.Combine(Rendered.RepoRoot, "scripts", "images.sh"));
        return [.. BuildCall().Matches(script).Select(m => m.Groups[1].Value)];
    }

    [GeneratedRegex(@"^contiv/contiv-[a-z]+:[0-9]+\.[0-9]+\.[0-9]+$")]
    private static partial Regex LocalImage();

    [GeneratedRegex(@"^build_(?:image|etcd) (contiv-[a-z]+)", RegexOptions.Multiline)]
    private static partial Regex BuildCall();
}
