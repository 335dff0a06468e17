namespace QuorumPortal.Engine.Backends;

/// <summary>
/// Why a coordination request failed. Values are ZooKeeper's <c>KeeperException.Code</c> numbers, so the
/// ZooKeeper backend maps the wire code directly; <see cref="NoQuorum"/> is ours.
/// </summary>
public enum CoordinationError
{
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    UnknownSession = -12,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    Throttled = -127,

    /// <summary>The member has no leader with a quorum behind it, so it cannot order a write.</summary>
    NoQuorum = -1000,
}

/// <summary>A coordination request failed with a typed <see cref="CoordinationError"/>.</summary>
public sealed class CoordinationException : Exception
{
    public CoordinationException(CoordinationError error, string? path = null, string? detail = null, Exception? inner = null)
        : base(Describe(error, path, detail), inner)
    {
        Error = error;
        Path = path;
    }

    public CoordinationError Error { get; }

    public string? Path { get; }

    /// <summary>Whether the outcome of the request is unknown (it may or may not have been applied).</summary>
    public bool OutcomeUnknown => Error is CoordinationError.ConnectionLoss or CoordinationError.OperationTimeout or CoordinationError.RequestTimeout;

    private static string Describe(CoordinationError error, string? path, string? detail)
    {
        var text = error switch
        {
            CoordinationError.NoNode => "no node",
            CoordinationError.NodeExists => "node exists",
            CoordinationError.BadVersion => "bad version",
            CoordinationError.NotEmpty => "node has children",
            CoordinationError.ConnectionLoss => "connection lost",
            CoordinationError.SessionExpired => "session expired",
            CoordinationError.NoQuorum => "no leader with a quorum",
            CoordinationError.NoChildrenForEphemerals => "ephemeral nodes may not have children",
            CoordinationError.BadArguments => "bad arguments",
            CoordinationError.ReconfigInProgress => "another reconfiguration is in progress",
            CoordinationError.NewConfigNoQuorum => "the new configuration has no quorum of synced members",
            _ => error.ToString(),
        };
        return (path is null ? text : $"{text}: {path}") + (detail is null ? string.Empty : $" ({detail})");
    }
}
