namespace Dyno.Models.Onnx;

/// <summary>Decodes ONNX messages (field numbers from onnx.proto) from a <see cref="ModelBuffer"/>.</summary>
internal sealed class OnnxParser
{
    private readonly ModelBuffer _buf;
    private readonly string _source;
    private readonly string? _baseDir;
    private readonly Dictionary<string, bool> _fileExists = new(StringComparer.Ordinal);
    private readonly int _maxDepth;
    private int _depth;
    private long? _negativeDim;

    private OnnxParser(ModelBuffer buf, string source, string? baseDir, int maxDepth = OnnxReadLimits.DefaultMaxGraphDepth)
    {
        _buf = buf;
        _source = source;
        _baseDir = baseDir;
        _maxDepth = maxDepth;
    }

    public static OnnxModel Parse(ModelBuffer buf, string source, string? baseDir, OnnxReadLimits? limits = null)
    {
        var p = new OnnxParser(buf, source, baseDir, (limits ?? OnnxReadLimits.Default).MaxGraphDepth);
        var model = new OnnxModel(buf, source);
        if (buf.Length == 0) throw new InvalidDataException($"{source}: the file is empty, not an ONNX model");
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        var functions = new List<OnnxFunction>();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        OnnxGraph? graph = null;
        using (var r = new WireReader(buf, new Region(0, buf.Length), source))
        {
            while (r.Next())
            {
                switch (r.Field)
                {
                    case 1: model.IrVersion = r.Varint(); break;
                    case 2: model.ProducerName = r.String(); break;
                    case 3: model.ProducerVersion = r.String(); break;
                    case 4: model.Domain = r.String(); break;
                    case 5: model.ModelVersion = r.Varint(); break;
                    case 7: graph = p.ParseGraph(r.Bytes(), "graph"); break;
                    case 8:
                    {
                        var (d, v) = p.ParseOpset(r.Bytes());
                        opsets[d] = v;
                        break;
                    }
                    case 14:
                    {
                        var (k, v) = p.ParseStringPair(r.Bytes());
                        meta[k] = v;
                        break;
                    }
                    case 25: functions.Add(p.ParseFunction(r.Bytes())); break;
                    default: r.Skip(); break;
                }
            }
        }
        if (graph is null)
            throw new InvalidDataException($"{source}: no graph found; the file is not an ONNX model (or is truncated before its graph)");
        if (model.IrVersion <= 0 || model.IrVersion > 100)
            throw new InvalidDataException($"{source}: ir_version {model.IrVersion} is not a valid ONNX IR version; the file is not an ONNX model");
        model.Graph = graph;
        model.OpsetImports = opsets;
        model.Functions = functions;
        model.Metadata = meta;
        return model;
    }

    public static OnnxTensor ParseTensor(ModelBuffer buf, Region region, string source, string? baseDir) =>
        new OnnxParser(buf, source, baseDir).ParseTensor(region, "tensor");

    private (string, long) ParseOpset(Region region)
    {
        using var r = new WireReader(_buf, region, _source);
        string domain = "";
        long version = 0;
        while (r.Next())
        {
            if (r.Field == 1) domain = r.String();
            else if (r.Field == 2) version = r.Varint();
            else r.Skip();
        }
        return (domain == "ai.onnx" ? "" : domain, version);
    }

    private (string, string) ParseStringPair(Region region)
    {
        using var r = new WireReader(_buf, region, _source);
        string k = "", v = "";
        while (r.Next())
        {
            if (r.Field == 1) k = r.String();
            else if (r.Field == 2) v = r.String();
            else r.Skip();
        }
        return (k, v);
    }

    private OnnxGraph ParseGraph(Region region, string where)
    {
        if (++_depth > _maxDepth)
            throw DynoInputException.Naming(new InvalidDataException($"{_source}: subgraphs (If/Loop/Scan bodies) are nested more than {_maxDepth} deep; " +
                                           "refused as a resource limit (raise it with OnnxReadLimits.MaxGraphDepth, at most " + OnnxReadLimits.MaxGraphDepthCeiling + ")"), "OnnxReadLimits.MaxGraphDepth");
        try
        {
            return ParseGraphBody(region, where);
        }
        finally
        {
            _depth--;
        }
    }

