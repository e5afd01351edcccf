using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// What one epoch of training measured. Accuracies and F1 are fractions in [0, 1]; the validation scores beyond
/// accuracy (<see cref="ClassScores"/>) are null in records written before they were measured, and top-5 accuracy is
/// null with five classes or fewer (it would always be 1).
/// </summary>
[MessagePackObject]
public sealed record EpochMetrics(
    [property: Key(0)] int Epoch,
    [property: Key(1)] double TrainLoss,
    [property: Key(2)] double TrainAccuracy,
    [property: Key(3)] double ValLoss,
    [property: Key(4)] double ValAccuracy,
    [property: Key(5)] double Seconds,
    [property: Key(6)] double ImagesPerSecond,
    [property: Key(7)] double? ValMacroF1 = null,
    [property: Key(8)] double? ValBalancedAccuracy = null,
    [property: Key(9)] double? ValTop5Accuracy = null);

/// <summary>
/// The outcome of one trial. The test scores are measured once, on the official test split, with the weights of
/// <see cref="SelectedEpoch"/>: the epoch whose validation objective was best (<see cref="TrialSpec.Objective"/>),
/// or the last one (<c>select: last</c>, and every record from before selection existed, where it is null).
/// Selection (which epoch, which configuration, early stopping) uses validation metrics only.
/// <see cref="ObjectiveValue"/> is the objective at its best epoch, what trials are ranked by.
/// <see cref="BestValAccuracy"/> and <see cref="BestEpoch"/> are validation accuracy's best, whatever the objective.
/// <see cref="TestConfusion"/> is the test split's confusion matrix (<c>[true][predicted]</c>, in the order of the
/// trial's target classes); per-class accuracy and the other scores follow from it (<see cref="ClassScores"/>).
/// <see cref="TrainPerClass"/> is how many training images each target class used (in the same order): fewer than
/// <c>dataset_size</c> for a class that did not have that many (null in records from before uneven classes).
/// <see cref="SkippedImages"/>: the data's files left out as unreadable (<c>on_bad_image: skip</c>), relative to its folder.
/// </summary>
[MessagePackObject]
public sealed record TrialResult(
    [property: Key(0)] string TrialId,
    [property: Key(1)] TrialStatus Status,
    [property: Key(2)] IReadOnlyList<EpochMetrics> Epochs,
    [property: Key(3)] double? BestValAccuracy,
    [property: Key(4)] int? BestEpoch,
    [property: Key(5)] double? LastValAccuracy,
    [property: Key(6)] double? TestAccuracy,
    [property: Key(7)] double? TestLoss,
    [property: Key(8)] long TrainableParameters,
    [property: Key(9)] long TotalParameters,
    [property: Key(10)] double Seconds,
    [property: Key(11)] string Device,
    [property: Key(12)] int Threads,
    [property: Key(13)] int? DivergedAtEpoch = null,
    [property: Key(14)] string? Message = null,
    [property: Key(15)] string? BaseSha256 = null,
    [property: Key(16)] double? TestMacroF1 = null,
    [property: Key(17)] double? TestBalancedAccuracy = null,
    [property: Key(18)] double? TestTop5Accuracy = null,
    [property: Key(19)] int[][]? TestConfusion = null,
    [property: Key(20)] int? SelectedEpoch = null,
    [property: Key(21)] double? ObjectiveValue = null,
    [property: Key(22)] string? ModelSha256 = null,
    [property: Key(23)] int[]? TrainPerClass = null,
    [property: Key(24)] string[]? SkippedImages = null)
{
    /// <summary>Whether some class trained on fewer images than the trial's dataset_size asked for.</summary>
    public bool ClassesShortOf(int datasetSize) => TrainPerClass?.Any(n => n < datasetSize) == true && datasetSize != SweepParameters.AllImages;
}
