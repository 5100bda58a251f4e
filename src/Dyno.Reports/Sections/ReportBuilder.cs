using System.Text.Json;
using Dyno.Reports.Documents;
using Dyno.Results;

using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

/// <summary>Turns Dyno result documents into report sections, dispatching on their <c>kind</c>.</summary>
public static class ReportBuilder
{
    /// <summary>The kind of a Dyno result document: its <c>kind</c>, or for a legacy file the kind its keys show (<see cref="ResultLoader"/>).</summary>
    public static string KindOf(JsonElement r) => ResultLoader.FromElement(r, null).Kind;

    /// <summary>Builds the section for one result document.</summary>
    public static ReportSection Section(JsonElement r, string? source, int index) => Section(ResultLoader.FromElement(r, source), index);

    /// <summary>Builds the section for one loaded result, dispatching on its kind.</summary>
    public static ReportSection Section(LoadedResult r, int index)
    {
        var id = $"r{index}";
        return r.Kind switch
        {
            ResultKinds.Profile => ProfileSection.Build(r.Root, r.Source, id),
            _ => ResultSections.Build(r.Kind, r.Root, r.Source, id),
        };
    }

    /// <summary>Reads result files into a report.</summary>
    public static ReportDocument FromFiles(IReadOnlyList<string> paths, string title)
    {
        var doc = new ReportDocument { Title = title };
        for (var i = 0; i < paths.Count; i++)
        {
            var result = ResultLoader.Load(paths[i]);
            try
            {
                doc.Sections.Add(Section(result, i));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{paths[i]}: {e.Message}", e);
            }
        }
        return doc;
    }
}
