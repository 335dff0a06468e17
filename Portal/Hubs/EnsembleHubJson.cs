using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// The hub's JSON: camelCase names, enums as strings, timestamps as UTC ISO 8601 with milliseconds
/// (<c>2026-11-25T21:00:01.250Z</c>), which every JavaScript <c>Date</c> parses. .NET clients apply the same
/// options to their <c>AddJsonProtocol</c>.
/// </summary>
public static class EnsembleHubJson
{
    /// <summary>Adds the hub's converters to <paramref name="options"/> (the SignalR protocol's options are camelCase already).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new MillisecondTimestampConverter());
        return options;
    }

    /// <summary>Writes UTC with exactly three fractional digits; reads any ISO 8601 timestamp.</summary>
    private sealed class MillisecondTimestampConverter : JsonConverter<DateTimeOffset>
    {
        private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("A timestamp must be a string."), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
