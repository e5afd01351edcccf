namespace Runner.Sweeps;

/// <summary>One problem in a sweep file, at a 1-based line and column.</summary>
public sealed record SweepError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Thrown when a sweep file has problems; carries every one of them, not just the first.</summary>
public sealed class SweepFileException : Exception
{
    public IReadOnlyList<SweepError> Errors { get; }

    public SweepFileException(IReadOnlyList<SweepError> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;
}
