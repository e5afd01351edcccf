namespace Runner.Sweeps;

/// <summary>
/// One problem in a sweep file, at a 1-based line and column. <paramref name="Upload"/>: the problem is only that a
/// file the sweep names (as written there) has not been uploaded yet (<see cref="SweepFileSources"/>).
/// </summary>
public sealed record SweepError(string File, int Line, int Column, string Message, SourceRequest? Upload = null)
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

/// <summary>A file a sweep names that its remote client must upload before the coordinator can read the sweep.</summary>
public sealed record SourceRequest(string Path, SourceKind Kind)
{
    /// <summary>How the API names the kind: <c>weight-file</c> or <c>image-folder</c>.</summary>
    public string KindName => Kind == SourceKind.ImageFolder ? "image-folder" : "weight-file";
}
