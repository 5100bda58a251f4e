using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OpenCvSharp;

namespace Dyno.Runtime.Val;

/// <summary>
/// Loads OpenCV's native library (<c>libOpenCvSharpExtern</c>) before Dyno's first OpenCV call, so that a machine
/// which cannot load it gets one line saying what is missing (<see cref="DynoEnvironmentException"/>) instead of a
/// <see cref="TypeInitializationException"/> from deep inside OpenCvSharp. The official OpenCvSharp Linux runtime links
/// GTK 3 (OpenCV's highgui), which minimal Debian machines and containers lack.
/// <para>
/// The dotnet tool package carries the library Brotli-compressed (<c>libOpenCvSharpExtern.KEY.so.br</c>, see
/// src/Dyno.Cli/Dyno.Cli.csproj: 38.3 MB instead of about 46 MB deflated, which keeps the linux-x64 package under 60 MB); the
/// first run unpacks it once into <c>$XDG_CACHE_HOME/dyno/native/KEY/</c> (<c>~/.cache</c> by default), KEY being the
/// first 16 hex digits of the library's SHA-256, and every run loads it from there. Everywhere else (builds, tests,
/// <c>./dyno</c>, the library packages) the plain library next to the assemblies is loaded as usual.
/// </para>
/// <para>
/// OpenCV's own thread pool is also turned off here, once: Dyno parallelises image work across images (val's
/// workers), one OpenCV call per thread. OpenCV's pool (its default: every core) would split a resize over the core
/// that runs inference and keep its workers spinning there: on the 2-core bench machine val of shapes_det_n_v8 ran at
/// 0.55 of bench throughput with it and 0.75 without (bench/val.sh, same load). Pixels do not change: OpenCV's
/// parallel stripes compute the same values.
/// </para>
/// </summary>
public static partial class OpenCvNative
{
    /// <summary>The library name OpenCvSharp's P/Invokes use.</summary>
    internal const string LibraryName = "OpenCvSharpExtern";

    private static readonly Lock Gate = new();
    private static volatile bool _loaded;
    private static string? _failure;

