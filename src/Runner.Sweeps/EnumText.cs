using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Runner.Sweeps;

/// <summary>
/// How Runner's enums are written wherever text is stored or shown (journal, results store, CSV, JSON, tables,
/// command line): the member's name in lower case ("completed", "pretrained"). Journals written before the enums
/// existed hold exactly these strings, so they still read.
/// </summary>
public static class EnumText
{
    public static string Of<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static T? TryParse<T>(string? text) where T : struct, Enum =>
        text != null && !text.Any(char.IsDigit) && Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) ? value : null;

    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text) ?? throw new FormatException($"'{text}' is not one of {string.Join(", ", Names<T>())}");

    public static string[] Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Of).ToArray();

    /// <summary>System.Text.Json: the enum as its text.</summary>
    public sealed class Json<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TryParse<T>(reader.GetString()) ?? throw new JsonException($"'{reader.GetString()}' is not one of {string.Join(", ", Names<T>())}");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Of(value));
    }

    /// <summary>MessagePack: the enum as its text (not its number), so reordering members never changes a journal's meaning.</summary>
    public sealed class MessagePack<T> : IMessagePackFormatter<T> where T : struct, Enum
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) => writer.Write(Of(value));

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            string? text = reader.ReadString();
            return TryParse<T>(text) ?? throw new MessagePackSerializationException($"'{text}' is not one of {string.Join(", ", Names<T>())}");
        }
    }
}
