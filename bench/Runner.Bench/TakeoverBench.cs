using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Cluster.Api;
using Runner.Sweeps;

namespace Runner.Bench;

/// <summary>
/// `runner-bench takeover`: two coordinators on one PostgreSQL store (one active, one standing by) and no-op
/// workers that know both; a long sweep runs, the active coordinator is killed (SIGKILL) and the time until the
/// standby hands out the next trial is measured from the journal (the first TrialStarted written after the kill).
/// The killed one is started again (it stands by) and the next round kills the other. At the end the journal is
/// checked for two writers of one sweep.
/// </summary>
public sealed class TakeoverBench(CliContext context)
{
    public sealed record Options(string Store, int Repeats, int Workers, int Slots, double TrialSeconds, string? Data);

    public int Run(Options o) => BenchFolder.Use("takeover", folder => Run(o, folder));

    int Run(Options o, string folder)
    {
        context.Out.WriteLine(FormattableString.Invariant(
            $"takeover: {o.Repeats} kills of the active coordinator; {o.Workers} no-op worker processes × {o.Slots} with {o.TrialSeconds} s trials; logs in {folder}"));
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        using var database = new BenchDatabase(o.Store, "takeover");
        var nodes = new[] { "a", "b" }.Select(name => (Name: name, Port: RunnerProcesses.FreePort(), Api: RunnerProcesses.FreePort())).ToArray();
        string seeds = string.Join(",", nodes.Select(n => $"127.0.0.1:{n.Port}"));
        string apis = string.Join(",", nodes.Select(n => $"127.0.0.1:{n.Api}"));
        Process Start(int i, int round) => processes.Start($"coordinator-{nodes[i].Name}-{round}", "coordinator", "--state", Path.Combine(folder, nodes[i].Name),
            "--store", database.Url, "--port", nodes[i].Port.ToString(), "--api-port", nodes[i].Api.ToString(),
            "--peers", $"127.0.0.1:{nodes[1 - i].Port}");

        var running = new Process[2];
        running[0] = Start(0, 0);
        WaitForRole($"127.0.0.1:{nodes[0].Api}", "coordinator", folder);
        running[1] = Start(1, 0);
        WaitForRole($"127.0.0.1:{nodes[1].Api}", "standby", folder);
        BookkeepingBench.StartWorkers(processes, o.Workers, o.Slots, seeds, folder, o.TrialSeconds, new CoordinatorClient(apis));

        string file = Path.Combine(folder, "takeover.yaml");
        File.WriteAllText(file, BookkeepingBench.SweepYaml("takeover", 10_000, "0, 1"));
        var request = SweepRequest.From(SweepLoader.Load(file, o.Data, Console.Error));
        string id = new CoordinatorClient(apis).Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(request)).GetProperty("sweep_id").GetString()!;

        var times = new List<double>();
        int active = 0;
        for (int round = 1; round <= o.Repeats; round++)
        {
            // A few trials on the active coordinator first: the workers are in its cluster and busy.
            int before = Completed(new CoordinatorClient(apis), id);
            WaitUntil(() => Completed(new CoordinatorClient(apis), id) >= before + 2 * o.Workers * o.Slots, TimeSpan.FromMinutes(2), "trials on the active coordinator", folder);
            var killed = DateTime.UtcNow;
            processes.Stop(running[active]);
            DateTime? next = null;
            WaitUntil(() => (next = new JournalAudit(database.Url).FirstTrialStartedAfter(killed)) != null, TimeSpan.FromMinutes(2), "a trial handed out after the kill", folder);
            double seconds = (next!.Value - killed).TotalSeconds;
            times.Add(seconds);
            context.Out.WriteLine(JsonSerializer.Serialize(new { benchmark = "takeover", round, killed = nodes[active].Name, seconds_to_next_trial = seconds }, JsonOutput.Options));
            context.Out.WriteLine(FormattableString.Invariant($"  round {round}: killed {nodes[active].Name}; the next trial was handed out {seconds:F1} s later"));
            running[active] = Start(active, round);
            WaitForRole($"127.0.0.1:{nodes[active].Api}", "standby", folder);
            active = 1 - active;
        }

        var problems = new JournalAudit(database.Url).Problems();
        times.Sort();
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "takeover-summary", rounds = times.Count, median_seconds = times[times.Count / 2], max_seconds = times[^1], journal_problems = problems,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant($"  takeover: median {times[times.Count / 2]:F1} s, max {times[^1]:F1} s over {times.Count} kills; one writer per journal: {(problems.Count == 0 ? "yes" : string.Join("; ", problems))}"));
        return problems.Count == 0 ? 0 : 1;
    }

    static int Completed(CoordinatorClient client, string id)
    {
        var (status, body) = BookkeepingBench.TrySend(client, HttpMethod.Get, "sweeps/" + id);
        return status == 200 ? body.GetProperty("completed").GetInt32() : -1;
    }

    static void WaitForRole(string api, string role, string folder) =>
        WaitUntil(() => BookkeepingBench.TrySend(new CoordinatorClient(api), HttpMethod.Get, "health") is (200, var body) && body.GetProperty("role").GetString() == role,
            TimeSpan.FromSeconds(90), $"{api} to be the {role}", folder);

    static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what, string folder)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new CommandFailedException($"waited {timeout.TotalSeconds:F0} s for {what} (logs in {folder}/logs)");
            Thread.Sleep(200);
        }
    }
}
