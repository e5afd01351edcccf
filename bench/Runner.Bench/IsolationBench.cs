using System.Diagnostics;
using System.Text.Json;
using Runner.Cli;
using Runner.Cluster.Workers;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Bench;

/// <summary>
/// `runner-bench isolation`: what running trials in a trainer process costs. The same tiny real trials (convnet4,
/// scratch, one epoch, 10 images per class) run alternately in this process and through one trainer process
/// (`runner trainer-process`, as a worker runs them); the first trainer-process trial, which starts the process, is
/// reported apart. Then each network's training speed under the oneDNN settings a CPU may get (docs/benchmarks.md).
/// </summary>
public sealed class IsolationBench(CliContext context)
{
    public int Run(string data, int trials, int threads, string[] models) => BenchFolder.Use("isolation", folder =>
    {
        var settings = new TrainerSettings(folder, data, null, threads);
        var specs = Enumerable.Range(1, trials + 1).Select(seed => Tiny(data, seed)).ToList();
        var here = settings.InThisProcess(null)("cpu");
        using var child = new TrainerProcess(() => RunnerExecutable.StartInfo(Runner.Cli.Commands.TrainerProcessCommand.Arguments(settings, "cpu")));
        var clock = Stopwatch.StartNew();
        child.Execute(Job(specs[0]), _ => true, CancellationToken.None);
        double first = clock.Elapsed.TotalSeconds;
        here(Job(specs[0]), _ => true, CancellationToken.None); // warms this process as the first trial warmed the child
        var (inProcess, inChild) = (new List<double>(), new List<double>());
        foreach (var spec in specs.Skip(1))
        {
            clock.Restart();
            here(Job(spec), _ => true, CancellationToken.None);
            inProcess.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
            child.Execute(Job(spec), _ => true, CancellationToken.None);
            inChild.Add(clock.Elapsed.TotalSeconds);
        }
        double a = Median(inProcess), b = Median(inChild);
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "isolation", trials, threads, first_trial_in_new_process_seconds = first, median_trial_seconds_in_process = a,
            median_trial_seconds_in_trainer_process = b, overhead_per_trial_seconds = b - a,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant(
            $"  a tiny trial: {a * 1000:F0} ms in this process, {b * 1000:F0} ms in a trainer process ({(b - a) * 1000:+0;-0} ms); the trial that starts the process: {first:F2} s"));

        foreach (string model in models) Speeds(model, data, threads, folder);
        return 0;
    });

    /// <summary>
    /// Training images/s of one network (scratch, second epoch of two) under each oneDNN setting, each in a `runner
    /// trial` process of its own: oneDNN as LibTorch ships it, the guard (LibTorch's own convolution kernels), and
    /// oneDNN capped at AVX (the other way around the crash). Since the zoo runs 1×1 convolutions as matrix products
    /// (PointwiseConvolutions), the first two settings run a zoo network alike; they differ for TorchScript programs.
    /// </summary>
    void Speeds(string model, string data, int threads, string folder)
    {
        var settings = new (string Name, Dictionary<string, string> Env)[]
        {
            ("onednn", new() { ["RUNNER_ONEDNN_GUARD"] = "off" }),
            ("guard", new() { ["RUNNER_ONEDNN_GUARD"] = "on" }),
            ("onednn-avx", new() { ["RUNNER_ONEDNN_GUARD"] = "off", ["ONEDNN_MAX_CPU_ISA"] = "AVX" }),
        };
        var speeds = new Dictionary<string, double?>();
        foreach (var (name, env) in settings)
        {
            var start = RunnerExecutable.StartInfo(["trial", "--model", model, "--init", "scratch", "--epochs", "2", "--dataset-size", model == "convnet4" ? "1000" : "200",
                "--validation-per-class", "20", "--threads", threads.ToString(), "--data", data, "--state", Path.Combine(folder, "trial-" + name), "--json"]);
            (start.RedirectStandardOutput, start.RedirectStandardError) = (true, true);
            foreach (var (k, v) in env) start.Environment[k] = v;
            using var p = Process.Start(start)!;
            var error = p.StandardError.ReadToEndAsync(); // progress goes there: drained alongside, or a full pipe would stall the trial
            string output = p.StandardOutput.ReadToEnd();
            error.Wait();
            p.WaitForExit();
            double? speed = null;
            if (p.ExitCode == 0)
            {
                using var doc = JsonDocument.Parse(output);
                speed = doc.RootElement.GetProperty("trials")[0].GetProperty("epoch_metrics")[1].GetProperty("images_per_second").GetDouble();
            }
            speeds[name] = speed;
            string outcome = speed is { } s ? FormattableString.Invariant($"{s:F0} img/s")
                : p.ExitCode > 128 ? $"died of {TrainerProcess.SignalName(p.ExitCode - 128)}" : $"exit code {p.ExitCode}";
            context.Out.WriteLine($"  {model}, {name}: {outcome}");
        }
        context.Out.WriteLine(JsonSerializer.Serialize(new { benchmark = "onednn", model, threads, images_per_second = speeds }, JsonOutput.Options));
    }

    static Assignment Job(TrialSpec spec) => new("isolation", spec.Id, 1, spec);

    static TrialSpec Tiny(string data, int seed)
    {
        string yaml = $$"""
            name: isolation
            base: { model: convnet4 }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{data}}, validation_per_class: 10 }
            train: { epochs: 1, batch_size: 16 }
            sweep: { parameters: { initialization: [scratch], dataset_size: [10] }, seeds: [{{seed}}] }
            """;
        string file = Path.Combine(Path.GetTempPath(), $"runner-isolation-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try { return SweepExpander.Expand(SweepLoader.Load(file, data, Console.Error)).Single(); }
        finally { File.Delete(file); }
    }

    static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
