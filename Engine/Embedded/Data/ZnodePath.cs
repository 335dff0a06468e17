using System.Globalization;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>Znode path rules, as ZooKeeper's <c>PathUtils.validatePath</c> and its reserved subtree.</summary>
internal static class ZnodePath
{
    public const string Root = "/";
    public const string ZooKeeper = "/zookeeper";
    public const string Quota = "/zookeeper/quota";
    public const string Config = "/zookeeper/config";

    /// <summary>
    /// Starts with '/', no trailing '/' (except the root), no empty, "." or ".." segment, and none of the
    /// characters ZooKeeper refuses (NUL, controls, surrogates and private use, U+FFF0..U+FFFF).
    /// </summary>
    public static bool IsValid(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        if (path[^1] == '/')
        {
            return false;
        }

        var segmentStart = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                var segment = path.AsSpan(segmentStart, i - segmentStart);
                if (segment.IsEmpty || segment is "." || segment is "..")
                {
                    return false;
                }

                segmentStart = i + 1;
                continue;
            }

            if (IsRefused(path[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The reserved subtree: clients may read it but never create, delete or set under it.</summary>
    public static bool IsReserved(string path) =>
        path.StartsWith(ZooKeeper, StringComparison.Ordinal) && (path.Length == ZooKeeper.Length || path[ZooKeeper.Length] == '/');

    /// <summary>The parent of a valid non-root path.</summary>
    public static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? Root : path[..slash];
    }

    public static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Join(string parent, string name) => parent.Length == 1 ? "/" + name : parent + "/" + name;

    /// <summary>The sequential suffix as Java's <c>String.format("%010d", n)</c> writes it (the sign counts in the width).</summary>
    public static string SequenceSuffix(int counter) => counter >= 0
        ? counter.ToString("D10", CultureInfo.InvariantCulture)
        : "-" + (-(long)counter).ToString("D9", CultureInfo.InvariantCulture);

    private static bool IsRefused(char c) =>
        c <= '\u001f' || (c >= '\u007f' && c <= '\u009f') || (c >= '\ud800' && c <= '\uf8ff') || c >= '\ufff0';
}
