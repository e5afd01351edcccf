using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench soak`: a cluster on a <see cref="HostBed"/> (a coordinator host whose state survives its restarts,
/// worker hosts with empty private state) runs sweeps one after another for --minutes while chaos strikes at random
/// (seeded): a worker host killed with SIGKILL and started again empty, a worker host cut off the network for
/// 10-25 s, the coordinator killed with SIGKILL and started again on its state. Then everything is healed, the last
/// sweep finishes, and the same sweeps run calmly with `runner run` for reference: one worker with one thread, like
/// each worker host (two workers in one process are not bit-for-bit repeatable yet, see docs/benchmarks.md).
/// Report: trials planned, completed once, duplicated (recorded twice), lost (never finished), failed, and how
/// many final test accuracies differ from the calm run.
/// </summary>
public sealed class SoakBench(CliContext context)
{
    static string Runner => typeof(Runner.Cli.CliApp).Assembly.Location;

    public int Run(double minutes, int workers, int seed, string data) => BenchFolder.Use("soak", folder => Run(minutes, workers, seed, data, folder));

    int Run(double minutes, int workers, int seed, string data, string folder)
    {
        if (HostBed.WhyNot() is { } why) throw new CommandFailedException($"soak needs a host bed: {why}");
        if (HostBed.WhyNoPartitions() is { } noFirewall) throw new CommandFailedException($"soak needs partitions: {noFirewall}");
        var random = new Random(seed);
        var log = new List<string>();
        void Note(string text)
        {
            string line = $"{DateTime.UtcNow:HH:mm:ss} {text}";
            log.Add(line);
            context.Out.WriteLine(line);
            context.Out.Flush();
        }

        using var bed = new HostBed(1 + workers, Path.Combine(folder, "logs"));
        string coordinatorState = Path.Combine(folder, "coordinator-state");
        string api = bed.CoordinatorApi;
        int coordinatorStarts = 0;
        var workerStarts = new int[workers];
        Process StartCoordinator() => bed.StartCoordinator($"coordinator-{++coordinatorStarts}", Runner, keptState: coordinatorState);
        Process StartWorker(int i) => bed.StartWorker(i + 1, $"worker-{i + 1}-{++workerStarts[i]}", Runner, new[] { "--devices", "cpu", "--threads", "1", "--data", data });

        var coordinator = StartCoordinator();
        WaitFor(() => Client("status", "--coordinator", api).Code == 0, TimeSpan.FromSeconds(90), "the coordinator");
        var workerProcesses = Enumerable.Range(0, workers).Select(StartWorker).ToArray();
        Note($"bed up: coordinator {bed.Address(0)}, {workers} worker host(s); chaos for {minutes} min (seed {seed})");

        var sweeps = new List<(string Id, string File)>();
        string Submit(int k)
        {
            string file = Path.Combine(folder, $"soak-{k}.yaml");
            File.WriteAllText(file, SweepYaml(k, data));
            var r = Client("submit", file, "--coordinator", api);
            if (r.Code != 0) throw new CommandFailedException($"submit failed: {r.Error}{r.Out}");
            string id = Regex.Match(r.Out, @"submitted sweep (\S+):").Groups[1].Value;
            sweeps.Add((id, file));
            Note($"submitted {id}");
            return id;
        }
        string current = Submit(1);
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        var counts = new Dictionary<string, int>();
        while (DateTime.UtcNow < deadline && !context.Cancel.IsCancellationRequested)
        {
            SleepUntil(DateTime.UtcNow.AddSeconds(random.Next(15, 40)), deadline, () =>
            {
                if (Done(api, current)) current = Submit(sweeps.Count + 1);
            });
            if (DateTime.UtcNow >= deadline) break;
            int w = random.Next(workers);
            switch (random.Next(3))
            {
                case 0:
                    HostBed.Kill(workerProcesses[w]);
                    Note($"chaos: SIGKILL worker host {w + 1}");
                    Thread.Sleep(TimeSpan.FromSeconds(random.Next(3, 10)));
                    workerProcesses[w] = StartWorker(w);
                    Note($"worker host {w + 1} started again, empty");
                    Count(counts, "worker killed");
                    break;
                case 1:
                    int seconds = random.Next(10, 26);
                    bed.Isolate(w + 1);
                    Note($"chaos: worker host {w + 1} cut off for {seconds} s");
                    Thread.Sleep(TimeSpan.FromSeconds(seconds));
                    bed.Reconnect(w + 1);
                    Count(counts, "worker cut off");
                    break;
                default:
                    HostBed.Kill(coordinator);
                    Note("chaos: SIGKILL coordinator");
                    Thread.Sleep(TimeSpan.FromSeconds(3));
                    coordinator = StartCoordinator();
                    WaitFor(() => Client("status", "--coordinator", api).Code == 0, TimeSpan.FromSeconds(90), "the coordinator after its restart");
                    Note("coordinator started again on its state");
                    Count(counts, "coordinator killed");
                    break;
            }
        }
        Note("chaos over: waiting for the last sweep");
        WaitFor(() => Done(api, current), TimeSpan.FromMinutes(15), "the last sweep to finish");

        // What the cluster recorded, read on the coordinator's host.
        var recorded = new Dictionary<string, JsonElement>();
        foreach (var (id, _) in sweeps)
        {
            var r = bed.Inside(coordinator, Runner, "trials", id, "--state", HostBed.StateFolder, "--format", "json");
            foreach (var t in JsonDocument.Parse(r.Out).RootElement.GetProperty("trials").EnumerateArray()) recorded[id + "/" + t.GetProperty("trial_id").GetString()] = t.Clone();
        }
        // Recorded completions, from every coordinator incarnation's log: a trial recorded twice is a duplicate.
        var completions = Directory.GetFiles(Path.Combine(folder, "logs"), "coordinator-*.log").SelectMany(File.ReadLines)
            .Select(l => Regex.Match(l, @"Sweep (\S+) trial (\S+) attempt \d+ completed on")).Where(m => m.Success)
            .GroupBy(m => m.Groups[1].Value + "/" + m.Groups[2].Value).ToDictionary(g => g.Key, g => g.Count());

        Note("calm reference: the same sweeps with runner run");
        var calm = new Dictionary<string, double?>();
        string calmState = Path.Combine(folder, "calm");
        foreach (var (id, file) in sweeps)
        {
            var run = Client("run", file, "--workers", "1", "--threads", "1", "--no-progress", "--state", calmState, "--data", data);
            if (run.Code is not (0 or 1)) throw new CommandFailedException($"calm run of {file} failed: {run.Error}");
            var rows = JsonDocument.Parse(Client("trials", id, "--state", calmState, "--format", "json").Out).RootElement.GetProperty("trials");
            foreach (var t in rows.EnumerateArray())
                calm[id + "/" + t.GetProperty("trial_id").GetString()] = t.GetProperty("test_accuracy") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;
        }

        int planned = recorded.Count;
        int completed = recorded.Values.Count(t => t.GetProperty("status").GetString() is "completed" or "stopped" or "diverged");
        int failed = recorded.Values.Count(t => t.GetProperty("status").GetString() == "failed");
        int lost = planned - completed - failed;
        int duplicated = completions.Count(c => c.Value > 1);
        int compared = 0, differ = 0;
        foreach (var (key, t) in recorded)
        {
            if (!calm.TryGetValue(key, out var reference) || t.GetProperty("test_accuracy").ValueKind != JsonValueKind.Number) continue;
            compared++;
            if (reference != t.GetProperty("test_accuracy").GetDouble()) differ++;
        }
        int moved = recorded.Values.Count(t => t.GetProperty("attempts").GetInt32() > 1);
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "soak", minutes, workers, seed, sweeps = sweeps.Count, trials_planned = planned, completed_once = completed - duplicated,
            duplicated, lost, failed, trials_with_more_than_one_attempt = moved, compared_with_calm = compared, final_test_accuracy_differs = differ,
            chaos = counts,
        }));
        context.Out.WriteLine($"summary: {sweeps.Count} sweeps, {planned} trials planned; completed once {completed - duplicated}, duplicated {duplicated}, lost {lost}, failed {failed}; " +
            $"{moved} trials needed more than one attempt; final test accuracy equal to the calm run for {compared - differ} of {compared}; chaos: {string.Join(", ", counts.Select(c => $"{c.Key} ×{c.Value}"))}");
        File.WriteAllLines(Path.Combine(folder, "soak-events.log"), log);
        return lost == 0 && duplicated == 0 && failed == 0 ? 0 : 1;
    }

    static string SweepYaml(int k, string data) => $$"""
        name: soak-{{k}}
        base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1, seed: {{k}} } }
        target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{data}}, validation_per_class: 20 }
        train: { epochs: 4, batch_size: 16 }
        sweep:
          parameters:
            initialization: [pretrained, scratch]
            freeze_depth: [0, 2]
            dataset_size: [60]
          seeds: [1, 2, 3, 4]
        resources: { max_failures: 20 }
        """;

    static void Count(Dictionary<string, int> counts, string what) => counts[what] = counts.GetValueOrDefault(what) + 1;

    bool Done(string api, string sweep)
    {
        var r = Client("status", sweep, "--json", "--coordinator", api);
        if (r.Code != 0) return false;
        var s = JsonDocument.Parse(r.Out).RootElement;
        return s.GetProperty("completed").GetInt32() + s.GetProperty("failed").GetInt32() + s.GetProperty("cancelled").GetInt32() == s.GetProperty("total").GetInt32();
    }

    void SleepUntil(DateTime until, DateTime deadline, Action check)
    {
        while (DateTime.UtcNow < until && DateTime.UtcNow < deadline && !context.Cancel.IsCancellationRequested)
        {
            check();
            Thread.Sleep(2000);
        }
    }

    void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > end) throw new CommandFailedException($"waited {timeout.TotalSeconds:F0} s for {what}");
            context.Cancel.ThrowIfCancellationRequested();
            Thread.Sleep(1000);
        }
    }

    static (int Code, string Out, string Error) Client(params string[] args) => RunnerProcesses.RunToEnd(args);
}
