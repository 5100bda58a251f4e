using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Dyno.Models.Onnx;

/// <summary>
/// The bytes of an ONNX file: a read-only memory map of the file (weight payloads are never copied,
/// only the pages that are read are touched), or a pinned array for models loaded from a stream.
/// </summary>
public sealed unsafe class ModelBuffer : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly GCHandle _pin;
    private byte* _ptr;

    private ModelBuffer(MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        _map = map;
        _view = view;
        Length = length;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _ptr = p + view.PointerOffset;
    }

    private ModelBuffer(byte[] data)
    {
        _pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        _ptr = (byte*)_pin.AddrOfPinnedObject();
        Length = data.Length;
    }

    /// <summary>Size in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only.</summary>
    public static ModelBuffer Map(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file", path);
        if (info.Length == 0) return new ModelBuffer([]);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new ModelBuffer(map, view, info.Length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Wraps bytes already in memory (embedded examples, tests).</summary>
    public static ModelBuffer FromBytes(byte[] data) => new(data);

    /// <summary>Reads a whole stream into a pinned buffer.</summary>
    public static ModelBuffer FromStream(Stream stream)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return new ModelBuffer(ms.ToArray());
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new ReadOnlySpan<byte>(_ptr + offset, length);
    }

    /// <summary>A stream over a region of the buffer (no copy).</summary>
    public Stream Open(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new UnmanagedMemoryStream(_ptr + offset, length);
    }

    public void Dispose()
    {
        if (_ptr == null) return;
        _ptr = null;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
        if (_pin.IsAllocated) _pin.Free();
    }
}
