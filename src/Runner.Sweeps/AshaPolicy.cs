namespace Runner.Sweeps;

/// <summary>Early-stopping settings of a sweep (<c>sweep.early_stop</c>).</summary>
[MessagePack.MessagePackObject]
public sealed record EarlyStopSpec(
    [property: MessagePack.Key(0)] string Type,
    [property: MessagePack.Key(1)] int GraceEpochs,
    [property: MessagePack.Key(2)] int ReductionFactor,
    [property: MessagePack.Key(3)] int MaxEpochs);

/// <summary>
/// Asynchronous successive halving (ASHA, as Ray Tune's ASHAScheduler and W&amp;B's hyperband): rungs at epochs
/// grace × η^i below max_epochs. When a trial reports its validation accuracy at a rung epoch, it goes on only if that
/// value is not below the (1 − 1/η) quantile of every value recorded at that rung so far (its own included), so
/// about the top 1/η continue. Decisions depend only on the order of reports: deterministic, and no trial waits for
/// another.
/// </summary>
public sealed class AshaPolicy
{
    readonly EarlyStopSpec _spec;
    readonly SortedDictionary<int, List<double>> _rungs = new();
    readonly HashSet<(string, int)> _seen = new();

    public AshaPolicy(EarlyStopSpec spec)
    {
        if (spec.ReductionFactor < 2) throw new ArgumentException("reduction_factor must be at least 2");
        _spec = spec;
        for (long r = spec.GraceEpochs; r < spec.MaxEpochs; r *= spec.ReductionFactor) _rungs[(int)r] = new List<double>();
    }

    internal IReadOnlyCollection<int> RungEpochs => _rungs.Keys;

    /// <summary>Records a report; true when the trial should stop now (after this epoch).</summary>
    public bool ShouldStop(string trialId, int epoch, double valAccuracy)
    {
        if (!_rungs.TryGetValue(epoch, out var recorded) || !_seen.Add((trialId, epoch))) return false;
        recorded.Add(double.IsFinite(valAccuracy) ? valAccuracy : double.NegativeInfinity);
        return recorded[^1] < Quantile(recorded, 1.0 - 1.0 / _spec.ReductionFactor);
    }

    /// <summary>Linear interpolation between closest ranks, as numpy's default percentile.</summary>
    static double Quantile(List<double> values, double q)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 1) return sorted[0];
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        if (double.IsNegativeInfinity(sorted[lo]) || lo == hi) return sorted[hi];
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
