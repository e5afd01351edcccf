using System.Text.Json;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench memory`: many small trials in one process through TrialRunner (what a worker runs), with the
/// process's resident memory read from /proc after trial 60 and every 30 after. Native memory that trials leak
/// (tensors not disposed, caches that only grow) shows as steady growth; the goal is under 50 MB over 500 trials.
/// Trials cycle through freeze depths 0, 2, 4 and samples are taken at the same point of the cycle, because the
/// feature rows a trial holds differ in size between depths.
/// </summary>
public sealed class MemoryBench(CliContext context)
{
    const int WarmUp = 60, Every = 30;

    public int Run(int trials, string? dataOption) => BenchFolder.Use("memory", folder => Run(trials, dataOption, folder));

    int Run(int trials, string? dataOption, string folder)
    {
        if (trials <= WarmUp) throw new UsageException($"--trials must be more than {WarmUp} (the warm-up)");
        string data = DataLocator.Locate(dataOption, null, allowDownload: false);
        context.Out.WriteLine($"memory: {trials} small trials in this process, data {data}, state {folder}");
        var env = new TrialEnvironment(new DerivedFiles(folder), data, null, "cpu", 0, AllowDownload: false);
        var pretrain = new PretrainSpec("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 1, 1e-3, 0, 64, "adam");
        int[] depths = { 0, 2, 4 };
        var samples = new List<(int Trial, double Mb)>();
        for (int i = 1; i <= trials; i++)
        {
            var spec = new TrialSpec("convnet4", pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 10, Initialization.Pretrained, depths[i % depths.Length],
                1e-3, 10, 1, 32, "adam", 0, 0.9, i);
            TrialRunner.Run(spec, env);
            if (i >= WarmUp && i % Every == 0)
            {
                samples.Add((i, ResidentMb()));
                context.Out.WriteLine(FormattableString.Invariant($"  after trial {i}: {samples[^1].Mb:F1} MB resident"));
            }
        }
        double growth = samples[^1].Mb - samples[0].Mb;
        // Kernels and allocator pools warm up over the first hundred or so trials; a leak keeps growing after that.
        var half = samples[samples.Count / 2];
        double lateGrowth = samples[^1].Mb - half.Mb;
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "memory", trials, resident_mb = samples.Select(s => new { trial = s.Trial, mb = s.Mb }), growth_mb = growth, second_half_from_trial = half.Trial, second_half_growth_mb = lateGrowth,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant(
            $"  growth from trial {samples[0].Trial} to {samples[^1].Trial}: {growth:F1} MB; from trial {half.Trial} to {samples[^1].Trial}: {lateGrowth:F1} MB"));
        return 0;
    }

    /// <summary>VmRSS after a full collection, so that tensors only waiting for their finalizer are not counted.</summary>
    static double ResidentMb()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }
}
