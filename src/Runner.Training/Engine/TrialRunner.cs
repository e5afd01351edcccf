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
    string? TensorBoardFolder = null);

/// <summary>Runs one trial end to end: data, base model, freezing, training, test evaluation.</summary>
public static class TrialRunner
{
    public static TrialResult Run(TrialSpec spec, TrialEnvironment env, TrainingLoop.EpochCallback? onEpoch = null,
        CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(env.Threads);
        var device = TorchRuntime.ResolveDevice(env.Device);
        var data = FashionMnist.Load(DataLocator.Locate(env.DataFolder, env.SweepDataFolder, env.AllowDownload));

        var split = TaskSplits.Target(data.Train, data.Test, spec.TargetClasses, spec.ValidationPerClass, spec.DatasetSize, spec.Seed);
        using var train = TensorSplit.From(data.Train, split.Train, spec.TargetClasses, device);
        using var validation = TensorSplit.From(data.Train, split.Validation, spec.TargetClasses, device);
        using var test = TensorSplit.From(data.Test, split.Test, spec.TargetClasses, device);

        IStagedModel? pretrained = spec.Initialization == "pretrained"
            ? PretrainedBases.GetOrTrain(env.Artifacts, spec.Model,
                spec.Pretrain ?? throw new ArgumentException("a pretrained trial needs pretraining settings"), data, device, env.Log, cancel)
            : null;

        manual_seed(spec.Seed);
        var model = ModelZoo.Create(spec.Model, spec.TargetClasses.Length);
        try
        {
            if (pretrained != null)
            {
                // Take every stage from the base; the head is new because the target classes differ.
                for (int i = 0; i < model.Stages.Count; i++)
                    model.Stages[i].Module.load_state_dict(pretrained.Stages[i].Module.state_dict());
                pretrained.Network.Dispose();
            }
            Freezing.Freeze(model, spec.FreezeDepth);
            model.Network.to(device);

            var settings = new TrainingLoop.Settings(spec.Epochs, spec.BatchSize, spec.Optimizer, spec.LearningRate,
                spec.WeightDecay, spec.Momentum, spec.Seed, spec.FreezeDepth);
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

            var (testLoss, testAcc) = TrainingLoop.Evaluate(model, test);
            return new TrialResult(spec.Id, TrialStatus.Completed, epochs, best?.ValAccuracy, best?.Epoch,
                epochs[^1].ValAccuracy, testAcc, testLoss, trainable, total, clock.Elapsed.TotalSeconds, deviceName, threads);
        }
        finally
        {
            model.Network.Dispose();
        }
    }

    static EpochMetrics? BestVal(IEnumerable<EpochMetrics> epochs) =>
        epochs.Where(e => double.IsFinite(e.ValAccuracy)).OrderByDescending(e => e.ValAccuracy).ThenBy(e => e.Epoch).FirstOrDefault();
}
