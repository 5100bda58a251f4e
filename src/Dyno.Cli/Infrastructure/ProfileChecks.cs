using Dyno.Models.Analysis;
using Dyno.Models.Shapes;

namespace Dyno.Cli.Infrastructure;

/// <summary>Turns analysis problems caused by the user's input into messages.</summary>
internal static class ProfileChecks
{
    /// <summary>A one-line message when the given shapes contradict the model (e.g. a batch baked into Reshape constants), else null.</summary>
    public static string? InconsistentShapes(ModelProfile p, string source)
    {
        var u = p.Unresolved.FirstOrDefault(x => x.Kind == UnresolvedKind.InconsistentShapes);
        return u is null ? null : $"{source}: node '{u.Node}' ({u.OpType}): {u.Reason.Split(": ", 2)[^1]}; check --shape/--batch";
    }
}
