namespace Runner.Sweeps;

/// <summary>What one epoch of training measured. Accuracies are fractions in [0, 1].</summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double ValLoss, double ValAccuracy,
    double Seconds, double ImagesPerSecond);

/// <summary>How a trial ended.</summary>
public static class TrialStatus
{
    public const string Completed = "completed";
    /// <summary>The loss became NaN or infinite: a property of the configuration (usually too high a learning rate), not a crash.</summary>
    public const string Diverged = "diverged";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The outcome of one trial. <see cref="TestAccuracy"/> is measured once, on the official test split, with the model
/// as it is after the last epoch; selection (best learning rate, early stopping) uses validation metrics only.
/// </summary>
public sealed record TrialResult(
    string TrialId,
    string Status,
    IReadOnlyList<EpochMetrics> Epochs,
    double? BestValAccuracy,
    int? BestEpoch,
    double? LastValAccuracy,
    double? TestAccuracy,
    double? TestLoss,
    long TrainableParameters,
    long TotalParameters,
    double Seconds,
    string Device,
    int Threads,
    int? DivergedAtEpoch = null,
    string? Message = null);
