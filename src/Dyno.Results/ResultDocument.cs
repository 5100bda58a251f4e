using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dyno.Results;

/// <summary>
/// A result as written to JSON: <c>"kind"</c> and <c>"schema"</c> first, then the members of the typed
/// <see cref="Payload"/> exactly as <see cref="DynoJson.Options"/> serializes it. A payload that already carries
/// <c>kind</c> and <c>schema</c> (val, matrix) is written as it is, after checking that they agree.
/// </summary>
[JsonConverter(typeof(ResultDocumentConverter))]
public sealed class ResultDocument
{
    /// <summary>Wraps <paramref name="payload"/> (an object that serializes to a JSON object) as a result of <paramref name="kind"/>.</summary>
    public ResultDocument(string kind, object payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Kind = kind;
        Schema = ResultKinds.SchemaOf(kind);
        Payload = payload;
    }

    /// <summary>One of <see cref="ResultKinds"/>.</summary>
    public string Kind { get; }

    /// <summary>The schema version of <see cref="Kind"/> in this build.</summary>
    public int Schema { get; }

    /// <summary>The typed result (a record of a library, or a command's document type).</summary>
    public object Payload { get; }

    /// <summary>The document as indented JSON (<see cref="DynoJson.Options"/>).</summary>
    public string ToJson() => DynoJson.Serialize(this);

    private sealed class ResultDocumentConverter : JsonConverter<ResultDocument>
    {
        public override ResultDocument Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("read result documents with ResultLoader");

        public override void Write(Utf8JsonWriter writer, ResultDocument value, JsonSerializerOptions options)
        {
            var element = JsonSerializer.SerializeToElement(value.Payload, value.Payload.GetType(), options);
            if (element.ValueKind != JsonValueKind.Object)
                throw new InvalidOperationException($"a {value.Kind} result must serialize to a JSON object, {value.Payload.GetType().Name} gives {element.ValueKind}");
            if (!ResultKinds.IsStamped(value.Kind))
            {
                element.WriteTo(writer);
                return;
            }
            var hasKind = element.TryGetProperty("kind", out var k);
            if (hasKind && (k.ValueKind != JsonValueKind.String || k.GetString() != value.Kind))
                throw new InvalidOperationException($"{value.Payload.GetType().Name} says kind {k.GetRawText()}, the document is a {value.Kind}");
            writer.WriteStartObject();
            if (!hasKind)
            {
                writer.WriteString("kind", value.Kind);
                writer.WriteNumber("schema", value.Schema);
            }
            foreach (var p in element.EnumerateObject()) p.WriteTo(writer);
            writer.WriteEndObject();
        }
    }
}
