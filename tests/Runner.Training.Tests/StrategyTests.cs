using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>The three fine-tuning strategies: which stages train in which epoch, and at what learning rate.</summary>
[Collection("torch")]
public class StrategyTests
{
    static TrainingLoop.Settings Settings(string strategy, int depth, int epochs = 1, int unfreezeEvery = 1) =>
        new(epochs, 16, "adam", 1e-2, 0, 0.9, 3, depth, Strategy: strategy, BaseLrFactor: 0.1, UnfreezeEvery: unfreezeEvery);

    static double[] GroupRates(IStagedModel model, TrainingLoop.Settings s)
    {
        using var optimizer = TrainingLoop.CreateOptimizer(model, s);
        return optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
    }

    [Fact]
    public void Each_strategy_gives_the_optimizer_its_learning_rate_groups()
    {
        var model = ModelZoo.Create("convnet4", 5);
        // convnet4: conv1, conv2, conv3, fc1, then the head (always at the full rate).
        Assert.Equal(new[] { 1e-2, 1e-2, 1e-2 }, GroupRates(model, Settings(Strategies.FeatureExtraction, 2)));
        Assert.Equal(new[] { 1e-3, 1e-3, 1e-2, 1e-2, 1e-2 }, GroupRates(model, Settings(Strategies.FineTune, 2)));
        // Gradual unfreezing over 3 epochs reaches conv3 (epoch 2: fc1, epoch 3: conv3); below freeze_depth 1 never.
        Assert.Equal(new[] { 1e-2, 1e-2, 1e-2 }, GroupRates(model, Settings(Strategies.GradualUnfreeze, 1, epochs: 3)));
        Assert.Equal(new[] { 1e-2, 1e-2, 1e-2, 1e-2 }, GroupRates(model, Settings(Strategies.GradualUnfreeze, 0, epochs: 7, unfreezeEvery: 2)));
        model.Network.Dispose();
    }

    [Theory]
    [InlineData(Strategies.FeatureExtraction, 2, "0011")]
    [InlineData(Strategies.FineTune, 2, "1111")]
    [InlineData(Strategies.GradualUnfreeze, 0, "0000,0001,0011")]
    public void Stages_change_only_in_the_epochs_their_strategy_trains_them(string strategy, int depth, string expected)
    {
        using var train = TestData.SmallTargetSplit();
        manual_seed(3);
        var model = ModelZoo.Create("convnet4", 5);
        var previous = model.Stages.Select(s => TestData.Snapshot(s.Module)).ToList();
        var seen = new List<string>();
        var expectedEpochs = expected.Split(',');
        TrainingLoop.Run(model, train, null, Settings(strategy, depth, epochs: expectedEpochs.Length), e =>
        {
            var now = model.Stages.Select(s => TestData.Snapshot(s.Module)).ToList();
            seen.Add(string.Concat(now.Select((stage, i) => stage.Any(kv => !kv.Value.SequenceEqual(previous[i][kv.Key])) ? '1' : '0')));
            previous = now;
            return true;
        }, CancellationToken.None);
        Assert.Equal(expectedEpochs, seen);
        model.Network.Dispose();
    }

    [Fact]
    public void Augmentation_crops_and_flips_each_image_reproducibly_for_a_seed()
    {
        // Images whose left half is 1 and right half 0: a flip swaps the halves, a crop shifts them by at most 2 pixels.
        using var batch = zeros(64, 3, 16, 16);
        batch.narrow(3, 0, 8).fill_(1);
        manual_seed(7);
        using var first = Augmentation.Apply(batch);
        manual_seed(7);
        using var again = Augmentation.Apply(batch);
        Assert.Equal(batch.shape, first.shape);
        Assert.True(first.eq(again).all().item<bool>());
        var leftMeans = first.narrow(3, 0, 8).mean(new long[] { 1, 2, 3 }).data<float>().ToArray();
        int flipped = leftMeans.Count(m => m < 0.5f), kept = leftMeans.Count(m => m > 0.5f);
        Assert.Equal(64, flipped + kept);
        Assert.InRange(flipped, 16, 48);
        Assert.False(first.eq(batch).all().item<bool>());
    }
}
