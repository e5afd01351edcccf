using System.Diagnostics;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>Where a trial finds its data and shared artifacts, and what it runs on. None of this changes the trial's identity.</summary>
public sealed record TrialEnvironment(
    ArtifactStore Artifacts,
    string? DataFolder = null,
    string? SweepDataFolder = null,
    string Device = "auto",
    int Threads = 0,
    bool AllowDownload = true,
    Action<string>? Log = null,
    string? TensorBoardFolder = null,
    bool ReuseFeatures = true);

/// <summary>Runs one trial end to end: data, base model (pretrained here or loaded from a weight file), strategy, training, test evaluation.</summary>
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
        var split = TaskSplits.Target(data.Train, data.Test, spec.TargetClasses, spec.ValidationPerClass, spec.DatasetSize, spec.Seed);

        IStagedModel? pretrained = spec.Initialization == Initialization.Pretrained && spec.WeightsPath == null
            ? PretrainedBases.GetOrTrain(env.Artifacts, spec.Model,
                spec.Pretrain ?? throw new ArgumentException("a pretrained trial needs pretraining settings or a weight file"),
                TargetData.Source(spec, env, data), device, env.Log, cancel)
            : null;

        manual_seed(spec.Seed);
        var model = ModelZoo.Create(spec.Model, spec.TargetClasses.Length, new HeadSpec(spec.HeadKind, spec.Dropout));
        try
        {
            if (pretrained != null)
            {
                // Take every stage from the base; the head is new because the target classes differ.
                for (int i = 0; i < model.Stages.Count; i++)
                    model.Stages[i].Module.load_state_dict(pretrained.Stages[i].Module.state_dict());
                pretrained.Network.Dispose();
            }
            else if (spec.Initialization == Initialization.Pretrained)
                LoadWeights(model, spec);
            Freezing.Freeze(model, spec.StrategyName == Strategies.FeatureExtraction ? spec.FreezeDepth : 0);

            // Frozen-prefix reuse: train the unfrozen stages on cached outputs of the frozen ones (same result, less work).
            // Computing them uses no randomness, so the head and the shuffles come out the same as without the cache.
            FeatureCache.Features? features = null;
            if (spec.FrozenFeaturesKey != null && env.ReuseFeatures)
            {
                long images = spec.TargetClasses.Sum(c => data.Train.IndicesOf(c).Count + data.Test.IndicesOf(c).Count);
                if (FeatureCache.SizeOf(model, spec.FreezeDepth, data.Train, images) <= FeatureCache.MaxEntryBytes)
                    features = new FeatureCache(env.Artifacts).GetOrCompute(FeatureCache.KeyFor(spec, data)!, model, spec.FreezeDepth, data,
                        spec.TargetClasses, device, env.Log, FeatureCache.KeysAtDepths(spec, data));
            }
            int firstStage = features == null ? 0 : spec.FreezeDepth;
            using var train = features == null ? TensorSplit.From(data.Train, split.Train, spec.TargetClasses, device) : Rows(features.Train, features.TrainIndices, split.Train, data.Train, spec.TargetClasses, device);
            using var validation = features == null ? TensorSplit.From(data.Train, split.Validation, spec.TargetClasses, device) : Rows(features.Train, features.TrainIndices, split.Validation, data.Train, spec.TargetClasses, device);
            using var test = features == null ? TensorSplit.From(data.Test, split.Test, spec.TargetClasses, device) : Rows(features.Test, features.TestIndices, split.Test, data.Test, spec.TargetClasses, device);
            features?.Dispose();
            model.Network.to(device);

            var settings = new TrainingLoop.Settings(spec.Epochs, spec.BatchSize, spec.Optimizer, spec.LearningRate,
                spec.WeightDecay, spec.Momentum, spec.Seed, spec.FreezeDepth, firstStage,
                spec.StrategyName, spec.BaseLrFactor, spec.UnfreezeEvery, spec.Augment);
            var checkpoint = new TrialCheckpoint(env.Artifacts, spec.Id);
            var board = env.TensorBoardFolder == null ? null : new TensorBoardLog(Path.Combine(env.TensorBoardFolder, spec.Id));
            TrainingLoop.EpochCallback? report = board == null ? onEpoch : e => { board.Write(e); return onEpoch?.Invoke(e) ?? true; };
            var (epochs, divergedAt) = TrainingLoop.Run(model, train, validation, settings, report, cancel, checkpoint, env.Log);
            checkpoint.Delete();

            long trainable = Freezing.Count(Freezing.Trainable(model));
            long total = Freezing.Count(model.Network.parameters());
            string deviceName = TorchRuntime.Describe(device);
            var best = BestVal(epochs);
            if (divergedAt != null)
                return new TrialResult(spec.Id, TrialStatus.Diverged, epochs, best?.ValAccuracy, best?.Epoch,
                    null, null, null, trainable, total, clock.Elapsed.TotalSeconds, deviceName, threads, divergedAt,
                    $"loss became NaN or infinite in epoch {divergedAt} (learning rate {spec.LearningRate} is likely too high)");

            var (testLoss, testAcc) = TrainingLoop.Evaluate(model, test, firstStage);
            // Fewer epochs than asked means the sweep's early-stopping rule ended it (the callback returned false).
            var status = epochs.Count < spec.Epochs ? TrialStatus.Stopped : TrialStatus.Completed;
            return new TrialResult(spec.Id, status, epochs, best?.ValAccuracy, best?.Epoch,
                epochs[^1].ValAccuracy, testAcc, testLoss, trainable, total, clock.Elapsed.TotalSeconds, deviceName, threads);
        }
        finally
        {
            model.Network.Dispose();
        }
    }

    /// <summary>The user's checkpoint, checked against the SHA-256 the sweep recorded so every trial starts from the same base.</summary>
    static void LoadWeights(IStagedModel model, TrialSpec spec)
    {
        string path = spec.WeightsPath!;
        if (!File.Exists(path)) throw new WeightFileException($"{path}: no such weight file on this worker");
        if (spec.WeightsSha256 != null && ArtifactStore.Sha256Of(path) != spec.WeightsSha256)
            throw new WeightFileException($"{path}: changed since the sweep was submitted (its SHA-256 differs); submit the sweep again to use the new file");
        WeightFiles.Load(model.Network, path);
    }

    /// <summary>The cached feature rows of the given images (indices into the split), with their remapped labels.</summary>
    static TensorSplit Rows(Tensor features, int[] featureIndices, int[] wanted, ImageSet set, int[] classes, Device device)
    {
        var row = new Dictionary<int, int>(featureIndices.Length);
        for (int i = 0; i < featureIndices.Length; i++) row[featureIndices[i]] = i;
        var map = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => (long)x.i);
        using var rows = tensor(wanted.Select(i => (long)row[i]).ToArray()).to(device);
        return TensorSplit.FromRows(features.index_select(0, rows), tensor(wanted.Select(i => map[set.Labels[i]]).ToArray()).to(device));
    }

    static EpochMetrics? BestVal(IEnumerable<EpochMetrics> epochs) =>
        epochs.Where(e => double.IsFinite(e.ValAccuracy)).OrderByDescending(e => e.ValAccuracy).ThenBy(e => e.Epoch).FirstOrDefault();
}