    private OnnxGraph ParseGraphBody(Region region, string where)
    {
        var nodes = new List<OnnxNode>();
        var inits = new List<OnnxTensor>();
        var sparse = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        var valueInfo = new List<OnnxValueInfo>();
        var name = "";
        var nodeRegions = new List<Region>();
        using (var r = new WireReader(_buf, region, $"{_source}: {where}"))
        {
            while (r.Next())
            {
                switch (r.Field)
                {
                    case 1: nodeRegions.Add(r.Bytes()); break;
                    case 2: name = r.String(); break;
                    case 5: inits.Add(ParseTensor(r.Bytes(), $"{where} initializer #{inits.Count}")); break;
                    case 11: inputs.Add(ParseValueInfo(r.Bytes())); break;
                    case 12: outputs.Add(ParseValueInfo(r.Bytes())); break;
                    case 13: valueInfo.Add(ParseValueInfo(r.Bytes())); break;
                    case 15: sparse.Add(ParseSparse(r.Bytes(), $"{where} sparse initializer #{sparse.Count}")); break;
                    default: r.Skip(); break;
                }
            }
        }
        var gname = name.Length > 0 ? $"graph '{name}'" : where;
        for (var i = 0; i < nodeRegions.Count; i++) nodes.Add(ParseNode(nodeRegions[i], i, gname));
        return new OnnxGraph
        {
            Name = name, Nodes = nodes, Initializers = inits, SparseInitializers = sparse,
            Inputs = inputs, Outputs = outputs, ValueInfo = valueInfo,
        };
    }

