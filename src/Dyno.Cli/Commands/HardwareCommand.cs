using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Hardware;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno hardware list|show NAME</c>: the device database.</summary>
internal static class HardwareCommand
{
    public static Command Create()
    {
        var cmd = new Command("hardware", "The hardware profiles Dyno knows: datasheet peak FLOP/s per precision, memory bandwidth and size, with sources.");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Show());
        return cmd;
    }

    private static readonly string[] Precisions = ["fp64", "fp32", "tf32", "fp16", "bf16", "int8"];

    private static Command List()
    {
        var common = new CommonOptions();
        var file = new Option<FileInfo?>("--hardware-file") { Description = "A JSON file of extra devices (docs/hardware.md)." };
        var cmd = new Command("list", "List the devices.") { file };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var db = HardwareDatabase.BuiltIn();
            if (parse.GetValue(file) is { } f) db = db.With(f.FullName);
            var table = new ResultTable("Hardware profiles (dense peak TFLOP/s or TOPS)",
                [new ResultColumn("Name"), new ResultColumn("Device"), .. Precisions.Select(p => new ResultColumn(p, ColumnAlign.Right)),
                 new ResultColumn("GB/s", ColumnAlign.Right), new ResultColumn("Memory GB", ColumnAlign.Right)],
                db.Devices.Select(d => (IReadOnlyList<string>)
                [
                    d.Name, d.Title, .. Precisions.Select(p => d.PeakTflops.TryGetValue(p, out var v) ? v.ToString("0.###", CultureInfo.InvariantCulture) : "-"),
                    d.MemoryBandwidthGbps.ToString("0.#", CultureInfo.InvariantCulture), d.MemoryGb.ToString("0.###", CultureInfo.InvariantCulture),
                ]).ToList())
            { Notes = ["Sources and estimated figures: dyno hardware show NAME. Add devices with --hardware-file FILE."] };
            common.Emit(parse, new CommandOutput(ResultKinds.HardwareList, new { devices = db.Devices }, [table]));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static Command Show()
    {
        var common = new CommonOptions();
        var name = new Argument<string>("NAME") { Description = "Device name or alias." };
        var file = new Option<FileInfo?>("--hardware-file") { Description = "A JSON file of extra devices." };
        var cmd = new Command("show", "Show one device with the source of each figure.") { name, file };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var db = HardwareDatabase.BuiltIn();
            if (parse.GetValue(file) is { } f) db = db.With(f.FullName);
            var d = db.Find(parse.GetValue(name)!);
            var rows = new List<IReadOnlyList<string>>
            {
                new[] { "name", d.Name }, new[] { "device", d.Title }, new[] { "kind", d.Kind },
                new[] { "aliases", string.Join(", ", d.Aliases) },
            };
            foreach (var (p, v) in d.PeakTflops)
            {
                var prec = HardwareProfile.ParsePrecision(p);
                rows.Add([$"peak {p}", $"{v.ToString("0.###", CultureInfo.InvariantCulture)} T{(p.StartsWith("int", StringComparison.Ordinal) ? "OPS" : "FLOP/s")}, ridge {Fmt.Num(d.Ridge(prec)!.Value, 1)} FLOP/B"]);
            }
            rows.Add(["memory bandwidth", $"{d.MemoryBandwidthGbps.ToString("0.###", CultureInfo.InvariantCulture)} GB/s"]);
            rows.Add(["memory", $"{d.MemoryGb.ToString("0.###", CultureInfo.InvariantCulture)} GB"]);
            rows.Add(["source", d.Source]);
            if (d.Estimated is { Count: > 0 }) rows.Add(["estimated figures", string.Join(", ", d.Estimated)]);
            common.Emit(parse, new CommandOutput(ResultKinds.Hardware, d, [new ResultTable(d.Title, [new ResultColumn("Field"), new ResultColumn("Value")], rows)]));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
