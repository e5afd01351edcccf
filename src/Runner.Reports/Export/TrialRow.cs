using Runner.Results;
using Runner.Sweeps;

namespace Runner.Reports.Export;

/// <summary>
/// One trial as Runner publishes it: the public schema of `runner trials --format csv|json` and `runner trial --json`
/// (docs/results-schema.md). Property names in snake_case are the CSV columns and the JSON keys, in this order.
/// Internal records may change; this changes only with <see cref="SchemaVersion"/>. Everything in it reads back into
/// the record it came from.
/// </summary>
public sealed record TrialRow(
    string? SweepId, string TrialId, TrialStatus Status, int Attempts, string? Worker, string? Failure,
    string Model, Initialization Initialization, int FreezeDepth, double LearningRate, int? DatasetSize, int Epochs, int BatchSize,
    string Optimizer, double WeightDecay, double Momentum, int Seed, string TargetDataset, int[] TargetClasses, int ValidationPerClass,
    PretrainSpec? Pretrain, string Strategy, double BaseLrFactor, int UnfreezeEvery, string Head, double Dropout, int ImageSize, bool Augment,
    string? WeightsSha256, string? WeightsPath, string? DataPath, string OnBadImage, TransformSpec? Transforms,
    TrialStatus? ResultStatus, double? TestAccuracy, double? TestLoss, double? BestValAccuracy, int? BestEpoch, double? LastValAccuracy,
    long? TrainableParameters, long? TotalParameters, double? Seconds, string? Device, int? Threads, int? DivergedAtEpoch, string? Message,
    string? BaseSha256, double? TestMacroF1, double? TestBalancedAccuracy, double? TestTop5Accuracy, int[][]? TestConfusion,
    string ObjectiveMetric, string ObjectiveGoal, string Select, int Patience, double MinDelta, string LrSchedule, int WarmupEpochs,
    int[]? LrMilestones, double LrGamma, double LabelSmoothing, double GradClip, bool Nesterov, string Precision, string Keep,
    int? SelectedEpoch, double? ObjectiveValue, string? ModelSha256, string[]? BackboneStages, int[]? TrainImagesPerClass, string[]? SkippedImages,
    string? TunedBy, IReadOnlyList<EpochMetrics>? EpochMetrics)
{
    /// <summary>
    /// 1: the first published schema (2026-11); 2: adds base_sha256 (2026-11-27); 3: adds the test split's macro-F1,
    /// balanced and top-5 accuracy and confusion matrix, and the same validation scores per epoch (2026-12-02);
    /// 4: adds the objective, epoch selection, patience and the training settings (schedule, label smoothing, gradient
    /// clipping, Nesterov, precision) and which models the sweep keeps, and the result's selected epoch, objective value and kept model (2026-12-02);
    /// 5: adds a TorchScript backbone's stages (base.stages) (2026-12-02);
    /// 6: dataset_size is null for <c>dataset_size: all</c>; train_images_per_class says how many images each target
    /// class trained on (uneven classes); on_bad_image and skipped_images (unreadable files left out); transforms (resize, crops, flips, jitter, normalization) (2026-12-03);
    /// 7: tuned_by, on the runs of a tuned cell's winner (sweep.tune) (2026-12-03).
    /// </summary>
    public const int SchemaVersion = 7;

    public static TrialRow From(TrialRecord t)
    {
        var (s, r) = (t.Spec, t.Result);
        return new TrialRow(t.SweepId, t.TrialId, t.Status, t.Attempts, t.Worker, t.Failure,
            s.Model, s.Initialization, s.FreezeDepth, s.LearningRate, s.DatasetSize == SweepParameters.AllImages ? null : s.DatasetSize, s.Epochs, s.BatchSize,
            s.Optimizer, s.WeightDecay, s.Momentum, s.Seed, s.TargetDataset, s.TargetClasses, s.ValidationPerClass,
            s.Pretrain, s.StrategyName, s.BaseLrFactor, s.UnfreezeEvery, s.HeadKind, s.Dropout, s.ImageSize, s.Augment,
            s.WeightsSha256, s.WeightsPath, s.DataPath, s.SkipBadImages ? "skip" : "refuse", s.Transforms,
            r?.Status, r?.TestAccuracy, r?.TestLoss, r?.BestValAccuracy, r?.BestEpoch, r?.LastValAccuracy,
            r?.TrainableParameters, r?.TotalParameters, r?.Seconds, r?.Device, r?.Threads, r?.DivergedAtEpoch, r?.Message,
            r?.BaseSha256, r?.TestMacroF1, r?.TestBalancedAccuracy, r?.TestTop5Accuracy, r?.TestConfusion,
            s.Objective.Metric, s.Objective.Maximize ? "maximize" : "minimize", s.SelectsBestEpoch ? "best" : "last", s.Patience, s.MinDelta,
            s.ScheduleName, s.WarmupEpochs, s.LrMilestones, s.LrGamma, s.LabelSmoothing, s.GradClip, s.Nesterov, s.PrecisionName, s.Keep ?? KeptModels.None,
            r?.SelectedEpoch, r?.ObjectiveValue, r?.ModelSha256, s.BackboneStages, r?.TrainPerClass, r?.SkippedImages, s.TunedBy, r?.Epochs);
    }

    /// <summary>A trial run on its own (`runner trial`): no sweep, one attempt.</summary>
    public static TrialRow From(TrialSpec spec, TrialResult result) =>
        From(new TrialRecord("", spec.Id, result.Status, 1, null, spec, result, null)) with { SweepId = null };

    public TrialRecord ToRecord()
    {
        var spec = new TrialSpec(Model, Pretrain, TargetDataset, TargetClasses, ValidationPerClass, Initialization, FreezeDepth, LearningRate,
            DatasetSize ?? SweepParameters.AllImages, Epochs, BatchSize, Optimizer, WeightDecay, Momentum, Seed, Strategy, BaseLrFactor, UnfreezeEvery, Head, Dropout,
            ImageSize, Augment, WeightsSha256, WeightsPath, DataPath, null,
            ObjectiveMetric == Objective.Default.Metric ? null : ObjectiveMetric, ObjectiveGoal == "minimize", Select == "best" ? "best" : null,
            Patience, MinDelta, LrSchedule == LearningRateSchedule.Constant ? null : LrSchedule, WarmupEpochs, LrMilestones, LrGamma,
            LabelSmoothing, GradClip, Nesterov, Keep: Keep == KeptModels.None ? null : Keep, Precision: Precision == "fp32" ? null : Precision,
            BackboneStages: BackboneStages, SkipBadImages: OnBadImage == "skip", Transforms: Transforms, TunedBy: TunedBy);
        var result = ResultStatus is not { } status ? null : new TrialResult(TrialId, status, EpochMetrics ?? Array.Empty<EpochMetrics>(),
            BestValAccuracy, BestEpoch, LastValAccuracy, TestAccuracy, TestLoss, TrainableParameters ?? 0, TotalParameters ?? 0,
            Seconds ?? 0, Device ?? "", Threads ?? 0, DivergedAtEpoch, Message, BaseSha256, TestMacroF1, TestBalancedAccuracy, TestTop5Accuracy,
            TestConfusion, SelectedEpoch, ObjectiveValue, ModelSha256, TrainImagesPerClass, SkippedImages);
        return new TrialRecord(SweepId ?? "", TrialId, Status, Attempts, Worker, spec, result, Failure);
    }
}
