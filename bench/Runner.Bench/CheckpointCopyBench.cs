using System.Diagnostics;
using System.Text.Json;
using Runner.Artifacts;
using Runner.Cli;
using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Bench;

/// <summary>
/// `runner-bench checkpoint-copy`: what copying every epoch's checkpoint to the coordinator costs a trial. The same
/// convnet4 trial (scratch, --per-class images a class, --epochs epochs, all cores) runs in this process as a worker
/// of a remote coordinator would (its checkpoints packed and uploaded to a real `runner coordinator` process after
/// every epoch) and as one without that copy, after one untimed run, --repeats times each in alternating order;
/// prints the median trial times and the overhead.
/// </summary>
public sealed class CheckpointCopyBench(CliContext context)
{
    public int Run(int perClass, int epochs, int repeats, string data) =>
        BenchFolder.Use("checkpoint-copy", folder => Run(perClass, epochs, repeats, data, folder));

    int Run(int perClass, int epochs, int repeats, string data, string folder)
    {
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        int api = RunnerProcesses.FreePort();
        processes.Start("coordinator", "coordinator", "--port", RunnerProcesses.FreePort().ToString(), "--api-port", api.ToString(),
            "--state", Path.Combine(folder, "coordinator"));
        var client = new ArtifactClient($"http://127.0.0.1:{api}/");
        ArtifactBench.WaitForApi(client, context.Cancel);
        var times = new Dictionary<bool, List<double>> { [true] = new(), [false] = new() };
        // An untimed first run (JIT, data loading), then the two ways in turns whose order alternates, so that
        // neither always runs first.
        for (int i = -1; i < repeats; i++)
            foreach (bool copy in i % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                // A new seed each time: a trial with the same id would continue from the coordinator's copy.
                var spec = new TrialSpec("convnet4", null, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, Initialization.Scratch, 0, 1e-3, perClass,
                    epochs, 64, "adam", 0, 0.9, 1000 * (i + 2) + (copy ? 1 : 2));
                string artifacts = Path.Combine(folder, $"worker-{i}-{copy}");
                var env = new TrialEnvironment(new DerivedFiles(artifacts), data, null, "cpu", 0, AllowDownload: false,
                    Shared: copy ? new ArtifactSource(null, client, new ArtifactCache(Path.Combine(artifacts, "cache"))) : null);
                var clock = Stopwatch.StartNew();
                TrialRunner.Run(spec, env);
                if (i < 0) break;
                times[copy].Add(clock.Elapsed.TotalSeconds);
                context.Out.WriteLine(FormattableString.Invariant($"  {(copy ? "with copies" : "without   ")}: {times[copy][^1]:F2} s"));
            }
        double with = Median(times[true]), without = Median(times[false]);
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "checkpoint-copy", per_class = perClass, epochs, repeats, with_copies_seconds = Math.Round(with, 2),
            without_seconds = Math.Round(without, 2), overhead_percent = Math.Round(100 * (with / without - 1), 1),
        }));
        context.Out.WriteLine(FormattableString.Invariant(
            $"summary: median trial {with:F2} s with a checkpoint copied to the coordinator every epoch, {without:F2} s without: {100 * (with / without - 1):+0.0;-0.0}%"));
        return 0;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
