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
        TorchRuntime.SetThreads(2);
        var data = FashionMnist.Load(TestData.Subset);
        int[] classes = { 5, 6, 7, 8, 9 };
        var split = TaskSplits.Target(data.Train, data.Test, classes, 20, 20, 3);
        using var train = TensorSplit.From(data.Train, split.Train, classes, CPU);
        manual_seed(3);
        var model = ModelZoo.Create("convnet4", classes.Length);
        var previous = model.Stages.Select(s => Snapshot(s.Module)).ToList();
        var seen = new List<string>();
        var expectedEpochs = expected.Split(',');
        TrainingLoop.Run(model, train, null, Settings(strategy, depth, epochs: expectedEpochs.Length), e =>
        {
            var now = model.Stages.Select(s => Snapshot(s.Module)).ToList();
            seen.Add(string.Concat(now.Select((stage, i) => stage.Any(kv => !kv.Value.SequenceEqual(previous[i][kv.Key])) ? '1' : '0')));
            previous = now;
            return true;
        }, CancellationToken.None);
        Assert.Equal(expectedEpochs, seen);
        model.Network.Dispose();
    }

    static Dictionary<string, float[]> Snapshot(nn.Module<Tensor, Tensor> module) =>
        module.state_dict().Where(kv => kv.Value.dtype == ScalarType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
}
