using System.Globalization;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>What a member's directory says about it, read from that member's own files only.</summary>
/// <param name="Spec">The member as its own files list it.</param>
/// <param name="ConfigVersion">The version of the dynamic file its <c>zoo.cfg</c> names (0 for a file without one).</param>
/// <param name="Configuration">The members that file lists.</param>
/// <param name="Joining">Provisioned as a joiner and not yet added (its <c>joining</c> marker exists).</param>
/// <param name="FreshJoiner">The joiner's directory was created for it (rolling it back deletes the directory).</param>
public sealed record LocalMemberFiles(MemberSpec Spec, long ConfigVersion, IReadOnlyList<MemberSpec> Configuration, bool Joining, bool FreshJoiner);

public sealed partial class LocalZooKeeperSupervisor
{
    private const string JoiningMarker = "joining";
    private const string JoinerDynamicFile = "zoo.cfg.dynamic";

    /// <summary>
    /// Writes a joiner's directory: the committed configuration plus itself, as ZooKeeper asks of a joiner. A directory
    /// left by a removed member of the same id is reused with its data; only its dynamic file and settings are rewritten.
    /// Ports given as 0 are allocated. Returns the joiner and whether its directory is new.
    /// </summary>
    internal (MemberSpec Spec, bool Fresh) ProvisionJoiner(MemberSpec member, IReadOnlyList<MemberSpec> committed, EnsembleSettings settings)
    {
        lock (_gate)
        {
            var dir = DirectoryOf(member.ServerId);
            var fresh = !File.Exists(ConfigPathOf(member.ServerId));
            var joiner = AllocatePorts([member])[0];
            var password = ExistingPassword() ?? SuperDigest.NewPassword();
            if (fresh)
            {
                WriteMemberFiles(joiner, [.. committed, joiner], settings, password);
            }
            else
            {
                password = File.ReadAllText(Path.Combine(dir, "super.password")).Trim();
                ZooKeeperConfigFile.WriteSettings(ConfigPathOf(member.ServerId), settings);
                WriteJoinerConfiguration(dir, joiner, committed);
            }

            File.WriteAllText(Path.Combine(dir, JoiningMarker), fresh ? "fresh\n" : "reused\n");
            _members[joiner.ServerId] = new LocalZooKeeperMember(dir, joiner, password, _installation);
            return (joiner, fresh);
        }
    }

    /// <summary>
    /// Before a joiner (re)starts: once synced, ZooKeeper rewrote its files to the committed configuration, which lacks
    /// it, and it would exit with "My id … not in the peer list". Its dynamic file is written again from the committed
    /// configuration plus itself — never from another member's files.
    /// </summary>
    internal void PrepareJoinerStart(int serverId, IReadOnlyList<MemberSpec> committed)
    {
        var member = Member(serverId);
        WriteJoinerConfiguration(member.Directory, member.Spec, committed);
    }

    /// <summary>The joiner is in the committed configuration now: its files are ZooKeeper's from here on.</summary>
    internal void Joined(int serverId) => File.Delete(Path.Combine(DirectoryOf(serverId), JoiningMarker));

    /// <summary>Drops a member that left (decommissioned) from the supervisor; its directory is the caller's business.</summary>
    internal void Forget(int serverId)
    {
        lock (_gate)
        {
            _members.Remove(serverId);
        }

        File.Delete(Path.Combine(DirectoryOf(serverId), JoiningMarker));
    }

    /// <summary>Rewrites the settings in every member's <c>zoo.cfg</c>, for each member's next start; other lines stay.</summary>
    internal void WriteSettings(EnsembleSettings settings)
    {
        foreach (var member in Members.Where(m => File.Exists(m.ConfigPath)))
        {
            ZooKeeperConfigFile.WriteSettings(member.ConfigPath, settings);
        }
    }

    /// <summary>
    /// Loads every <c>server.&lt;id&gt;/</c> under the root from its own files (a portal restart): each member's spec
    /// is the line for itself in its current dynamic file, else in its earlier ones (a joiner or a removed member,
    /// whose current file no longer lists it). Starts nothing and adopts nothing.
    /// </summary>
    public IReadOnlyList<LocalMemberFiles> Open()
    {
        var found = new List<LocalMemberFiles>();
        if (!System.IO.Directory.Exists(RootDirectory))
        {
            return found;
        }

        foreach (var dir in System.IO.Directory.GetDirectories(RootDirectory, "server.*").Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(Path.GetFileName(dir)["server.".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !File.Exists(ConfigPathOf(id)))
            {
                continue;
            }

            var current = ZooKeeperConfigFile.DynamicConfigFile(ConfigPathOf(id))
                ?? throw new InvalidOperationException($"{ConfigPathOf(id)} names no dynamicConfigFile; it was not written by this supervisor");
            var configuration = File.Exists(current) ? DynamicConfigLine.ParseMembers(File.ReadAllLines(current)) : [];
            var spec = configuration.FirstOrDefault(m => m.ServerId == id) ?? OwnEarlierSpec(dir, id)
                ?? throw new InvalidOperationException($"none of the dynamic config files in {dir} lists server.{id}; its ports are unknown");
            var marker = Path.Combine(dir, JoiningMarker);
            var joining = File.Exists(marker);
            found.Add(new LocalMemberFiles(spec, ZooKeeperConfigFile.VersionOf(current), configuration, joining, joining && File.ReadAllText(marker).Trim() == "fresh"));
            lock (_gate)
            {
                _members[id] = new LocalZooKeeperMember(dir, spec, File.ReadAllText(Path.Combine(dir, "super.password")).Trim(), _installation);
            }
        }

        return found;
    }

    private static MemberSpec? OwnEarlierSpec(string dir, int id) =>
        System.IO.Directory.GetFiles(dir, "zoo.cfg.dynamic*")
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal) && !f.EndsWith(".next", StringComparison.Ordinal))
            .OrderByDescending(ZooKeeperConfigFile.VersionOf)
            .Select(f => DynamicConfigLine.ParseMembers(File.ReadAllLines(f)).FirstOrDefault(m => m.ServerId == id))
            .FirstOrDefault(m => m is not null);

    private static void WriteJoinerConfiguration(string dir, MemberSpec joiner, IReadOnlyList<MemberSpec> committed)
    {
        // No version in the file's name: ZooKeeper takes the version from the name, so this is version 0, and the
        // joiner adopts the committed configuration from the first election notification it hears.
        var file = Path.Combine(dir, JoinerDynamicFile);
        File.WriteAllLines(file, committed.Where(m => m.ServerId != joiner.ServerId).Append(joiner).Select(m => m.ToConfigLine()));
        ZooKeeperConfigFile.WriteDynamicConfigFile(Path.Combine(dir, "zoo.cfg"), file);
    }
}
