using System.Diagnostics;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Where a trial finds its data and shared artifacts, and what it runs on. None of this changes the trial's identity.
/// In a cluster, <paramref name="Shared"/> is the coordinator's artifact store (bases, the user's files, checkpoints
/// that follow the trial) and <paramref name="BaseSha256"/> the base the sweep built for it; without them (`runner
/// trial`) the base is pretrained here, in <paramref name="Artifacts"/>.
/// </summary>
public sealed record TrialEnvironment(
    DerivedFiles Artifacts,
    string? DataFolder = null,
    string? SweepDataFolder = null,
    string Device = "auto",
    int Threads = 0,
    bool AllowDownload = true,
    Action<string>? Log = null,
    string? TensorBoardFolder = null,
    bool ReuseFeatures = true,
    Runner.Artifacts.ArtifactSource? Shared = null,
    string? BaseSha256 = null);

/// <summary>
/// Runs one trial end to end, in five steps: its data (<see cref="TargetData"/>), its network (new head on the
/// pretrained or loaded base), its inputs (images, or the cached outputs of its frozen stages), training (the
/// strategy's plan decides which stages train in each epoch, see <see cref="TrainingLoop"/>), and its result (test
/// metrics of the selected epoch's weights).
/// </summary>
public static class TrialRunner
{
    public static TrialResult Run(TrialSpec spec, TrialEnvironment env, TrainingLoop.EpochCallback? onEpoch = null,
        CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(env.Threads);
        var device = TorchRuntime.ResolveDevice(env.Device);
        var data = TargetData.Load(spec, env);
        var (model, baseSha) = Network(spec, env, data, device, cancel);
        if (OneDnnGuard.Engaged)
            env.Log?.Invoke($"trial {spec.Id}: this CPU reports no cache topology, so {spec.Model}'s convolutions run on LibTorch's own kernels, not oneDNN's (see OneDnnGuard)");
        if (OneDnnGuard.Engaged && spec.PrecisionName != Autocast.Float32)
            env.Log?.Invoke($"trial {spec.Id}: {spec.PrecisionName} without oneDNN runs several times slower than fp32 here (docs/benchmarks.md, mixed precision)");
        try
        {
            using var inputs = Inputs(spec, env, data, model, device);
            model.Network.to(device);
            var settings = SettingsOf(spec, inputs.FirstStage, data);
            var outcome = Train(spec, env, model, inputs, settings, onEpoch, cancel);
            var result = Result(spec, model, inputs, settings, outcome, TorchRuntime.Describe(device), threads, clock.Elapsed) with
            {
                BaseSha256 = baseSha,
                SkippedImages = data is ImageFolderData { Skipped.Count: > 0 } folder ? folder.Skipped.ToArray() : null,
            };
            return result.TestAccuracy != null && spec.KeepsModel && env.Shared != null ? result with { ModelSha256 = KeptModel.Keep(spec, model, env) } : result;
        }
        finally
        {
            model.Network.Dispose();
        }
    }

    /// <summary>
    /// Step 2: the trial's network: a new head (the target classes differ) on the base's stages, or on random ones
    /// for scratch; with the SHA-256 of the base it started from (null for scratch).
    /// </summary>
    static (IStagedModel Model, string? BaseSha256) Network(TrialSpec spec, TrialEnvironment env, ImageData data, Device device, CancellationToken cancel)
    {
        var (pretrained, baseSha) = spec.Initialization == Initialization.Pretrained && spec.WeightsPath == null
            ? Base(spec, env, data, device, cancel)
            : (null, spec.Initialization == Initialization.Pretrained ? spec.WeightsSha256 : null);
        if (spec.Model == KnownModels.TorchScript)
            return (ModelZoo.CreateTorchScript(WeightsFile(spec, env, cancel), spec.TargetClasses.Length, new HeadSpec(spec.HeadKind, spec.Dropout),
                spec.BackboneStages, data.Train.InputRows, spec.Seed), baseSha);
        var model = ModelZoo.Create(spec.Model, spec.TargetClasses.Length, new HeadSpec(spec.HeadKind, spec.Dropout), seed: spec.Seed);
        if (pretrained != null)
        {
            for (int i = 0; i < model.Stages.Count; i++)
                model.Stages[i].Module.load_state_dict(pretrained.Stages[i].Module.state_dict());
            pretrained.Network.Dispose();
        }
        else if (spec.Initialization == Initialization.Pretrained)
            LoadWeights(model, spec, env, cancel);
        return (model, baseSha);
    }

