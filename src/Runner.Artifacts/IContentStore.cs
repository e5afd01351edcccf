namespace Runner.Artifacts;

/// <summary>
/// What the coordinator's artifact routes need of a store of artifacts named by their SHA-256, with resumable
/// uploads and refs: a folder (<see cref="ContentStore"/>, the embedded default) or the PostgreSQL store's tables
/// (<see cref="PostgresContentStore"/>, which every coordinator of that store reads, so a standby that takes over
/// finds every base, upload and checkpoint).
/// </summary>
public interface IContentStore
{
    bool Has(string sha);

    /// <summary>The stored artifact's length in bytes.</summary>
    long Length(string sha);

    /// <summary>Bytes of an unfinished upload already kept (where the client resumes).</summary>
    long Received(string sha);

    /// <summary>
    /// Appends an upload's bytes at <paramref name="offset"/> of an artifact of <paramref name="total"/> bytes, kept as
    /// they arrive; only bytes that hash to <paramref name="sha"/> become the artifact.
    /// </summary>
    Task<UploadOutcome> Receive(string sha, long offset, long total, Stream body, CancellationToken cancel = default);

    /// <summary>The stored bytes from <paramref name="from"/> on.</summary>
    Stream OpenRead(string sha, long from);

    void Delete(string sha);

    /// <summary>The object a ref names, or null (no such ref, or its object is gone).</summary>
    string? GetRef(string name);

    /// <summary>Points a ref at an object (which must be stored); returns the object it named before, if any.</summary>
    string? SetRef(string name, string sha);

    /// <summary>Points a ref at an object unless it already names one; returns what it names afterwards (the first claim wins).</summary>
    string Claim(string name, string sha);

    /// <summary>Removes a ref and, when <paramref name="withObject"/>, the object it named (a finished trial's checkpoint).</summary>
    void DeleteRef(string name, bool withObject);

    /// <summary>The one rule for a ref change, whoever asks (this machine, or a worker through the API): see <see cref="ArtifactSource.SetRef"/>.</summary>
    string Point(string name, string sha, bool claim, bool dropPrevious)
    {
        if (claim) return Claim(name, sha);
        string? before = SetRef(name, sha);
        if (dropPrevious && before != null && before != sha) Delete(before);
        return sha;
    }
}
