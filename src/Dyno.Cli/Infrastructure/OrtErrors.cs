using Microsoft.ML.OnnxRuntime;

namespace Dyno.Cli.Infrastructure;

/// <summary>Turns ONNX Runtime's refusals of a user's model or inputs into one-line errors (exit code 2).</summary>
internal static class OrtErrors
{
    /// <summary>
    /// Runs <paramref name="body"/>; an <see cref="OnnxRuntimeException"/> (unknown operator, input shape or type
    /// mismatch, bad external data...) becomes <c>MODEL: onnxruntime refused the model: MESSAGE</c>, also when it
    /// arrives wrapped in an <see cref="AggregateException"/> from parallel requests.
    /// </summary>
    public static T Translate<T>(string model, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (OnnxRuntimeException e)
        {
            throw Refused(model, e);
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.FirstOrDefault(x => x is OnnxRuntimeException) is OnnxRuntimeException ort)
        {
            throw Refused(model, ort);
        }
    }

    private static InvalidDataException Refused(string model, OnnxRuntimeException e)
    {
        var msg = e.Message.ReplaceLineEndings(" ").Trim();
        return new InvalidDataException($"{model}: onnxruntime refused the model: {msg}", e);
    }
}