    /// <summary>
    /// Loads the native library and configures OpenCV (once per process; later calls return at once). Throws
    /// <see cref="DynoEnvironmentException"/> naming the missing system library when it cannot be loaded.
    /// </summary>
    public static void Ensure()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            if (_failure is null)
            {
                try
                {
                    Load();
                    Cv2.SetNumThreads(0);
                    _loaded = true;
                    return;
                }
                catch (Exception e) when (IsLoadFailure(e))
                {
                    _failure = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64
                        ? DescribeLoadFailure(e)
                        : $"decoding images (validation, calibration images) needs OpenCV's native library, which Dyno carries for linux-x64 only (OpenCvSharp's official runtime), not for {RuntimeInformation.RuntimeIdentifier}";
                }
            }
            throw new DynoEnvironmentException(_failure);
        }
    }

    private static void Load()
    {
        var openCv = typeof(Mat).Assembly;
        var packed = Directory.Exists(AppContext.BaseDirectory)
            ? Directory.GetFiles(AppContext.BaseDirectory, "lib" + LibraryName + ".*.so.br")
            : [];
        if (packed.Length == 0 || File.Exists(Path.Combine(AppContext.BaseDirectory, "lib" + LibraryName + ".so")))
        {
            // The ordinary search (next to the app, runtimes/RID/native, the system paths), as OpenCvSharp's
            // DllImports would do it: a failure here is one the first OpenCV call would have hit.
            NativeLibrary.Load(LibraryName, openCv, null);
            return;
        }
        var handle = NativeLibrary.Load(Unpack(packed[0], CacheRoot()));
        NativeLibrary.SetDllImportResolver(openCv, (name, _, _) => name == LibraryName ? handle : IntPtr.Zero);
    }

    /// <summary>Unpacks <paramref name="packed"/> into <paramref name="cacheRoot"/><c>/dyno/native/KEY/</c> (once: the file is renamed into place complete) and returns the library's path.</summary>
    internal static string Unpack(string packed, string cacheRoot)
    {
        var file = Path.GetFileName(packed); // libOpenCvSharpExtern.KEY.so.br
        var key = file["lib".Length..^".so.br".Length].Split('.')[^1];
        if (key.Length != 16 || !key.All(char.IsAsciiHexDigitLower))
            throw new InvalidOperationException($"{packed}: the packed library's name has no 16-hex-digit key");
        var dir = Path.Combine(cacheRoot, "dyno", "native", key);
        var target = Path.Combine(dir, "lib" + LibraryName + ".so");
        if (File.Exists(target)) return target;
        var temp = Path.Combine(dir, $".{System.Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var input = File.OpenRead(packed))
            using (var brotli = new BrotliStream(input, CompressionMode.Decompress))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = brotli.Read(buffer)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                }
                if (!Convert.ToHexStringLower(sha.GetHashAndReset()).StartsWith(key, StringComparison.Ordinal))
                    throw new DynoEnvironmentException($"{packed}: the unpacked library's SHA-256 does not start with {key} (a damaged install: reinstall dyno)");
            }
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            try
            {
                File.Move(temp, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                // another dyno unpacked it at the same time: same bytes
            }
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DynoEnvironmentException($"cannot unpack OpenCV's native library into {dir}: {e.Message} (set XDG_CACHE_HOME to a writable folder)", e);
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary><c>$XDG_CACHE_HOME</c> when it is an absolute path (the XDG rule), else <c>~/.cache</c>.</summary>
    private static string CacheRoot()
    {
        var xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg)) return xdg;
        var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home)) throw new DynoEnvironmentException("cannot unpack OpenCV's native library: no home folder and no XDG_CACHE_HOME (set XDG_CACHE_HOME to a writable folder)");
        return Path.Combine(home, ".cache");
    }

    /// <summary>Whether <paramref name="e"/> (or an exception inside it) says the native library could not be loaded.</summary>
    internal static bool IsLoadFailure(Exception e) => Chain(e).Any(x => x is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException);

    private static IEnumerable<Exception> Chain(Exception e)
    {
        var todo = new Stack<Exception>();
        todo.Push(e);
        while (todo.TryPop(out var x))
        {
            yield return x;
            if (x is AggregateException a) foreach (var i in a.InnerExceptions.Reverse()) todo.Push(i);
            else if (x.InnerException is { } inner) todo.Push(inner);
        }
    }

    /// <summary>
    /// The one-line message for a failed load: which library the loader could not find (taken from the loader's own
    /// text in the exception, e.g. <c>libgtk-3.so.0: cannot open shared object file</c>) and how to install it.
    /// </summary>
    internal static string DescribeLoadFailure(Exception e)
    {
        const string what = "decoding images (validation, calibration images) needs OpenCV's native library, which could not be loaded: ";
        var text = string.Join("\n", Chain(e).Select(x => x.Message));
        var missing = MissingLibrary().Matches(text).Select(m => m.Groups["name"].Value)
            .FirstOrDefault(n => !n.Contains(LibraryName, StringComparison.Ordinal));
        if (missing is not null) return what + $"{missing} is missing ({InstallHint(missing)})";
        if (MissingVersion().Match(text) is { Success: true } v)
            return what + $"this system's {v.Groups["lib"].Value} lacks version {v.Groups["version"].Value} (the official OpenCvSharp runtime needs glibc 2.28 or newer: Debian 10+, Ubuntu 20.04+, RHEL 8+)";
        if (MissingLibrary().IsMatch(text))
            return what + $"lib{LibraryName} was not found next to dyno nor on the library path (a broken install: reinstall dyno)";
        // anything else (a library without OpenCvSharp's entry points, a wrong architecture): the loader's own line,
        // else the innermost exception's first line, the cause rather than the "type initializer threw" around it
        var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains(".so", StringComparison.Ordinal) && l.Contains(": ", StringComparison.Ordinal))
            ?? Chain(e).Last().Message.Split('\n')[0].Trim();
        return what + line;
    }

    /// <summary>Where a missing library comes from; the official OpenCvSharp runtime links GTK 3 and what GTK 3 needs.</summary>
    internal static string InstallHint(string library) => library switch
    {
        _ when library.StartsWith("libgtk-3.", StringComparison.Ordinal) || library.StartsWith("libgdk-3.", StringComparison.Ordinal)
            => "Debian/Ubuntu: apt-get install libgtk-3-0; RHEL/AlmaLinux: dnf install gtk3",
        _ when library.StartsWith("libfreetype.", StringComparison.Ordinal) => "Debian/Ubuntu: apt-get install libfreetype6; RHEL/AlmaLinux: dnf install freetype",
        _ when library.StartsWith("libharfbuzz.", StringComparison.Ordinal) => "Debian/Ubuntu: apt-get install libharfbuzz0b; RHEL/AlmaLinux: dnf install harfbuzz",
        _ => "install the package that provides it; on Debian/Ubuntu, apt-get install libgtk-3-0 brings everything the official OpenCvSharp runtime links",
    };

    // "…/libOpenCvSharpExtern.so: libgtk-3.so.0: cannot open shared object file: No such file or directory": the name
    // just before the loader's phrase is the file it could not open.
    [GeneratedRegex(@"(?<name>[^\s:/\\]+): cannot open shared object file")]
    private static partial Regex MissingLibrary();

    // "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found (required by …)"
    [GeneratedRegex(@"(?<lib>[^\s:/\\]+): version [`'](?<version>[^'`]+)' not found")]
    private static partial Regex MissingVersion();
}
