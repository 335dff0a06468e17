using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// Stores a <see cref="DateTimeOffset"/> as its UTC ticks (an INTEGER column), so SQLite orders and compares it
/// as a point in time. The offset is not kept: values come back in UTC.
/// </summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
