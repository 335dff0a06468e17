using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>How much a preflight finding weighs: an error refuses the operation, a warning is shown and allowed.</summary>
public enum CheckSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>One finding of a preflight, in words an operator can act on.</summary>
public sealed record PreflightCheck(string Name, CheckSeverity Severity, string Message)
{
    public static PreflightCheck Info(string name, string message) => new(name, CheckSeverity.Info, message);

    public static PreflightCheck Warning(string name, string message) => new(name, CheckSeverity.Warning, message);

    public static PreflightCheck Error(string name, string message) => new(name, CheckSeverity.Error, message);

    public override string ToString() => $"{Severity}: {Message}";
}

/// <summary>
/// What an operation will do, checked against the ensemble as probed now: the steps it will run, the quorum
/// before and after, and every reason it may not run.
/// </summary>
public sealed record PreflightReport(
    IReadOnlyList<PreflightCheck> Checks,
    IReadOnlyList<string> Steps,
    QuorumChange? Quorum = null)
{
    public bool CanProceed => Checks.All(c => c.Severity != CheckSeverity.Error);

    public IEnumerable<PreflightCheck> Errors => Checks.Where(c => c.Severity == CheckSeverity.Error);

    public IEnumerable<PreflightCheck> Warnings => Checks.Where(c => c.Severity == CheckSeverity.Warning);

    /// <summary>The errors as one sentence per line, for a refusal message.</summary>
    public string ErrorSummary => string.Join(Environment.NewLine, Errors.Select(e => e.Message));
}
