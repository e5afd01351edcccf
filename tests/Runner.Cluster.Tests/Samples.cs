using Runner.Sweeps;

namespace Runner.Cluster.Tests;

internal static class Samples
{
    public static readonly PretrainSpec Pretrain = new("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 3, 1e-3, 0, 64, "adam");
    const string Weights = "5f2b0d8c1e9a7b3c4d6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c";

    /// <summary>A pretrained trial on a weight file: it needs no base task, so the sweep hands it out at once.</summary>
    public static TrialSpec Trial(int seed, int depth = 2) =>
        new("convnet4", null, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, Initialization.Pretrained, depth, 1e-3, 100, 5, 64, "adam", 0, 0.9, seed,
            WeightsSha256: Weights, WeightsPath: "/weights/convnet4.pt");

    /// <summary>A trial whose base the sweep pretrains (a base task per distinct <paramref name="pretrainSeed"/>).</summary>
    public static TrialSpec PretrainedTrial(int seed, int pretrainSeed = 0) =>
        new("convnet4", Pretrain with { Seed = pretrainSeed }, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, Initialization.Pretrained, 2, 1e-3, 100, 5, 64,
            "adam", 0, 0.9, seed);

    public static TrialSpec ScratchTrial(int seed) => PretrainedTrial(seed) with { Initialization = Initialization.Scratch, Pretrain = null, FreezeDepth = 0 };

    public static TrialResult Result(string id, double test = 0.9) => new(id, TrialStatus.Completed,
        new[] { new EpochMetrics(1, 0.5, 0.8, double.NaN, 0.85, 1.5, 3000), new EpochMetrics(2, 0.3, 0.9, 0.31, 0.88, 1.4, 3100, 0.87, 0.88, null) },
        0.88, 2, 0.88, test, 0.33, 1000, 130_405, 2.9, "cpu", 2,
        TestMacroF1: test - 0.01, TestBalancedAccuracy: test, TestConfusion: [[9, 1], [1, 9]]);

    public static TrialResult BaseBuilt(string taskId, string sha) =>
        new(taskId, TrialStatus.Completed, Array.Empty<EpochMetrics>(), null, null, null, null, null, 0, 0, 12.5, "cpu", 2, BaseSha256: sha);
}
