namespace QuorumPortal.Engine.Ensembles;

/// <summary>One broken rule: the field (as an operator names it) and what the rule is.</summary>
public sealed record ValidationError(string Field, string Rule)
{
    public override string ToString() => $"{Field}: {Rule}";
}

/// <summary>Thrown when a spec or settings value breaks one or more rules; nothing was changed.</summary>
public sealed class ValidationException(IReadOnlyList<ValidationError> errors)
    : Exception("Invalid input: " + string.Join("; ", errors))
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;
}
