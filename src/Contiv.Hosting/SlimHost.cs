using Microsoft.AspNetCore.Builder;

namespace Contiv.Hosting;

/// <summary>
/// The web host builder of every Contiv daemon: ASP.NET Core's slim builder without configuration reload.
/// </summary>
/// <remarks>
/// The default builder reloads <c>appsettings.json</c> on change, which puts a recursive file system watcher on
/// the content root (the working directory: <c>/</c> for a daemon started by a container runtime). None of our
/// daemons has such a file, and the watcher's thread woke on every file written below the working directory
/// (about 18 times per pod ADD+DEL when contiv-cni logged next to it).
/// </remarks>
public static class SlimHost
{
    /// <summary>A slim <see cref="WebApplicationBuilder"/> that watches no files.</summary>
    public static WebApplicationBuilder CreateBuilder() =>
        WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
}
