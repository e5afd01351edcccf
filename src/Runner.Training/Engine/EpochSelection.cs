using Runner.Sweeps;

namespace Runner.Training.Engine;

/// <summary>
/// Follows a trial's objective epoch by epoch, as Keras' EarlyStopping(restore_best_weights) does: an epoch is the
/// new best when its value beats the best so far by more than <paramref name="minDelta"/> (0 without patience, so
/// any gain counts), and patience runs out after <paramref name="patience"/> epochs without one. Its decisions
/// depend only on the metrics, so replaying the epochs of a checkpoint gives the same state as living through them.
/// </summary>
public sealed class EpochSelection(Objective objective, int patience, double minDelta)
{
    double _best = double.NegativeInfinity;

    /// <summary>The best epoch so far (1-based), or null before any epoch had a finite value.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>Takes one epoch's metrics; true when it is the new best.</summary>
    public bool Observe(EpochMetrics e)
    {
        double score = objective.Score(e);
        if (!double.IsFinite(score) || (BestEpoch != null && score <= _best + minDelta)) return false;
        (_best, BestEpoch) = (score, e.Epoch);
        return true;
    }

    /// <summary>Whether training should stop after <paramref name="epoch"/>: patience epochs passed without a new best.</summary>
    public bool PatienceRanOut(int epoch) => patience > 0 && epoch - (BestEpoch ?? 0) >= patience;
}
