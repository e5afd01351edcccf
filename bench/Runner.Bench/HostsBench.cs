using System.Diagnostics;
using System.Text.Json;
using Runner.Cli;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Bench;

/// <summary>
/// `runner-bench hosts`: how much of a multi-host cluster a sweep of fixed-length trials uses. A coordinator host and
/// --hosts worker hosts on a <see cref="HostBed"/> (separate network namespaces and private state), each worker host
/// with --slots trial workers of the no-op trainer (every trial waits --trial-seconds: what is measured is
/// scheduling, messages between hosts, the journal and the results store, not training on 2 shared cores). Wall time
/// from submission to the last result, against the ideal ceil(trials / (hosts × slots)) × trial seconds.
/// </summary>
public sealed class HostsBench(CliContext context)
{
    public int Run(int hosts, int slots, int trials, double trialSeconds, string? data) =>
        BenchFolder.Use("hosts", folder => Run(hosts, slots, trials, trialSeconds, data, folder));

    int Run(int hosts, int slots, int trials, double trialSeconds, string? data, string folder)
    {
        if (HostBed.WhyNot() is { } why) throw new CommandFailedException($"hosts needs a host bed: {why}");
        using var bed = new HostBed(1 + hosts, Path.Combine(folder, "logs"));
        string runner = typeof(Runner.Cli.CliApp).Assembly.Location, bench = typeof(HostsBench).Assembly.Location;
        bed.StartCoordinator("coordinator", runner);
        for (int h = 1; h <= hosts; h++)
            bed.StartWorker(h, $"worker-{h}", bench, new[] { "--devices", string.Join(",", Enumerable.Repeat("cpu", slots)),
                "--trial-seconds", trialSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var client = new CoordinatorClient(bed.CoordinatorApi);
        BookkeepingBench.WaitForWorkers(client, hosts * slots, folder);

        string file = Path.Combine(folder, "hosts.yaml");
        File.WriteAllText(file, BookkeepingBench.SweepYaml("hosts", trials, "5, 6"));
        var definition = SweepLoader.Load(file, data, Console.Error);
        trials = SweepExpander.Expand(definition).Count;   // the grid rounds --trials up to whole learning rates × seeds
        var clock = Stopwatch.StartNew();
        string id = client.Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(SweepRequest.From(definition))).GetProperty("sweep_id").GetString()!;
        SweepStatus s;
        while (true)
        {
            s = client.Expect(HttpMethod.Get, "sweeps/" + id).Deserialize<SweepStatus>(CoordinatorApi.Json)!;
            if (s.Completed + s.Failed + s.Cancelled == s.Total) break;
            Thread.Sleep(50);
        }
        double wall = clock.Elapsed.TotalSeconds;
        double ideal = Math.Ceiling(trials / (double)(hosts * slots)) * trialSeconds;
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "hosts", worker_hosts = hosts, slots_each = slots, trials, trial_seconds = trialSeconds, completed = s.Completed,
            seconds = Math.Round(wall, 2), ideal_seconds = ideal, efficiency = Math.Round(ideal / wall, 4),
        }));
        context.Out.WriteLine(FormattableString.Invariant(
            $"summary: {trials} trials of {trialSeconds} s on {hosts} hosts × {slots} slots: {wall:F1} s, ideal {ideal:F1} s, efficiency {100 * ideal / wall:F1}% (goal ≥ 95%)"));
        return s.Completed == trials ? 0 : 1;
    }
}
