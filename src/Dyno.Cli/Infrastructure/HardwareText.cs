using Dyno.Models.Roofline;

namespace Dyno.Cli.Infrastructure;

/// <summary>The console words of the libraries' hardware enums (the same words their JSON uses).</summary>
internal static class HardwareText
{
    /// <summary><c>compute</c> or <c>memory</c>.</summary>
    public static string Bound(RooflineBound bound) => bound == RooflineBound.Compute ? "compute" : "memory";
}
