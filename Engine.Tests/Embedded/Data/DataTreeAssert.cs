using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

/// <summary>Structural equality of two trees through their public surface: everything a reader could observe.</summary>
internal static class DataTreeAssert
{
    public static void Equal(DataTree expected, DataTree actual)
    {
        Assert.Equal(expected.LastProcessedZxid, actual.LastProcessedZxid);
        Assert.Equal(expected.Digest, actual.Digest);
        Assert.Equal(expected.ConfigVersion, actual.ConfigVersion);
        Assert.Equal(expected.Members, actual.Members);
        Assert.Equal(expected.NodeCount, actual.NodeCount);
        Assert.Equal(expected.ApproximateDataSize, actual.ApproximateDataSize);
        Assert.Equal(expected.EphemeralCount, actual.EphemeralCount);
        Assert.Equal(expected.Sessions.OrderBy(s => s.Key), actual.Sessions.OrderBy(s => s.Key));
        foreach (var session in expected.Sessions.Keys)
        {
            Assert.Equal(expected.EphemeralsOf(session), actual.EphemeralsOf(session));
        }

        var visited = EqualSubtree(expected, actual, "/");
        Assert.Equal(expected.NodeCount - 1, visited);
    }

    private static int EqualSubtree(DataTree expected, DataTree actual, string path)
    {
        var expectedData = expected.GetData(path)!;
        var actualData = actual.GetData(path);
        Assert.NotNull(actualData);
        Assert.Equal(expectedData.Stat, actualData.Stat);
        Assert.Equal(expectedData.Data, actualData.Data);

        var children = expected.GetChildren(path)!;
        Assert.Equal(children, actual.GetChildren(path));
        var count = 1;
        foreach (var child in children)
        {
            count += EqualSubtree(expected, actual, path == "/" ? "/" + child : path + "/" + child);
        }

        return count;
    }
}
