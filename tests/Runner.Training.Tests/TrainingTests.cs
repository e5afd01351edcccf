using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

[Collection("torch")]
public class TrainingTests(SharedArtifacts shared)
{
    [Fact]
    public void Every_model_that_takes_fashion_mnist_runs_on_its_28_px_grayscale_images()
    {
        // The others are refused for Fashion-MNIST by the validator (SweepRules.DatasetFits).
        foreach (var facts in KnownModels.All.Where(m => m.MinInputSize <= KnownDatasets.FashionMnist.ImageSide))
        {
            var model = ModelZoo.Create(facts.Name, 5);
            Assert.Equal(facts.Stages, model.Stages.Select(s => s.Name));
            using var x = randn(2, 1, 28, 28);
            using var y = model.Network.forward(x);
            Assert.Equal(new long[] { 2, 5 }, y.shape);
        }
    }

    /// <summary>Trains a model for one epoch at a freeze depth and returns its state before and after.</summary>
    static (Dictionary<string, float[]> Before, Dictionary<string, float[]> After, IStagedModel Model) TrainOnce(int depth)
    {
        TorchRuntime.SetThreads(2);
        var data = FashionMnist.Load(TestData.Subset);
        var split = TaskSplits.Target(data.Train, data.Test, new[] { 5, 6, 7, 8, 9 }, 20, 40, 3);
        using var train = TensorSplit.From(data.Train, split.Train, new[] { 5, 6, 7, 8, 9 }, CPU);
        manual_seed(3);
        var model = ModelZoo.Create("convnet4", 5);
        var before = TestData.Snapshot(model.Network);
        TrainingLoop.Run(model, train, null, new TrainingLoop.Settings(1, 16, "adam", 1e-2, 0, 0.9, 3, depth), null, CancellationToken.None);
        return (before, TestData.Snapshot(model.Network), model);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Frozen_stages_keep_weights_and_batchnorm_statistics_bit_identical_while_the_rest_trains(int depth)
    {
        var (before, after, model) = TrainOnce(depth);
        var frozenPrefixes = model.Stages.Take(depth).Select(s => s.Name + ".").ToArray();
        int frozen = 0, trained = 0;
        foreach (var (name, values) in before)
        {
            bool isFrozen = frozenPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
            if (isFrozen)
            {
                Assert.True(values.SequenceEqual(after[name]), $"{name} changed although its stage is frozen");
                frozen++;
            }
            else
            {
                Assert.False(values.SequenceEqual(after[name]), $"{name} did not change although it trains");
                trained++;
            }
        }
        // Running statistics of frozen BatchNorm layers are among the checked tensors.
        Assert.Contains(before.Keys, k => k.StartsWith("conv1.", StringComparison.Ordinal) && k.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.True(frozen > 0 && trained > 0);
        Assert.All(model.Stages.Take(depth).SelectMany(s => s.Module.parameters()), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Without_freezing_every_stage_changes_including_batchnorm_statistics()
    {
        var (before, after, _) = TrainOnce(0);
        Assert.All(before, kv => Assert.False(kv.Value.SequenceEqual(after[kv.Key]), $"{kv.Key} did not change"));
    }

    [Fact]
    public void The_same_trial_with_the_same_seed_device_and_threads_gives_identical_metrics()
    {
        var env = TestData.Environment(shared.Folder);
        var spec = TestData.SmallTrial(freezeDepth: 1, seed: 5, epochs: 2);
        var a = TrialRunner.Run(spec, env);
        var b = TrialRunner.Run(spec, env);
        Assert.Equal(TrialStatus.Completed, a.Status);
        Assert.Equal(a.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValLoss, e.ValAccuracy)),
                     b.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValLoss, e.ValAccuracy)));
        Assert.Equal(a.TestAccuracy, b.TestAccuracy);
        var c = TrialRunner.Run(spec with { Seed = 6 }, env);
        Assert.NotEqual(a.Epochs[^1].TrainLoss, c.Epochs[^1].TrainLoss);
    }

    [Fact]
    public void A_trial_reports_the_metrics_people_read()
    {
        var epochs = new List<EpochMetrics>();
        var r = TrialRunner.Run(TestData.SmallTrial(freezeDepth: 4, epochs: 2, lr: 1e-2), TestData.Environment(shared.Folder),
            e => { epochs.Add(e); return true; });
        Assert.Equal(TrialStatus.Completed, r.Status);
        Assert.Equal(new[] { 1, 2 }, epochs.Select(e => e.Epoch));
        Assert.Equal(epochs, r.Epochs);
        Assert.All(r.Epochs, e =>
        {
            Assert.InRange(e.TrainAccuracy, 0, 1);
            Assert.InRange(e.ValAccuracy, 0, 1);
            Assert.True(e.ImagesPerSecond > 0 && e.Seconds > 0);
        });
        // Head only: 128 * 5 weights + 5 biases.
        Assert.Equal(128 * 5 + 5, r.TrainableParameters);
        Assert.True(r.TotalParameters > r.TrainableParameters);
        Assert.InRange(r.TestAccuracy!.Value, 0.4, 1); // a pretrained base beats chance (0.2) even on 20 images per class
        Assert.Equal(r.Epochs.Max(e => e.ValAccuracy), r.BestValAccuracy);
        Assert.Equal(r.Epochs[^1].ValAccuracy, r.LastValAccuracy);
        Assert.Equal("cpu", r.Device);
    }

    [Fact]
    public void A_loss_that_explodes_ends_the_trial_as_diverged_not_as_an_exception()
    {
        var r = TrialRunner.Run(TestData.SmallTrial(init: "scratch", lr: 1e12, optimizer: "sgd", epochs: 3), TestData.Environment(shared.Folder));
        Assert.Equal(TrialStatus.Diverged, r.Status);
        Assert.Equal(1, r.DivergedAtEpoch);
        Assert.Single(r.Epochs);
        Assert.Null(r.TestAccuracy);
        Assert.Contains("NaN or infinite", r.Message);
    }

    [Fact]
    public void A_trial_stopped_early_by_its_sweep_keeps_its_metrics_and_says_stopped()
    {
        var r = TrialRunner.Run(TestData.SmallTrial(init: "scratch", epochs: 3), TestData.Environment(shared.Folder), e => e.Epoch < 1);
        Assert.Equal(TrialStatus.Stopped, r.Status);
        Assert.Single(r.Epochs);
        Assert.NotNull(r.TestAccuracy);
    }

    [Fact]
    public void Cancellation_stops_training_between_batches()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            TrialRunner.Run(TestData.SmallTrial(init: "scratch"), TestData.Environment(shared.Folder), null, cancel.Token));
    }
}
