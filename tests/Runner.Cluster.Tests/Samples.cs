using Runner.Sweeps;

namespace Runner.Cluster.Tests;

internal static class Samples
{
    public static readonly PretrainSpec Pretrain = new("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 3, 1e-3, 0, 64, "adam");

    public static TrialSpec Trial(int seed, int depth = 2) =>
        new("convnet4", Pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, Initialization.Pretrained, depth, 1e-3, 100, 5, 64, "adam", 0, 0.9, seed);

    public static TrialResult Result(string id, double test = 0.9) => new(id, TrialStatus.Completed,
        new[] { new EpochMetrics(1, 0.5, 0.8, double.NaN, 0.85, 1.5, 3000), new EpochMetrics(2, 0.3, 0.9, 0.31, 0.88, 1.4, 3100) },
        0.88, 2, 0.88, test, 0.33, 1000, 130_405, 2.9, "cpu", 2);
}
