using System.CommandLine;

namespace Dyno.Cli.Infrastructure;

/// <summary>
/// One-line errors for mistyped commands and options, with a "did you mean" when a known name is close
/// (<c>dyno evl</c> → <c>eval</c>, <c>--exmple</c> → <c>--example</c>).
/// </summary>
internal static class Suggestions
{
    /// <summary>
    /// The error for a command line that names an unknown command or option, or null when every name is known.
    /// An unknown <c>--name</c> is caught even where the parser took it as a value (an optional MODEL argument), since no
    /// file or value dyno takes starts with <c>--</c>.
    /// </summary>
    public static string? UnknownName(ParseResult parse, IReadOnlyList<string> args)
    {
        var command = parse.CommandResult.Command;
        var known = KnownOptions(parse);
        foreach (var arg in args)
        {
            if (arg == "--") break;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length < 3) continue;
            var name = arg.Split('=', ':')[0];
            if (known.Contains(name)) continue;
            var hint = Closest(name, known.Where(k => k.StartsWith("--", StringComparison.Ordinal)));
            return $"unknown option '{name}' for '{Path(command)}'" + (hint is null ? $" (see '{Path(command)} --help')" : $"; did you mean '{hint}'?");
        }
        var unmatched = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0] : null;
        if (unmatched is not null && !unmatched.StartsWith('-') && command.Subcommands.Count > 0 && !command.Arguments.Any())
        {
            var hint = Closest(unmatched, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
            return $"unknown command '{unmatched}' for '{Path(command)}'" + (hint is null ? $" (commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})" : $"; did you mean '{hint}'?");
        }
        return null;
    }

    /// <summary>The parser's errors as one line, with where to look for usage.</summary>
    public static string OneLine(ParseResult parse) =>
        string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.'))) + $" (see '{Path(parse.CommandResult.Command)} --help')";

    /// <summary>The closest of <paramref name="candidates"/> to <paramref name="typed"/>, or null when none is close.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates.Distinct(StringComparer.Ordinal))
        {
            var d = Distance(typed.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        var core = typed.TrimStart('-').Length;
        var limit = Math.Max(1, core / 3);
        if (best is not null && bestDistance <= limit) return best;
        // A unique candidate the typed name is a prefix of (--exam → --example).
        var prefixed = candidates.Where(c => core >= 3 && c.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal).ToList();
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>Optimal string alignment distance: edits, with a swap of neighbours counted as one.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    private static HashSet<string> KnownOptions(ParseResult parse)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            foreach (var o in result.Command.Options)
            {
                // Options of a parent count only where they apply to subcommands (--help, --version are on the root).
                names.Add(o.Name);
                foreach (var a in o.Aliases) names.Add(a);
            }
        return names;
    }

    private static string Path(Command command)
    {
        var parts = new List<string>();
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            parts.Insert(0, c is RootCommand ? "dyno" : c.Name);
        return string.Join(' ', parts);
    }
}
