using Runner.Artifacts;

namespace Runner.Training.Engine;

/// <summary>
/// A trial's last checkpoint, copied to the coordinator's artifact store after each epoch (ref
/// <c>checkpoint.TRIAL_ID</c>), so that a trial re-queued onto another host continues after its last finished epoch
/// instead of starting over. The copy is packed on the training thread (a local file copy) and uploaded in the
/// background: training goes on meanwhile, and when epochs end faster than uploads, only the newest waits.
/// </summary>
public sealed class CheckpointMirror(ArtifactSource shared, string trialId, Action<string>? log)
{
    readonly object _gate = new();
    Task _uploading = Task.CompletedTask;
    /// <summary>A newer bundle made while an upload was running: the next to go (older ones are dropped).</summary>
    string? _next;
    bool _finished;

    string RefName => "checkpoint." + trialId;

    /// <summary>Packs the checkpoint's files (just saved) and uploads them in the background.</summary>
    public void Offer(IReadOnlyList<string> files)
    {
        string bundle = Path.Combine(Path.GetDirectoryName(files[0])!, $"{trialId}.{Guid.NewGuid():N}.bundle");
        FolderArchive.Write(Path.GetDirectoryName(files[0])!, files, bundle);
        lock (_gate)
        {
            if (_finished) { File.Delete(bundle); return; }
            if (!_uploading.IsCompleted)
            {
                if (_next != null) File.Delete(_next);
                _next = bundle;
                return;
            }
            _uploading = Task.Run(() => Upload(bundle));
        }
    }

    void Upload(string first)
    {
        for (string? bundle = first; bundle != null; )
        {
            try
            {
                string sha = shared.Publish(bundle);
                lock (_gate)
                    if (!_finished) shared.SetRef(RefName, sha, dropPrevious: true);
            }
            catch (Exception e)
            {
                // The local checkpoint still lets this host continue; only a move to another host loses this epoch.
                log?.Invoke($"checkpoint of trial {trialId} not copied to the coordinator: {e.Message}");
            }
            finally
            {
                File.Delete(bundle);
            }
            lock (_gate) (bundle, _next) = (_next, null);
        }
    }

    /// <summary>
    /// Writes the files of the coordinator's copy to <paramref name="targets"/> (same names); false when there is
    /// none or it cannot be had. Each file is written with its checksum sidecar, like a local checkpoint. The last
    /// <paramref name="optional"/> targets may be missing from the copy.
    /// </summary>
    public bool TryFetch(IReadOnlyList<string> targets, int optional = 0)
    {
        string? missing = null;
        // The ref may move while we read it (the host that ran the trial before is still uploading a newer epoch and
        // drops the older copy): a copy gone under the ref is looked up again, once per move.
        for (int tries = 0; tries < 5; tries++)
        {
            try
            {
                if (shared.GetRef(RefName) is not { } sha) return false;
                if (sha == missing) break;
                string bundle;
                try { bundle = shared.File(sha); }
                catch (ArtifactMissingException)
                {
                    missing = sha;
                    continue;
                }
                return Unpack(bundle, targets, optional);
            }
            catch (Exception e) when (e is IOException or ArtifactMissingException or InvalidDataException or UnauthorizedAccessException)
            {
                log?.Invoke($"trial {trialId}: the coordinator's checkpoint cannot be had ({e.Message}): starting from what this host has");
                return false;
            }
        }
        log?.Invoke($"trial {trialId}: the coordinator's checkpoint cannot be had (its copy {missing?[..12]}… is gone): starting from what this host has");
        return false;
    }

    bool Unpack(string bundle, IReadOnlyList<string> targets, int optional)
    {
        string unpacked = Path.Combine(Path.GetDirectoryName(targets[0])!, $"{trialId}.{Guid.NewGuid():N}.fetched");
        try
        {
            FolderArchive.Extract(bundle, unpacked);
            for (int i = 0; i < targets.Count; i++)
            {
                string target = targets[i];
                string from = Path.Combine(unpacked, Path.GetFileName(target));
                if (!File.Exists(from) && i >= targets.Count - optional) continue;
                if (!File.Exists(from)) return false;
                DerivedFiles.WriteAtomically(target, temp => File.Copy(from, temp, overwrite: true));
            }
        }
        finally
        {
            if (Directory.Exists(unpacked)) Directory.Delete(unpacked, recursive: true);
        }
        log?.Invoke($"trial {trialId}: fetched its checkpoint from the coordinator");
        return true;
    }

    /// <summary>
    /// The trial is over: later uploads are dropped, and once the one running ends, the coordinator's copy is deleted,
    /// in the background: the trial's result does not wait for the coordinator's API (a copy left behind is harmless:
    /// a finished trial never runs again).
    /// </summary>
    public void Finish()
    {
        Task uploading;
        lock (_gate)
        {
            _finished = true;
            if (_next != null) File.Delete(_next);
            _next = null;
            uploading = _uploading;
        }
        _ = uploading.ContinueWith(_ =>
        {
            try { shared.DropRef(RefName); }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                log?.Invoke($"trial {trialId}: its checkpoint copy on the coordinator was not deleted ({e.Message})");
            }
        }, TaskScheduler.Default);
    }
}