    private OnnxNode ParseNode(Region region, int index, string where)
    {
        var inputs = new List<string>(4);
        var outputs = new List<string>(1);
        string name = "", op = "", domain = "";
        Dictionary<string, OnnxAttribute>? attrs = null;
        var what = $"{_source}: {where} node #{index}";
        using var r = new WireReader(_buf, region, what);
        var attrRegions = new List<Region>();
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1: inputs.Add(r.String()); break;
                case 2: outputs.Add(r.String()); break;
                case 3: name = r.String(); break;
                case 4: op = r.String(); break;
                case 5: attrRegions.Add(r.Bytes()); break;
                case 7: domain = r.String(); break;
                default: r.Skip(); break;
            }
        }
        if (op.Length == 0) throw new InvalidDataException($"{what} ('{name}') has no op_type; the file is not a valid ONNX model");
        var nodeWhere = $"{where} node '{(name.Length > 0 ? name : "#" + index)}' ({op})";
        foreach (var ar in attrRegions)
        {
            attrs ??= new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
            var a = ParseAttribute(ar, nodeWhere);
            attrs[a.Name] = a;
        }
        return new OnnxNode
        {
            Name = name, OpType = op, Domain = domain == "ai.onnx" ? "" : domain, Index = index,
            Inputs = inputs.ToArray(), Outputs = outputs.ToArray(),
            Attributes = (IReadOnlyDictionary<string, OnnxAttribute>?)attrs ?? EmptyAttributes,
        };
    }

    private static readonly Dictionary<string, OnnxAttribute> EmptyAttributes = new();

    private OnnxAttribute ParseAttribute(Region region, string where)
    {
        using var r = new WireReader(_buf, region, $"{_source}: {where} attribute");
        string name = "", s = "";
        string? refName = null;
        var type = AttributeType.Undefined;
        float f = 0;
        long i = 0;
        OnnxTensor? t = null;
        OnnxGraph? g = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var strings = new List<string>();
        var tensors = new List<OnnxTensor>();
        var graphs = new List<Region>();
        Region? graphRegion = null;
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1: name = r.String(); break;
                case 2: f = r.Float(); break;
                case 3: i = r.Varint(); break;
                case 4: s = r.String(); break;
                case 5: t = ParseTensor(r.Bytes(), $"{where} attribute tensor"); break;
                case 6: graphRegion = r.Bytes(); break;
                case 7: r.Floats(floats); break;
                case 8: r.Int64s(ints); break;
                case 9: strings.Add(r.String()); break;
                case 10: tensors.Add(ParseTensor(r.Bytes(), $"{where} attribute tensor")); break;
                case 11: graphs.Add(r.Bytes()); break;
                case 20: type = (AttributeType)r.Varint(); break;
                case 21: refName = r.String(); break;
                case 22: t = ParseSparse(r.Bytes(), $"{where} attribute sparse tensor"); break;
                default: r.Skip(); break;
            }
        }
        if (graphRegion is { } gr) g = ParseGraph(gr, $"{where} attribute '{name}' subgraph");
        var gs = graphs.Select((x, k) => ParseGraph(x, $"{where} attribute '{name}' subgraph #{k}")).ToArray();
        if (type == AttributeType.Undefined)
        {
            // IR < 3 files may omit the type: infer it from the field that is set.
            type = g is not null ? AttributeType.Graph : t is not null ? AttributeType.Tensor : floats.Count > 0 ? AttributeType.Floats
                : ints.Count > 0 ? AttributeType.Ints : strings.Count > 0 ? AttributeType.Strings : s.Length > 0 ? AttributeType.String
                : f != 0 ? AttributeType.Float : AttributeType.Int;
        }
        return new OnnxAttribute
        {
            Name = name, Type = type, F = f, I = i, S = s, T = t, G = g, Floats = floats.ToArray(), Ints = ints.ToArray(),
            Strings = strings.ToArray(), Tensors = tensors.ToArray(), Graphs = gs, RefAttrName = refName,
        };
    }

    private OnnxValueInfo ParseValueInfo(Region region)
    {
        using var r = new WireReader(_buf, region, $"{_source}: value_info");
        var name = "";
        (ValueKind Kind, DataType Elem, Dim[]? Shape) type = (ValueKind.Unknown, DataType.Undefined, null);
        while (r.Next())
        {
            if (r.Field == 1) name = r.String();
            else if (r.Field == 2) type = ParseType(r.Bytes());
            else r.Skip();
        }
        if (_negativeDim is { } neg)
            throw new InvalidDataException($"{_source}: value '{name}' declares a negative dimension {neg}; dimensions are sizes (>= 0) or symbolic names");
        return new OnnxValueInfo(name, type.Kind, type.Elem, type.Shape);
    }

    private (ValueKind, DataType, Dim[]?) ParseType(Region region)
    {
        using var r = new WireReader(_buf, region, $"{_source}: type");
        var result = (ValueKind.Unknown, DataType.Undefined, (Dim[]?)null);
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1:
                {
                    var (e, s) = ParseTensorType(r.Bytes());
                    result = (ValueKind.Tensor, e, s);
                    break;
                }
                case 8:
                {
                    var (e, s) = ParseTensorType(r.Bytes());
                    result = (ValueKind.SparseTensor, e, s);
                    break;
                }
                case 4: r.Skip(); result = (ValueKind.Sequence, DataType.Undefined, null); break;
                case 5: r.Skip(); result = (ValueKind.Map, DataType.Undefined, null); break;
                case 9: r.Skip(); result = (ValueKind.Optional, DataType.Undefined, null); break;
                default: r.Skip(); break;
            }
        }
        return result;
    }

    private (DataType, Dim[]?) ParseTensorType(Region region)
    {
        using var r = new WireReader(_buf, region, $"{_source}: tensor type");
        var elem = DataType.Undefined;
        Dim[]? shape = null;
        while (r.Next())
        {
            if (r.Field == 1) elem = (DataType)r.Varint();
            else if (r.Field == 2) shape = ParseShape(r.Bytes());
            else r.Skip();
        }
        return (elem, shape);
    }

    private Dim[] ParseShape(Region region)
    {
        var dims = new List<Dim>();
        using var r = new WireReader(_buf, region, $"{_source}: shape");
        while (r.Next())
        {
            if (r.Field != 1)
            {
                r.Skip();
                continue;
            }
            using var d = new WireReader(_buf, r.Bytes(), $"{_source}: dimension");
            var dim = Dim.Unknown;
            while (d.Next())
            {
                if (d.Field == 1)
                {
                    var v = d.Varint();
                    if (v < 0) _negativeDim ??= v;
                    dim = Dim.Of(v);
                }
                else if (d.Field == 2) dim = Dim.Sym(d.String());
                else d.Skip();
            }
            dims.Add(dim);
        }
        return dims.ToArray();
    }

    private OnnxTensor ParseTensor(Region region, string where)
    {
        using var r = new WireReader(_buf, region, $"{_source}: {where}");
        var dims = new List<long>();
        var type = DataType.Undefined;
        var name = "";
        var dataField = 0;
        Region data = default;
        var location = DataLocation.None;
        var externalLocation = 0;
        string? file = null;
        long offset = 0, length = -1;
        List<float>? floats = null;
        List<long>? ints = null;
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1: r.Int64s(dims); break;
                case 2: type = (DataType)r.Varint(); break;
                case 8: name = r.String(); break;
                case 4:
                    if (r.WireType == Google.Protobuf.WireFormat.WireType.Fixed32)
                    {
                        (floats ??= []).Add(r.Float());
                        location = DataLocation.Embedded;
                    }
                    else
                    {
                        dataField = 4;
                        data = r.Bytes();
                        location = DataLocation.Embedded;
                    }
                    break;
                case 5 or 7 or 11:
                    if (r.WireType == Google.Protobuf.WireFormat.WireType.Varint)
                    {
                        (ints ??= []).Add(r.Varint());
                    }
                    else
                    {
                        dataField = r.Field;
                        data = r.Bytes();
                    }
                    location = DataLocation.Embedded;
                    break;
                case 9 or 10:
                    dataField = r.Field;
                    data = r.Bytes();
                    location = DataLocation.Embedded;
                    break;
                case 6: r.Skip(); location = DataLocation.Embedded; dataField = 6; break;
                case 13:
                {
                    var (k, v) = ParseStringPair(r.Bytes());
                    if (k == "location") file = v;
                    else if (k == "offset") offset = ParseLong(v, where, k);
                    else if (k == "length") length = ParseLong(v, where, k);
                    break;
                }
                case 14: externalLocation = (int)r.Varint(); break;
                default: r.Skip(); break;
            }
        }
        var present = false;
        if (externalLocation == 1)
        {
            if (file is null) throw new InvalidDataException($"{_source}: {where} '{name}' declares external data without a location");
            location = DataLocation.External;
            CheckExternalLocation(file, name, where);
            present = ExternalExists(file);
        }
        foreach (var d in dims)
            if (d < 0) throw new InvalidDataException($"{_source}: {where} '{name}' has a negative dimension {d}");
        return new OnnxTensor
        {
            Buffer = _buf, Name = name, DataType = type, Dims = dims.ToArray(), Location = location, DataField = dataField,
            DataRegion = data, InlineFloats = floats, InlineInts = ints, ExternalFile = file, ExternalOffset = offset,
            ExternalLength = length, ExternalFilePresent = present,
        };
    }

    private OnnxTensor ParseSparse(Region region, string where)
    {
        using var r = new WireReader(_buf, region, $"{_source}: {where}");
        OnnxTensor? values = null;
        var dims = new List<long>();
        while (r.Next())
        {
            if (r.Field == 1) values = ParseTensor(r.Bytes(), where + " values");
            else if (r.Field == 3) r.Int64s(dims);
            else r.Skip();
        }
        if (values is null) throw new InvalidDataException($"{_source}: {where} has no values");
        // The dense shape is what the graph sees; the stored values are what the file weighs.
        return new OnnxTensor
        {
            Name = values.Name, DataType = values.DataType, Dims = dims.ToArray(), Location = DataLocation.None,
        };
    }

    private OnnxFunction ParseFunction(Region region)
    {
        using var r = new WireReader(_buf, region, $"{_source}: function");
        string name = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attrs = new List<string>();
        var nodeRegions = new List<Region>();
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Next())
        {
            switch (r.Field)
            {
                case 1: name = r.String(); break;
                case 4: inputs.Add(r.String()); break;
                case 5: outputs.Add(r.String()); break;
                case 6: attrs.Add(r.String()); break;
                case 7: nodeRegions.Add(r.Bytes()); break;
                case 9:
                {
                    var (d, v) = ParseOpset(r.Bytes());
                    opsets[d] = v;
                    break;
                }
                case 10: domain = r.String(); break;
                default: r.Skip(); break;
            }
        }
        var nodes = nodeRegions.Select((x, k) => ParseNode(x, k, $"function '{name}'")).ToList();
        return new OnnxFunction
        {
            Name = name, Domain = domain, Inputs = inputs.ToArray(), Outputs = outputs.ToArray(),
            AttributeNames = attrs.ToArray(), Nodes = nodes, OpsetImports = opsets,
        };
    }

    /// <summary>
    /// Refuses an external-data location that is absolute or climbs out of the model's folder, as
    /// onnx.checker and ONNX Runtime do, before anything tests whether it exists: otherwise the
    /// answer (absent or not) would tell an untrusted model's author which paths exist on this machine.
    /// </summary>
    private void CheckExternalLocation(string file, string name, string where)
    {
        var parts = file.Split('/', '\\');
        var bad = file.Length == 0 || Path.IsPathRooted(file) || (file.Length > 1 && file[1] == ':') || file.Contains('\0')
                  || parts.Any(p => p == "..");
        if (!bad && _baseDir is not null)
        {
            var baseFull = Path.GetFullPath(_baseDir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            bad = !Path.GetFullPath(Path.Combine(baseFull, file)).StartsWith(baseFull, StringComparison.Ordinal);
        }
        if (bad)
            throw new InvalidDataException(
                $"{_source}: {where} '{name}': external data location '{file}' is absolute or leaves the model's folder; refused (ONNX requires a path relative to the model's folder)");
    }

    private bool ExternalExists(string file)
    {
        if (_fileExists.TryGetValue(file, out var e)) return e;
        e = _baseDir is not null && File.Exists(Path.Combine(_baseDir, file));
        _fileExists[file] = e;
        return e;
    }

    private long ParseLong(string v, string where, string key) =>
        long.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var x)
            ? x
            : throw new InvalidDataException($"{_source}: {where}: external_data {key} '{v}' is not an integer");
}
