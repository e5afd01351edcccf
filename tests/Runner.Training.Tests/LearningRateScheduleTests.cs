using System.Globalization;
using Runner.Sweeps;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

[Collection("torch")]
public class LearningRateScheduleTests
{
    /// <summary>Debian's PyTorch computes the same schedule with its own schedulers (scripts/lr_schedule_reference.py).</summary>
    [Theory]
    [InlineData("cosine", 4, 7, 0, null, 0.1)]
    [InlineData("cosine", 4, 7, 1, null, 0.1)]
    [InlineData("one-cycle", 5, 9, 0, null, 0.1)]
    [InlineData("step", 6, 3, 0, "2,4", 0.5)]
    [InlineData("step", 6, 3, 2, "3", 0.1)]
    [InlineData("constant", 3, 5, 2, null, 0.1)]
    public void Every_steps_factor_matches_pytorchs_scheduler(string name, int epochs, int steps, int warmup, string? milestones, double gamma)
    {
        var args = new List<string> { Path.Combine(TestData.RepoRoot, "scripts", "lr_schedule_reference.py"), name, $"{epochs}", $"{steps}", $"{warmup}" };
        if (milestones != null) args.AddRange(new[] { milestones, gamma.ToString(CultureInfo.InvariantCulture) });
        var expected = PythonScripts.Run(TestData.RepoRoot, args.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var schedule = new LearningRateSchedule(name, warmup, milestones?.Split(',').Select(int.Parse).ToArray() ?? Array.Empty<int>(), gamma);
        Assert.Equal(epochs * steps, expected.Length);
        for (int step = 0; step < expected.Length; step++)
            Assert.True(Math.Abs(expected[step] - schedule.Factor(step, epochs, steps)) < 1e-9,
                $"step {step}: PyTorch {expected[step]}, Runner {schedule.Factor(step, epochs, steps)}");
    }

    /// <summary>
    /// The loop really sets the rate before each step: with a step schedule that multiplies it by 1e-12 after epoch
    /// 1, two more epochs leave every weight where epoch 1 left it (BatchNorm statistics aside: they are not weights).
    /// </summary>
    [Fact]
    public void The_loop_trains_at_the_scheduled_rate()
    {
        var train = TestData.SmallTargetSplit();
        var schedule = new LearningRateSchedule(LearningRateSchedule.Step, 0, new[] { 1 }, 1e-12);
        Dictionary<string, float[]> WeightsAfter(int epochs, LearningRateSchedule? s)
        {
            var model = ModelZoo.Create("convnet4", 5, seed: 2);
            using var _ = model.Network;
            TrainingLoop.Run(model, train, null, new TrainingLoop.Settings(epochs, 16, "sgd", 0.05, 0, 0.9, 7, 0, Schedule: s), null, default);
            return model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        }
        var one = WeightsAfter(1, schedule);
        var three = WeightsAfter(3, schedule);
        var constant = WeightsAfter(3, null);
        Assert.All(one, kv => Assert.True(kv.Value.Zip(three[kv.Key]).All(p => Math.Abs(p.Item1 - p.Item2) < 1e-6), $"{kv.Key} moved after epoch 1"));
        Assert.Contains(one, kv => kv.Value.Zip(constant[kv.Key]).Any(p => Math.Abs(p.Item1 - p.Item2) > 1e-4));
    }
}
