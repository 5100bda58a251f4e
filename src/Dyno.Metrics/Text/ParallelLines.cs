namespace Dyno.Metrics.Text;

/// <summary>A bad line of an input file: the message names the file and the line. Maps to exit code 2.</summary>
public sealed class LineException(string path, long lineNumber, string message)
    : FormatException($"{path}:{lineNumber}: {message}")
{
    /// <summary>The 1-based line number.</summary>
    public long LineNumber { get; } = lineNumber;
}

/// <summary>Handles one line: the worker index, its 1-based line number and its bytes (no line terminator).</summary>
public delegate void LineHandler(int worker, long lineNumber, ReadOnlySpan<byte> line);

/// <summary>
/// Reads a text file in large blocks and hands its lines to a fixed set of workers in parallel.
/// Worker w always gets the w-th slice of each block, so per-worker state can be merged in worker
/// order for results that do not depend on thread timing.
/// </summary>
public static class ParallelLines
{
    private const int BlockSize = 16 << 20;

    /// <summary>The number of workers <see cref="ForEach"/> uses.</summary>
    public static int Workers => Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Calls <paramref name="handler"/> for every non-empty line after the first <paramref name="skipLines"/> lines.
    /// A trailing carriage return is removed.
    /// </summary>
    public static void ForEach(string path, int skipLines, LineHandler handler)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[BlockSize];
        var filled = 0;
        long lineNumber = 1;
        var starts = new List<int>();
        var workers = Workers;
        var eof = false;
        while (!eof)
        {
            var n = f.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) eof = true;
            filled += n;
            // Lines complete in this block: up to the last newline (or everything at end of file).
            var end = eof ? filled : buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
            if (end == 0)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // one line longer than a block
                continue;
            }
            starts.Clear();
            for (var p = 0; p < end;)
            {
                starts.Add(p);
                var nl = buffer.AsSpan(p, end - p).IndexOf((byte)'\n');
                p = nl < 0 ? end : p + nl + 1;
            }
            starts.Add(end);
            var lines = starts.Count - 1;
            var firstLine = lineNumber;
            var block = buffer;
            // Hot loop that runs only a few times per file: compile it optimized from the start.
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            void Work(int w)
            {
                long lo = (long)lines * w / workers, hi = (long)lines * (w + 1) / workers;
                for (var i = (int)lo; i < hi; i++)
                {
                    var num = firstLine + i;
                    if (num <= skipLines) continue;
                    var line = block.AsSpan(starts[i], starts[i + 1] - starts[i]);
                    if (line.Length > 0 && line[^1] == '\n') line = line[..^1];
                    if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                    if (line.IsEmpty) continue;
                    handler(w, num, line);
                }
            }
            if (firstLine == 1 && end >= 3 && buffer.AsSpan(0, 3).SequenceEqual((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                starts[0] = 3; // UTF-8 byte-order mark
            if (workers == 1 || lines < 64 * workers)
                for (var w = 0; w < workers; w++) Work(w);
            else
            {
                try { Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work); }
                catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                {
                    // Report the bad line with the smallest number, as a sequential reader would.
                    var first = e.InnerExceptions.OfType<LineException>().MinBy(x => x.LineNumber) ?? e.InnerExceptions[0];
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
                }
            }
            lineNumber += lines;
            Buffer.BlockCopy(buffer, end, buffer, 0, filled - end);
            filled -= end;
        }
    }
}
