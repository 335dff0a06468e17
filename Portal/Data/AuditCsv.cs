using System.Globalization;
using System.Text;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// The audit log as CSV (RFC 4180): a header, one row per entry, CRLF line ends. A field with a comma, a quote or a
/// line break is quoted and its quotes doubled. A text that a spreadsheet would run as a formula (starting with
/// =, +, -, @, tab or CR) is prefixed with an apostrophe, so an exported log cannot run code when opened.
/// </summary>
public static class AuditCsv
{
    public static readonly IReadOnlyList<string> Columns =
        ["at", "actor", "ensemble", "action", "parameters", "result", "duration_ms", "reason", "detail", "operation_id"];

    public static async Task WriteAsync(IAsyncEnumerable<AuditEntry> entries, TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteAsync(string.Join(',', Columns) + "\r\n").ConfigureAwait(false);
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteAsync(Row(entry)).ConfigureAwait(false);
        }

        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One entry as a CSV row, with its line end.</summary>
    public static string Row(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string?[] fields =
        [
            entry.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            Text(entry.Actor),
            Text(entry.Ensemble),
            Text(entry.Action),
            Text(DataJson.Write(entry.Parameters)),
            Text(entry.Result),
            entry.Duration?.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
            Text(entry.Reason),
            Text(entry.Detail),
            entry.OperationId?.ToString(),
        ];
        var row = new StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                row.Append(',');
            }

            row.Append(Escape(fields[i]));
        }

        return row.Append("\r\n").ToString();
    }

    /// <summary>Quotes <paramref name="field"/> when it holds a comma, quote or line break, doubling its quotes.</summary>
    public static string Escape(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return string.Empty;
        }

        return field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string? Text(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
}
