using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Dyno;

/// <summary>
/// Writes output files atomically: the content goes to a temporary file beside the target, which is
/// then renamed over it, so a reader never sees a half-written file and a failure leaves no debris.
/// </summary>
/// <remarks>
/// Targets that are not regular files are written through instead (opened and written, never renamed
/// over): character devices such as <c>/dev/null</c>, <c>/dev/stdout</c> and the other <c>/dev/std*</c>,
/// FIFOs and sockets. A symbolic link is followed: its final target is replaced atomically and the link
/// stays a link. Temporary files left beside the target by a killed dyno (<c>.NAME.PID.GUID.tmp</c> whose
/// process is gone) are removed on the next write of the same target. The folder must exist: it is never created.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Runs <paramref name="write"/> on a temporary file, flushes it to disk and renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var given = Path.GetFullPath(path);
        var full = ResolveTarget(given);
        if (IsSpecial(given) || IsSpecial(full))
        {
            // /dev/stdout and friends are links the kernel resolves per process: open the name as given
            using var device = new FileStream(given, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(device);
            device.Flush();
            return;
        }
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{path}: the folder '{dir}' does not exist");
        if (Directory.Exists(full)) throw new IOException($"{path}: is a folder, not a file");
        CleanStale(dir, Path.GetFileName(full));
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The file a write to <paramref name="full"/> lands in: the final target of a symbolic link, else the path itself.</summary>
    public static string ResolveTarget(string full)
    {
        try
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is null) return full;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? full : Path.GetFullPath(target.FullName);
        }
        catch (IOException)
        {
            return full; // a link loop: the write fails with the system's message
        }
    }

    /// <summary>Whether <paramref name="full"/> exists and is not a regular file (a device, FIFO or socket): such targets are written through.</summary>
    public static bool IsSpecial(string full)
    {
        if (full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal))
            return File.Exists(full) || full.StartsWith("/dev/std", StringComparison.Ordinal) || full.StartsWith("/dev/fd/", StringComparison.Ordinal)
                   || full.StartsWith("/proc/self/fd/", StringComparison.Ordinal);
        return FileType(full) is FileKind.Fifo or FileKind.CharDevice or FileKind.BlockDevice or FileKind.Socket;
    }

    private enum FileKind { Missing, Regular, Directory, Fifo, CharDevice, BlockDevice, Socket, Other }

    private static FileKind FileType(string full)
    {
        if (OperatingSystem.IsWindows()) return File.Exists(full) ? FileKind.Regular : FileKind.Missing;
        try
        {
            // .NET's own native shim: a platform-neutral stat whose mode uses the POSIX S_IF* values.
            var buf = new byte[512];
            if (SystemNativeStat(full, buf) != 0) return FileKind.Missing;
            var mode = BitConverter.ToInt32(buf, 4) & 0xF000;
            return mode switch
            {
                0x8000 => FileKind.Regular, 0x4000 => FileKind.Directory, 0x1000 => FileKind.Fifo, 0x2000 => FileKind.CharDevice,
                0x6000 => FileKind.BlockDevice, 0xC000 => FileKind.Socket, _ => FileKind.Other,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return File.Exists(full) ? FileKind.Regular : FileKind.Missing;
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", BestFitMapping = false)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] output);

    /// <summary>Removes temporary files of <paramref name="name"/> left by dyno processes that no longer run (killed mid-write).</summary>
    private static void CleanStale(string dir, string name)
    {
        IEnumerable<string> stale;
        try
        {
            stale = Directory.EnumerateFiles(dir, $".{name}.*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var f in stale)
        {
            var rest = Path.GetFileName(f)[(name.Length + 2)..^4]; // PID.GUID
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || rest.Length - dot - 1 != 32 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
