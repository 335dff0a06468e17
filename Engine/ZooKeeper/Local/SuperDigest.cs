using System.Security.Cryptography;
using System.Text;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>ZooKeeper's digest id: <c>user:base64(sha1("user:password"))</c>.</summary>
public static class SuperDigest
{
    public static string Of(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password)));

    /// <summary>A fresh random password (URL-safe Base64 of 24 random bytes).</summary>
    public static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
