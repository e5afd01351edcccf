using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Bench;

/// <summary>
/// `runner-bench recovery`: how long a restarted coordinator takes to answer `runner status` for a sweep it must
/// recover, finished or half-finished, with snapshots (the default) and without (runner.snapshot-every = 0, the whole
/// journal replayed). The time runs from starting the coordinator process to the first answer of GET /sweeps/ID.
/// </summary>
public sealed class RecoveryBench(CliContext context)
{
    /// <param name="TrialSeconds">each no-op trial's time: above TrialWorker.BatchSeconds, trials are dispatched and recorded one by one (two events each), as real trials are</param>
    /// <param name="Store">a PostgreSQL server on which each run's store is a fresh database; null: SQLite in the state folder</param>
    public sealed record Options(int[] Sizes, int Workers, int Slots, double TrialSeconds, string? Data, string? Store = null);

    public int Run(Options o) => BenchFolder.Use("recovery", folder => Run(o, folder));

    int Run(Options o, string folder)
    {
        context.Out.WriteLine(FormattableString.Invariant(
            $"recovery: sweeps of {string.Join(", ", o.Sizes.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))} no-op trials of {o.TrialSeconds} s, {o.Workers} worker processes × {o.Slots}; state and logs in {folder}"));
        foreach (int size in o.Sizes)
            foreach (bool halfway in new[] { false, true })
            {
                var times = new Dictionary<string, double>();
                foreach (var (mode, snapshotEvery) in new[] { ("snapshots", 1000), ("no-snapshots", 0) })
                {
                    string run = Path.Combine(folder, $"{size}-{(halfway ? "half" : "done")}-{mode}");
                    times[mode] = Measure(run, size, halfway, o, snapshotEvery);
                }
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    benchmark = "recovery", store = o.Store == null ? "sqlite" : "postgresql", trials = size, trial_seconds = o.TrialSeconds, finished = !halfway, seconds_with_snapshots = times["snapshots"],
                    seconds_without_snapshots = times["no-snapshots"],
                }, JsonOutput.Options));
                context.Out.WriteLine(FormattableString.Invariant(
                    $"  {size:N0} trials, {(halfway ? "killed half-way" : "finished")}: status after {times["snapshots"]:F2} s with snapshots, {times["no-snapshots"]:F2} s without"));
            }
        return 0;
    }

    /// <summary>Runs the sweep (to its end, or to half of it), kills everything, and times a fresh coordinator's first answer.</summary>
    double Measure(string folder, int trials, bool halfway, Options o, int snapshotEvery)
    {
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        processes.Environment["RUNNER_AKKA_CONFIG"] = $"runner.snapshot-every = {snapshotEvery}";
        int port = RunnerProcesses.FreePort(), apiPort = RunnerProcesses.FreePort();
        string state = Path.Combine(folder, "coordinator");
        using var database = o.Store == null ? null : new BenchDatabase(o.Store, "recovery");
        string[] coordinator = ["coordinator", "--state", state, "--port", port.ToString(), "--api-port", apiPort.ToString(),
            .. database == null ? Array.Empty<string>() : new[] { "--store", database.Url }];
        var first = processes.Start("coordinator", coordinator);
        var client = new CoordinatorClient($"127.0.0.1:{apiPort}");
        var started = BookkeepingBench.StartWorkers(processes, o.Workers, o.Slots, $"127.0.0.1:{port}", folder, o.TrialSeconds, client);

        string file = Path.Combine(folder, "recovery.yaml");
        File.WriteAllText(file, BookkeepingBench.SweepYaml("recovery", trials, "0, 1"));
        var request = SweepRequest.From(SweepLoader.Load(file, o.Data, Console.Error));
        string id = client.Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(request)).GetProperty("sweep_id").GetString()!;
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            var s = client.Expect(HttpMethod.Get, "sweeps/" + id).Deserialize<SweepStatus>(CoordinatorApi.Json)!;
            if (halfway ? s.Completed >= trials / 2 : s.Completed + s.Failed == s.Total) break;
            if (DateTime.UtcNow > deadline) throw new CommandFailedException($"sweep {id} not where it should be after 30 minutes (logs in {folder}/logs)");
            Thread.Sleep(halfway ? 20 : 200);
        }
        // kill -9: no snapshot or journal write is finished on the way out.
        processes.Stop(first);
        foreach (var w in started) processes.Stop(w);

        var clock = Stopwatch.StartNew();
        processes.Start("coordinator-restarted", coordinator);
        while (BookkeepingBench.TrySend(client, HttpMethod.Get, "sweeps/" + id).Item1 != 200)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new CommandFailedException($"the restarted coordinator did not answer for {id} within 5 minutes (logs in {folder}/logs)");
            Thread.Sleep(10);
        }
        return clock.Elapsed.TotalSeconds;
    }
}