    /// <summary>The pretrained base: the one the sweep built for the cluster (fetched by its SHA-256), else built or found here.</summary>
    static (IStagedModel, string) Base(TrialSpec spec, TrialEnvironment env, ImageData data, Device device, CancellationToken cancel)
    {
        var pretrain = spec.Pretrain ?? throw new ArgumentException("a pretrained trial needs pretraining settings or a weight file");
        if (env.BaseSha256 is { } sha)
            return (PretrainedBases.Load(env.Shared!.File(sha, cancel), spec.Model, pretrain), sha);
        var source = TargetData.Source(spec, env, data);
        var model = PretrainedBases.GetOrTrain(env.Artifacts, spec.Model, pretrain, source, device, env.Log, cancel);
        return (model, PretrainedBases.Sha256Of(PretrainedBases.CheckpointPath(env.Artifacts, spec.Model, pretrain, source.Fingerprint)));
    }

    /// <summary>The train, validation and test rows a trial trains and is measured on; <see cref="FirstStage"/> says what they hold.</summary>
    /// <param name="FirstStage">0 for images; k for the cached outputs of the first k (frozen) stages</param>
    /// <param name="TrainPerClass">training images per target class (fewer than dataset_size where a class is short)</param>
    sealed record TrialInputs(ISplit Train, ISplit Validation, ISplit Test, int FirstStage, int[] TrainPerClass, IDisposable? Owner = null) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Validation.Dispose();
            Test.Dispose();
            Owner?.Dispose();
        }
    }

    /// <summary>
    /// Step 3: the rows of the trial's split. Frozen-prefix reuse trains the unfrozen stages on cached outputs of the
    /// frozen ones (same result, less work); computing them uses no randomness, so the head and the shuffles come out
    /// the same as without the cache. Either way a split is held on the device or streamed, by its size (<see cref="Splits"/>).
    /// </summary>
    static TrialInputs Inputs(TrialSpec spec, TrialEnvironment env, ImageData data, IStagedModel model, Device device)
    {
        var split = TaskSplits.Target(data, spec.TargetClasses, spec.ValidationPerClass, spec.DatasetSize, spec.Seed);
        FeatureCache.Features? features = null;
        if (spec.FrozenFeaturesKey != null && env.ReuseFeatures)
        {
            long images = spec.TargetClasses.Sum(c => data.Train.IndicesOf(c).Count + data.Test.IndicesOf(c).Count);
            if (FeatureCache.SizeOf(model, spec.FreezeDepth, data.Train, images) <= FeatureCache.MaxEntryBytes)
                features = new FeatureCache(env.Artifacts).GetOrCompute(FeatureCache.KeyFor(spec, data)!, model, spec.FreezeDepth, data,
                    spec.TargetClasses, device, env.Log, FeatureCache.KeysAtDepths(spec, data));
        }
        if (features == null)
            // A random training transform crops each batch itself, from the whole stored images.
            return new TrialInputs(Splits.Of(data.Train.AsRows(whole: spec.Transforms?.IsRandom == true), split.Train, spec.TargetClasses, device),
                Splits.Of((data.Validation ?? data.Train).AsRows(), split.Validation, spec.TargetClasses, device),
                Splits.Of(data.Test.AsRows(), split.Test, spec.TargetClasses, device), 0, split.TrainPerClass);
        return new TrialInputs(Rows(features.Train, features.TrainIndices, split.Train, spec.TargetClasses, device),
            features.Validation is { } own
                ? Rows(own, features.ValidationIndices!, split.Validation, spec.TargetClasses, device)
                : Rows(features.Train, features.TrainIndices, split.Validation, spec.TargetClasses, device),
            Rows(features.Test, features.TestIndices, split.Test, spec.TargetClasses, device), spec.FreezeDepth, split.TrainPerClass, Owner: features);
    }

    static TrainingLoop.Settings SettingsOf(TrialSpec spec, int firstStage, ImageData data) =>
        new(spec.Epochs, spec.BatchSize, spec.Optimizer, spec.LearningRate, spec.WeightDecay, spec.Momentum, spec.Seed, spec.FreezeDepth,
            firstStage, spec.StrategyName, spec.BaseLrFactor, spec.UnfreezeEvery, spec.Augment, spec.Objective, spec.SelectsBestEpoch,
            spec.Patience, spec.MinDelta, spec.Schedule, spec.LabelSmoothing, spec.GradClip, spec.Nesterov, spec.Precision,
            spec.Transforms is { IsRandom: true } t ? new TrainTransform(t, data.Train.InputRows, data.Train.Norm) : null);

    /// <summary>Step 4: the epochs, continuing after the last checkpoint of an earlier attempt; TensorBoard files when asked.</summary>
    static TrainingLoop.Outcome Train(TrialSpec spec, TrialEnvironment env, IStagedModel model, TrialInputs inputs, TrainingLoop.Settings settings,
        TrainingLoop.EpochCallback? onEpoch, CancellationToken cancel)
    {
        // Across machines each epoch's checkpoint is copied to the coordinator, so another host can continue the trial.
        var mirror = env.Shared?.Remote != null ? new CheckpointMirror(env.Shared, spec.Id, env.Log) : null;
        var checkpoint = new TrialCheckpoint(env.Artifacts, spec.Id, mirror);
        var board = env.TensorBoardFolder == null ? null : new TensorBoardLog(Path.Combine(env.TensorBoardFolder, spec.Id));
        TrainingLoop.EpochCallback? report = board == null ? onEpoch : e => { board.Write(e); return onEpoch?.Invoke(e) ?? true; };
        var outcome = TrainingLoop.Run(model, inputs.Train, inputs.Validation, settings, report, cancel, checkpoint, env.Log);
        checkpoint.Delete();
        return outcome;
    }

    /// <summary>
    /// Step 5: the result: test metrics of the weights the loop ended with (the selected epoch's), or why there are
    /// none (diverged); stopped when the sweep said so; completed, with a word on it, when patience ended it.
    /// </summary>
    static TrialResult Result(TrialSpec spec, IStagedModel model, TrialInputs inputs, TrainingLoop.Settings settings, TrainingLoop.Outcome outcome,
        string device, int threads, TimeSpan took)
    {
        // What the plan trains by its last epoch (a gradually unfrozen stage counts once it joins).
        long trainable = Freezing.ParameterCount(Freezing.TrainedBy(model, settings.StageRates(model.Stages.Count, settings.Epochs)));
        long total = Freezing.ParameterCount(model.Network.parameters());
        var epochs = outcome.Epochs;
        var best = Objective.Default.Best(epochs);
        var objective = spec.Objective.Best(epochs) is { } chosen ? spec.Objective.ValueOf(chosen) : null;
        if (outcome.DivergedAt is { } divergedAt)
            return new TrialResult(spec.Id, TrialStatus.Diverged, epochs, best?.ValAccuracy, best?.Epoch,
                null, null, null, trainable, total, took.TotalSeconds, device, threads, divergedAt,
                $"loss became NaN or infinite in epoch {divergedAt} (learning rate {spec.LearningRate} is likely too high)", ObjectiveValue: objective,
                TrainPerClass: inputs.TrainPerClass);
        var test = TrainingLoop.Measure(model, inputs.Test, inputs.FirstStage, spec.Precision);
        string? message = outcome.PatienceStoppedAt is { } stoppedAt
            ? $"stopped by patience after epoch {stoppedAt}: {spec.Patience} epoch(s) without a better {spec.Objective.Metric}"
            : null;
        return new TrialResult(spec.Id, outcome.StoppedEarly ? TrialStatus.Stopped : TrialStatus.Completed, epochs, best?.ValAccuracy, best?.Epoch,
            epochs[^1].ValAccuracy, test.Accuracy, test.Loss, trainable, total, took.TotalSeconds, device, threads, Message: message,
            TestMacroF1: test.MacroF1, TestBalancedAccuracy: test.BalancedAccuracy, TestTop5Accuracy: test.Top5Accuracy,
            TestConfusion: test.Confusion.Length <= ClassScores.MaxConfusionClasses ? test.Confusion : null,
            SelectedEpoch: outcome.SelectedEpoch, ObjectiveValue: objective, TrainPerClass: inputs.TrainPerClass);
    }

    /// <summary>
    /// The user's checkpoint, checked against the SHA-256 the sweep recorded so every trial starts from the same
    /// base: the file at its path when this host has it unchanged, else the copy uploaded to the coordinator.
    /// </summary>
    static void LoadWeights(IStagedModel model, TrialSpec spec, TrialEnvironment env, CancellationToken cancel) =>
        WeightFiles.Load(model, WeightsFile(spec, env, cancel), namedAs: spec.WeightsPath);

    /// <summary>The trial's weight file on this worker: the path the sweep names when it holds those bytes, else the copy uploaded to the coordinator.</summary>
    static string WeightsFile(TrialSpec spec, TrialEnvironment env, CancellationToken cancel)
    {
        string path = spec.WeightsPath!;
        bool here = File.Exists(path) && (spec.WeightsSha256 == null || DerivedFiles.Sha256Of(path) == spec.WeightsSha256);
        if (!here && spec.WeightsSha256 != null && env.Shared != null)
        {
            try { path = env.Shared.File(spec.WeightsSha256, cancel); here = true; }
            catch (Runner.Artifacts.ArtifactMissingException) { /* not uploaded: say what is wrong with the path below */ }
        }
        if (!here && !File.Exists(path)) throw new WeightFileException($"{path}: no such weight file on this worker");
        if (!here)
            throw new WeightFileException($"{path}: changed since the sweep was submitted (its SHA-256 differs); submit the sweep again to use the new file");
        return path;
    }

    /// <summary>The cached feature rows of the given images (indices into the data split), labelled for the task.</summary>
    static ISplit Rows(RowSet features, int[] featureIndices, int[] wanted, int[] classes, Device device)
    {
        var row = new Dictionary<int, int>(featureIndices.Length);
        for (int i = 0; i < featureIndices.Length; i++) row[featureIndices[i]] = i;
        return Splits.Of(features, wanted.Select(i => row[i]).ToArray(), classes, device);
    }
}
