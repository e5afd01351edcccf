using Runner.Artifacts;
using Runner.Results;
using Runner.Sweeps;

namespace Runner.Cluster.Projection;

/// <summary>
/// Once a sweep is over, deletes the models its keep rule does not name (<see cref="KeptModels"/>: with best or
/// best-per-cell, workers keep every finished trial's model as a candidate, since which trials win is known only at
/// the end). Idempotent: a sweep pruned twice loses nothing more. The coordinator's API runs it every few seconds,
/// and `runner run` once its sweep has finished.
/// </summary>
public sealed class ModelPruning(ResultsStore results, IContentStore store)
{
    /// <summary>Sweeps already pruned here (after a restart each finished sweep is looked at once more).</summary>
    readonly HashSet<string> _done = new();

    public void Prune()
    {
        foreach (var sweep in results.Sweeps())
            if (!_done.Contains(sweep.SweepId) && Prune(sweep.SweepId)) _done.Add(sweep.SweepId);
    }

    /// <summary>Prunes one sweep if it is over; false while it still has trials to run.</summary>
    public bool Prune(string sweepId)
    {
        var trials = results.Trials(sweepId);
        if (trials.Count == 0 || trials.Any(t => t.Status is TrialStatus.Pending or TrialStatus.Running)) return false;
        string? keep = trials.Select(t => t.Spec.Keep).FirstOrDefault(k => k != null);
        if (!KeptModels.ChosenAtEnd(keep)) return true;
        var candidates = trials.Where(t => t.Result?.ModelSha256 != null).ToList();
        var kept = KeptModels.Kept(keep!, candidates.Select(t => (t.Spec, t.Result!)).ToList());
        foreach (var t in candidates.Where(t => !kept.Contains(t.TrialId) && store.GetRef(KeptModels.RefName(t.TrialId)) != null))
            store.DeleteRef(KeptModels.RefName(t.TrialId), withObject: true);
        return true;
    }
}
