namespace Runner.Artifacts;

/// <summary>What became of an upload's bytes.</summary>
public enum UploadOutcome
{
    /// <summary>The artifact is whole and verified (now, or it already was).</summary>
    Complete,
    /// <summary>The bytes were kept; more are expected (the connection dropped, or the client sends in parts).</summary>
    Partial,
    /// <summary>The client's offset is not what the store holds: it should ask again where to resume.</summary>
    OffsetMismatch,
    /// <summary>The bytes do not hash to the name they were sent under: they were dropped.</summary>
    HashMismatch,
}

/// <summary>
/// Where a store keeps an upload before it is an artifact: the bytes received so far (the "part"), appended to as
/// they arrive, and made the artifact once they hash to its name. Everything else about an upload is
/// <see cref="UploadProtocol"/>, written once for every kind of store.
/// </summary>
public interface IUploadSpace
{
    bool Has(string sha);

    /// <summary>Bytes of the part kept so far.</summary>
    long Received(string sha);

    /// <summary>Adds bytes at the end of the part (<paramref name="at"/> is its length so far).</summary>
    Task Append(string sha, long at, ReadOnlyMemory<byte> bytes);

    /// <summary>The part's bytes from the start, to hash them.</summary>
    Stream ReadPart(string sha);

    void DropPart(string sha);

    /// <summary>The part, verified, becomes the artifact <paramref name="sha"/> of <paramref name="length"/> bytes.</summary>
    void Publish(string sha, long length);
}

/// <summary>
/// The one upload protocol of every store: the client sends bytes at an offset of an artifact of a known length;
/// a wrong offset is refused (the client asks where to resume); bytes are kept as they arrive, so a dropped
/// connection loses nothing received; only bytes that hash to the artifact's name become it; one writer per artifact
/// at a time (two clients with the same bytes take turns, and the second finds it done). Memory stays bounded: the
/// body is read in pieces of <see cref="PieceBytes"/>.
/// </summary>
public sealed class UploadProtocol(IUploadSpace space)
{
    public const int PieceBytes = 1 << 20;

    /// <summary>
    /// One writer per artifact, by striping: a fixed set of locks, so that a coordinator that stores millions of
    /// checkpoints over its life does not keep a lock for each.
    /// </summary>
    readonly SemaphoreSlim[] _gates = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<UploadOutcome> Receive(string sha, long offset, long total, Stream body, CancellationToken cancel = default)
    {
        ContentHash.Check(sha);
        if (space.Has(sha)) return UploadOutcome.Complete;
        var gate = _gates[Convert.ToInt32(sha[..2], 16) % _gates.Length];
        await gate.WaitAsync(cancel);
        try
        {
            if (space.Has(sha)) return UploadOutcome.Complete;
            long have = space.Received(sha);
            if (offset != have || total < have) return UploadOutcome.OffsetMismatch;
            var piece = new byte[PieceBytes];
            while (have < total)
            {
                int filled = 0, want = (int)Math.Min(piece.Length, total - have), read;
                try
                {
                    while (filled < want && (read = await body.ReadAsync(piece.AsMemory(filled, want - filled), cancel)) > 0) filled += read;
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    // The client went away: what arrived is kept for its next attempt.
                    if (filled > 0) await space.Append(sha, have, piece.AsMemory(0, filled));
                    return UploadOutcome.Partial;
                }
                if (filled == 0) break;
                await space.Append(sha, have, piece.AsMemory(0, filled));
                have += filled;
                if (filled < want) break;
            }
            if (have < total) return UploadOutcome.Partial;
            bool whole;
            using (var part = space.ReadPart(sha)) whole = ContentHash.Matches(part, sha);
            if (!whole)
            {
                space.DropPart(sha);
                return UploadOutcome.HashMismatch;
            }
            space.Publish(sha, total);
            return UploadOutcome.Complete;
        }
        finally
        {
            gate.Release();
        }
    }
}
