using System.Globalization;

namespace QuorumPortal.Portal.Api;

/// <summary>Query-string values checked with a message that names the parameter and says what it accepts.</summary>
internal static class ApiQuery
{
    /// <summary>An ISO 8601 time; without an offset it is taken as UTC.</summary>
    public static bool TryTime(string name, string? value, out DateTimeOffset? time, out IResult? error)
    {
        time = null;
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        error = BadRequest($"{name}: '{value}' is not a date and time; use ISO 8601, e.g. 2025-06-01T12:00:00Z");
        return false;
    }

    /// <summary>A count between 1 and <paramref name="max"/>; absent means <paramref name="fallback"/>.</summary>
    public static bool TryLimit(string? value, int fallback, int max, out int limit, out IResult? error)
    {
        error = null;
        limit = fallback;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit >= 1 && limit <= max)
        {
            return true;
        }

        error = BadRequest($"limit: '{value}' must be a whole number from 1 to {max}");
        return false;
    }

    public static IResult BadRequest(string message) => Results.BadRequest(new ApiError(message));

    /// <summary>Empty query values mean "no filter".</summary>
    public static string? Filter(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>The body of a 4xx answer: what was wrong, in words.</summary>
public sealed record ApiError(string Error);
