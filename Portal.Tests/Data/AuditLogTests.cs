using System.Text;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class AuditLogTests : DatabaseTest
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    private AuditLog Audit => new(Database, _clock);

    [Fact]
    public async Task QueryAsync_EachFilter_OnlyMatchingNewestFirst()
    {
        await Record("alice", "demo", "AddMembers");          // 12:00
        await Record("bob", "demo", "ApplySettings");         // 12:01
        await Record("alice", "prod", "ApplySettings");       // 12:02
        await Record("carol", "prod", "CreateEnsemble");      // 12:03

        Assert.Equal(["prod/CreateEnsemble", "prod/ApplySettings", "demo/ApplySettings", "demo/AddMembers"], await Keys(new AuditQuery()));
        Assert.Equal(["demo/ApplySettings", "demo/AddMembers"], await Keys(new AuditQuery { Ensemble = "demo" }));
        Assert.Equal(["prod/ApplySettings", "demo/AddMembers"], await Keys(new AuditQuery { Actor = "alice" }));
        Assert.Equal(["prod/ApplySettings", "demo/ApplySettings"], await Keys(new AuditQuery { Action = "ApplySettings" }));
        Assert.Equal(["prod/ApplySettings", "demo/ApplySettings"], await Keys(new AuditQuery { From = _clock.Start.AddMinutes(1), To = _clock.Start.AddMinutes(3) }));
        Assert.Equal(["demo/ApplySettings"], await Keys(new AuditQuery { Actor = "bob", Ensemble = "demo", Action = "ApplySettings" }));
        Assert.Equal(["prod/CreateEnsemble"], await Keys(new AuditQuery { Limit = 1 }));
        Assert.Empty(await Keys(new AuditQuery { Actor = "mallory" }));
    }

    [Fact]
    public async Task RecordAsync_EmptyActor_RefusedNothingRecorded()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Audit.RecordAsync(" ", "demo", "AddMembers", new Dictionary<string, string>(), "Succeeded", null));

        Assert.Empty(await Audit.QueryAsync(new AuditQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task RecordOperationAsync_FinishedTwiceAndRunning_OneEntryWithItsWhoWhatAndDuration()
    {
        var record = SqliteOperationJournalTests.Record("demo", _clock.Start) with
        {
            Kind = OperationKind.AddMembers,
            Title = "Expand to 5",
            Reason = "more failures tolerated",
            Parameters = new Dictionary<string, string> { ["count"] = "2" },
        };

        Assert.False(await Audit.RecordOperationAsync(record, CancellationToken.None));
        var done = record with { State = OperationState.Succeeded, EndedAt = _clock.Start.AddSeconds(3), Outcome = "5 voters" };
        Assert.True(await Audit.RecordOperationAsync(done, CancellationToken.None));
        Assert.False(await Audit.RecordOperationAsync(done, CancellationToken.None));

        var entry = Assert.Single(await Audit.QueryAsync(new AuditQuery(), CancellationToken.None));
        Assert.Equal(("alice", "demo", "AddMembers", "Succeeded"), (entry.Actor, entry.Ensemble, entry.Action, entry.Result));
        Assert.Equal(("Expand to 5: 5 voters", "more failures tolerated", record.Id), (entry.Detail, entry.Reason, entry.OperationId!.Value));
        Assert.Equal(TimeSpan.FromSeconds(3), entry.Duration);
        Assert.Equal("2", entry.Parameters["count"]);
        Assert.Equal(done.EndedAt, entry.At);
    }

    [Fact]
    public async Task Csv_CommasQuotesNewlinesAndFormulas_EscapedAndReadBackAsWritten()
    {
        var parameters = new Dictionary<string, string> { ["reason"] = "a, b", ["quote"] = "say \"hi\"" };
        await Audit.RecordAsync("o'brien, pat", "demo", "ApplySettings", parameters, "Failed", TimeSpan.FromMilliseconds(1234.5),
            detail: "line one\nline two\r\nline \"three\"", reason: "=HYPERLINK(\"http://x\")");
        var output = new StringWriter();

        await AuditCsv.WriteAsync(Audit.StreamAsync(new AuditQuery(), CancellationToken.None), output, CancellationToken.None);
        var rows = ParseCsv(output.ToString());

        Assert.Equal(2, rows.Count);
        Assert.Equal(AuditCsv.Columns, rows[0]);
        var row = rows[1];
        Assert.Equal(AuditCsv.Columns.Count, row.Count);
        Assert.Equal("2025-06-01T12:00:00.000Z", row[0]);
        Assert.Equal("o'brien, pat", row[1]);
        Assert.Equal("{\"reason\":\"a, b\",\"quote\":\"say \\\"hi\\\"\"}", row[4]);
        Assert.Equal(("Failed", "1234.5"), (row[5], row[6]));
        Assert.Equal("'=HYPERLINK(\"http://x\")", row[7]);
        Assert.Equal("line one\nline two\r\nline \"three\"", row[8]);
        Assert.Equal(string.Empty, row[9]);
        Assert.EndsWith("\r\n", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"x\"", "\"say \"\"x\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("", "")]
    public void Escape_Field_QuotedOnlyWhenNeeded(string field, string expected)
    {
        Assert.Equal(expected, AuditCsv.Escape(field));
    }

    private Task Record(string actor, string ensemble, string action)
    {
        var task = Audit.RecordAsync(actor, ensemble, action, new Dictionary<string, string>(), "Succeeded", TimeSpan.FromSeconds(1));
        _clock.Advance(TimeSpan.FromMinutes(1));
        return task;
    }

    private async Task<IReadOnlyList<string>> Keys(AuditQuery query) =>
        [.. (await Audit.QueryAsync(query, CancellationToken.None)).Select(e => $"{e.Ensemble}/{e.Action}")];

    /// <summary>An RFC 4180 reader, written from the RFC, to check the writer against.</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        return rows;
    }

    /// <summary>A clock the test moves.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public DateTimeOffset Start { get; } = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
