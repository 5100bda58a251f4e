using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Dyno.Runtime.Val;

namespace Dyno.Runtime.Tests.Val;

/// <summary>
/// A machine that cannot load OpenCV's native library gets one line naming what is missing; the tool package's
/// Brotli-packed library unpacks once into the cache. The load failures are the loader texts .NET 10 gives on Linux
/// (the GTK one from a fresh Debian machine without libgtk-3-0); GTK stays installed here.
/// </summary>
public sealed class OpenCvNativeTests
{
    private const string Prefix = "decoding images (validation, calibration images) needs OpenCV's native library, which could not be loaded: ";

    // What OpenCvSharp's first P/Invoke threw on Debian 13 without GTK (exit 70 before): the loader tries the app
    // folder, then the framework folder, then the bare name.
    private static Exception NoGtk() => new TypeInitializationException("OpenCvSharp.Internal.NativeMethods", new DllNotFoundException(
        "Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n"
        + "/root/.dotnet/tools/.store/dyno.linux-x64/0.1.0/dyno.linux-x64/0.1.0/tools/net10.0/linux-x64/libOpenCvSharpExtern.so: libgtk-3.so.0: cannot open shared object file: No such file or directory\n"
        + "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
        + "libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"));

    [Fact]
    public void A_missing_gtk_is_named_with_the_package_to_install()
    {
        var e = NoGtk();
        Assert.True(OpenCvNative.IsLoadFailure(e));
        Assert.Equal(Prefix + "libgtk-3.so.0 is missing (Debian/Ubuntu: apt-get install libgtk-3-0; RHEL/AlmaLinux: dnf install gtk3)", OpenCvNative.DescribeLoadFailure(e));
        // wrapped once more, as val's workers would
        Assert.Equal(OpenCvNative.DescribeLoadFailure(e), OpenCvNative.DescribeLoadFailure(new AggregateException(new InvalidOperationException("other"), e)));
    }

    [Fact]
    public void Other_missing_libraries_and_loader_failures_are_named()
    {
        var noFreetype = new DllNotFoundException("Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. ...: \n/app/libOpenCvSharpExtern.so: libfreetype.so.6: cannot open shared object file: No such file or directory\n");
        Assert.Equal(Prefix + "libfreetype.so.6 is missing (Debian/Ubuntu: apt-get install libfreetype6; RHEL/AlmaLinux: dnf install freetype)", OpenCvNative.DescribeLoadFailure(noFreetype));
        var noXi = new DllNotFoundException("/app/libOpenCvSharpExtern.so: libXi.so.6: cannot open shared object file: No such file or directory");
        Assert.Equal(Prefix + "libXi.so.6 is missing (install the package that provides it; on Debian/Ubuntu, apt-get install libgtk-3-0 brings everything the official OpenCvSharp runtime links)", OpenCvNative.DescribeLoadFailure(noXi));
        var notThere = new DllNotFoundException("Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. ...: \n/app/libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\nlibOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n");
        Assert.Equal(Prefix + "libOpenCvSharpExtern was not found next to dyno nor on the library path (a broken install: reinstall dyno)", OpenCvNative.DescribeLoadFailure(notThere));
        var oldGlibc = new DllNotFoundException("Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. ...: \n/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found (required by /app/libOpenCvSharpExtern.so)\n");
        Assert.Equal(Prefix + "this system's libc.so.6 lacks version GLIBC_2.28 (the official OpenCvSharp runtime needs glibc 2.28 or newer: Debian 10+, Ubuntu 20.04+, RHEL 8+)", OpenCvNative.DescribeLoadFailure(oldGlibc));
        // a library that loads but is not OpenCvSharp's (seen with a stand-in file): the cause, not the wrapper
        var notOpenCv = new TypeInitializationException("OpenCvSharp.Internal.NativeMethods", new EntryPointNotFoundException("Unable to find an entry point named 'core_Mat_sizeof' in shared library 'OpenCvSharpExtern'."));
        Assert.True(OpenCvNative.IsLoadFailure(notOpenCv));
        Assert.Equal(Prefix + "Unable to find an entry point named 'core_Mat_sizeof' in shared library 'OpenCvSharpExtern'.", OpenCvNative.DescribeLoadFailure(notOpenCv));
        Assert.False(OpenCvNative.IsLoadFailure(new InvalidOperationException("x", new IOException("y"))));
    }

    [Fact]
    public void The_library_loads_here_and_decoding_works()
    {
        OpenCvNative.Ensure();
        OpenCvNative.Ensure();
        using var img = ImageDecoder.DecodeBgr(File.ReadAllBytes(Directory.GetFiles(ValFixtures.Path_("det", "images"))[0]), "first image");
        Assert.Equal(3, img.Channels());
    }

    [Fact]
    public void A_packed_library_unpacks_once_into_the_cache_and_is_checked()
    {
        var work = Directory.CreateTempSubdirectory("dyno-opencv-native").FullName;
        try
        {
            var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("not really an ELF file; ", 100_000)));
            var key = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
            var packed = Path.Combine(work, $"libOpenCvSharpExtern.{key}.so.br");
            File.WriteAllBytes(packed, Brotli(content));
            var cache = Path.Combine(work, "cache");
            var path = OpenCvNative.Unpack(packed, cache);
            Assert.Equal(Path.Combine(cache, "dyno", "native", key, "libOpenCvSharpExtern.so"), path);
            Assert.Equal(content, File.ReadAllBytes(path));
            Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left
            if (!OperatingSystem.IsWindows()) Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));
            // the second run takes the cached file as it is
            var written = File.GetLastWriteTimeUtc(path);
            Assert.Equal(path, OpenCvNative.Unpack(packed, cache));
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));

            // a damaged package (content whose hash is not the name's key) is refused and leaves nothing behind
            var bad = Path.Combine(work, "bad", $"libOpenCvSharpExtern.{key}.so.br");
            Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
            File.WriteAllBytes(bad, Brotli([.. content, 1]));
            var e = Assert.Throws<DynoEnvironmentException>(() => OpenCvNative.Unpack(bad, Path.Combine(work, "cache2")));
            Assert.Contains("damaged install", e.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(Path.Combine(work, "cache2", "dyno", "native", key)));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static byte[] Brotli(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var b = new BrotliStream(ms, CompressionLevel.Fastest)) b.Write(data);
        return ms.ToArray();
    }
}
