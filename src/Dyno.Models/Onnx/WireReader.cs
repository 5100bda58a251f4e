using System.Text;
using Google.Protobuf;

namespace Dyno.Models.Onnx;

/// <summary>
/// Field-by-field reading of one protobuf message region with Google.Protobuf's <see cref="CodedInputStream"/>.
/// Length-delimited fields are returned as regions of the underlying buffer and skipped (not copied),
/// so tensors' raw data is never read unless asked for.
/// </summary>
internal sealed class WireReader : IDisposable
{
    // Fields at least this long are skipped by re-opening the reader after them instead of reading
    // through them, so weight payloads are never touched (their pages are never faulted in).
    private const long SkipByReopen = 64 * 1024;

    private readonly ModelBuffer _buffer;
    private readonly long _end;
    private readonly string _what;
    private long _origin;
    private CodedInputStream _in;
    private uint _tag;

    public WireReader(ModelBuffer buffer, Region region, string what)
    {
        _buffer = buffer;
        _origin = region.Offset;
        _end = region.Offset + region.Length;
        _what = what;
        _in = new CodedInputStream(buffer.Open(region.Offset, region.Length), leaveOpen: false);
        _tag = 0;
    }

    public int Field => WireFormat.GetTagFieldNumber(_tag);
    public WireFormat.WireType WireType => WireFormat.GetTagWireType(_tag);

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    public bool Next()
    {
        try
        {
            _tag = _in.ReadTag();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(e.Message);
        }
        return _tag != 0;
    }

    public long Varint()
    {
        Expect(WireFormat.WireType.Varint);
        return Guard(() => _in.ReadInt64());
    }

    public float Float()
    {
        Expect(WireFormat.WireType.Fixed32);
        return Guard(() => _in.ReadFloat());
    }

    /// <summary>The region of the current length-delimited field, skipping over its bytes.</summary>
    public Region Bytes()
    {
        Expect(WireFormat.WireType.LengthDelimited);
        var at = _origin + _in.Position;
        var header = _buffer.Span(at, (int)Math.Min(10, _end - at));
        ulong len = 0;
        var k = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (k >= header.Length || shift > 63) throw Corrupt("bad length prefix");
            var b = header[k++];
            len |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        var start = at + k;
        if (len > (ulong)(_end - start)) throw Corrupt($"a field of {len} bytes runs past the end of its message");
        if ((long)len < SkipByReopen)
        {
            Skip();
        }
        else
        {
            _in.Dispose();
            _origin = start + (long)len;
            _in = new CodedInputStream(_buffer.Open(_origin, _end - _origin), leaveOpen: false);
        }
        return new Region(start, (long)len);
    }

    public string String()
    {
        var r = Bytes();
        if (r.Length > int.MaxValue) throw Corrupt("string longer than 2 GB");
        return Encoding.UTF8.GetString(_buffer.Span(r.Offset, (int)r.Length));
    }

    /// <summary>Reads a repeated int64/int32 field, packed or not, appending to <paramref name="into"/>.</summary>
    public void Int64s(List<long> into)
    {
        if (WireType == WireFormat.WireType.Varint)
        {
            into.Add(Varint());
            return;
        }
        var r = Bytes();
        using var inner = new CodedInputStream(_buffer.Open(r.Offset, r.Length), leaveOpen: false);
        try
        {
            while (!inner.IsAtEnd) into.Add(inner.ReadInt64());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(e.Message);
        }
    }

    /// <summary>Reads a repeated float field, packed or not.</summary>
    public void Floats(List<float> into)
    {
        if (WireType == WireFormat.WireType.Fixed32)
        {
            into.Add(Float());
            return;
        }
        var r = Bytes();
        if (r.Length % 4 != 0) throw Corrupt("packed float field length is not a multiple of 4");
        var span = _buffer.Span(r.Offset, checked((int)r.Length));
        for (var i = 0; i < span.Length; i += 4) into.Add(BitConverter.ToSingle(span.Slice(i, 4)));
    }

    public void Skip() => Guard(() => { _in.SkipLastField(); return 0; });

    public InvalidDataException Corrupt(string detail) =>
        new($"{_what}: malformed protobuf ({detail}); the file is truncated or not an ONNX model");

    private void Expect(WireFormat.WireType t)
    {
        if (WireType != t) throw Corrupt($"field {Field} has wire type {WireType}, expected {t}");
    }

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(e.Message);
        }
    }

    public void Dispose() => _in.Dispose();
}

/// <summary>A byte range of the model file.</summary>
public record struct Region(long Offset, long Length);
