using Runner.Results;
using Runner.Sweeps;

namespace Runner.Testing;

internal static class Fixtures
{
    static readonly PretrainSpec Pretrain = new("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 3, 1e-3, 0, 64, "adam");

    public static TrialSpec Spec(string init, int depth, double lr, int size, int seed) =>
        new("convnet4", EnumText.Parse<Initialization>(init) == Initialization.Scratch ? null : Pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, EnumText.Parse<Initialization>(init), depth, lr, size, 5, 64, "adam", 0, 0.9, seed);

    public static TrialRecord Done(string init, int depth, double lr, int size, int seed, double test, double val)
    {
        var spec = Spec(init, depth, lr, size, seed);
        var result = new TrialResult(spec.Id, TrialStatus.Completed,
            new[] { new EpochMetrics(1, 0.5, 0.8, double.NaN, val - 0.01, 1.25, 4000.5), new EpochMetrics(2, 0.25, 0.9, 0.3, val, 1.5, 3999.25, val - 0.02, val, null) },
            val, 2, val, test, 0.3, 645, 130_405, 2.75, "cpu", 2,
            TestMacroF1: test - 0.015, TestBalancedAccuracy: test + 0.005, TestConfusion: [[8, 2, 0, 0, 0], [1, 9, 0, 0, 0], [0, 0, 10, 0, 0], [0, 0, 0, 7, 3], [0, 0, 1, 0, 9]]);
        return new TrialRecord("s", spec.Id, TrialStatus.Completed, 1, "w1", spec, result, null);
    }

    public static TrialRecord Other(string init, int depth, double lr, int size, int seed, TrialStatus status) =>
        new("s", Spec(init, depth, lr, size, seed).Id, status, status == TrialStatus.Pending ? 0 : 1, null, Spec(init, depth, lr, size, seed), null,
            status == TrialStatus.Failed ? "CUDA out of memory, twice" : null);
}
