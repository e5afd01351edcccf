using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Runner.Sweeps;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// The runtime's promises, checked with real processes: a coordinator and workers on loopback, the SQLite journal
/// on disk, real TorchSharp trials on the shipped subset, and SIGKILL for crashes.
/// </summary>
[Collection("processes")]
public class ClusterEndToEndTests(ITestOutputHelper output)
{
    static readonly TimeSpan SweepTimeout = TimeSpan.FromMinutes(4);

    static string Submit(LocalCluster cluster, string file)
    {
        string id = cluster.Submit(file);
        // The sweep's id is decided in one place: what `plan` says before submitting is what the coordinator uses.
        using var plan = System.Text.Json.JsonDocument.Parse(cluster.Cli("plan", file, "--json").Out);
        Assert.Equal(plan.RootElement.GetProperty("sweep_id").GetString(), id);
        return id;
    }

    static HashSet<string> PlannedIds(string file) => SweepExpander.Expand(SweepFile.Load(file)).Select(t => t.Id).ToHashSet();

    static void AssertEveryTrialRecordedOnce(LocalCluster cluster, string sweep, string file)
    {
        // The results store is a projection written just behind the journal (in batches): let it catch up with the
        // status the test waited on, then check it exactly.
        int planned = PlannedIds(file).Count;
        cluster.WaitFor(() => cluster.Rows(sweep).Count(r => r.Status == TrialStatus.Completed) >= planned, TimeSpan.FromSeconds(10), "the results store to catch up");
        var rows = cluster.Rows(sweep);
        Assert.Equal(PlannedIds(file), rows.Select(r => r.TrialId).ToHashSet());
        Assert.Equal(rows.Count, rows.Select(r => r.TrialId).Distinct().Count());
        Assert.All(rows, r =>
        {
            Assert.Equal(TrialStatus.Completed, r.Status);
            Assert.Equal(TrialStatus.Completed, r.Result!.Status);
            Assert.Equal(r.TrialId, r.Result.TrialId);
        });
    }

    [Fact]
    public void A_coordinator_and_two_workers_run_a_sweep_to_completion_with_every_trial_recorded_once()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        var w1 = cluster.StartWorker();
        var w2 = cluster.StartWorker();
        string file = cluster.WriteSweep("two-workers", 6);
        string sweep = Submit(cluster, file);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 6, SweepTimeout, "the sweep to finish");

        AssertEveryTrialRecordedOnce(cluster, sweep, file);
        var ports = cluster.Rows(sweep).Select(r => r.Worker!).Select(w => w.Split('#')[0]).ToHashSet();
        Assert.Equal(new[] { $"127.0.0.1:{w1.Port}", $"127.0.0.1:{w2.Port}" }.ToHashSet(), ports);

        var status = cluster.Cli("status", sweep);
        Assert.Contains($"{sweep}: 6/6 done", status.Out);
        var missing = cluster.Cli("status", "no-such-sweep");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("runner status: no sweep 'no-such-sweep' in this cluster", missing.Error.Trim());
    }

    [Fact]
    public void Killing_the_coordinator_mid_sweep_loses_nothing_and_records_nothing_twice()
    {
        using var cluster = new LocalCluster(output);
        var coordinator = cluster.StartCoordinator();
        cluster.StartWorker();
        cluster.StartWorker();
        string file = cluster.WriteSweep("coordinator-crash", 8);
        string sweep = Submit(cluster, file);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 2 && cluster.Count(sweep, "running") > 0, SweepTimeout, "two trials done and more running");

        var before = cluster.Rows(sweep).Where(r => r.Status == TrialStatus.Completed).ToDictionary(r => r.TrialId, r => JsonSerializer.Serialize(r.Result));
        cluster.Kill(coordinator);
        var restart = Stopwatch.StartNew();
        cluster.StartCoordinator();
        cluster.WaitFor(() => cluster.Count(sweep, "running") > 0, TimeSpan.FromMinutes(2), "a trial to be dispatched again after the restart");
        output.WriteLine($"recovery: coordinator restart to first trial dispatched again: {restart.Elapsed.TotalSeconds:F1}s");
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 8, SweepTimeout, "the sweep to finish after the restart");

        AssertEveryTrialRecordedOnce(cluster, sweep, file);
        var after = cluster.Rows(sweep).ToDictionary(r => r.TrialId, r => JsonSerializer.Serialize(r.Result));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public void Killing_the_coordinator_mid_search_keeps_the_budget_exact_and_every_proposal_once()
    {
        using var cluster = new LocalCluster(output);
        var coordinator = cluster.StartCoordinator();
        cluster.StartWorker();
        cluster.StartWorker();
        string file = Path.Combine(cluster.Folder, "search-crash.yaml");
        File.WriteAllText(file, $$"""
            name: search-crash
            base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 } }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{LocalCluster.Subset}}, validation_per_class: 50 }
            train: { epochs: 2, batch_size: 32 }
            sweep:
              method: tpe
              trials: 8
              parallelism: 2
              parameters:
                learning_rate: { distribution: log_uniform, min: 1e-4, max: 1e-1 }
                weight_decay: { distribution: uniform, min: 0, max: 0.01 }
                dataset_size: [100]
              seeds: [1]
            resources: { device: cpu, max_failures: 3 }
            """);
        string sweep = Submit(cluster, file);
        Assert.Equal(8, cluster.Count(sweep, "total"));
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 2 && cluster.Count(sweep, "running") > 0, SweepTimeout, "two trials done and more running");

        var before = cluster.Rows(sweep).Where(r => r.Status == TrialStatus.Completed).ToDictionary(r => r.TrialId, r => JsonSerializer.Serialize(r.Result));
        var proposedBefore = cluster.Rows(sweep).Select(r => r.TrialId).ToList();
        cluster.Kill(coordinator);
        cluster.StartCoordinator();
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 8 && cluster.Count(sweep, "pending") + cluster.Count(sweep, "running") == 0,
            SweepTimeout, "the search to spend its budget after the restart");
        cluster.WaitFor(() => cluster.Rows(sweep).Count(r => r.Status == TrialStatus.Completed) == 8, TimeSpan.FromSeconds(10), "the results store to catch up");

        // Exactly the budget: eight configurations, each trained once; what was proposed before the crash was kept, not proposed again.
        var rows = cluster.Rows(sweep);
        Assert.Equal(8, rows.Count);
        Assert.Equal(8, rows.Select(r => (r.Spec.LearningRate, r.Spec.WeightDecay)).Distinct().Count());
        // Both coordinators' logs name each proposal as it is written: none twice.
        var proposals = Directory.GetFiles(cluster.Folder, "coordinator-*.log").SelectMany(File.ReadLines)
            .Select(l => Regex.Match(l, @": proposal (\d+) of the sweep")).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(proposals);
        Assert.Equal(proposals.Distinct().Count(), proposals.Count);
        Assert.All(proposals, n => Assert.InRange(n, 1, 8));
        Assert.All(rows, r => Assert.Equal((TrialStatus.Completed, r.TrialId), (r.Result!.Status, r.Result.TrialId)));
        Assert.All(proposedBefore, id => Assert.Contains(rows, r => r.TrialId == id));
        Assert.All(before, kv => Assert.Equal(kv.Value, JsonSerializer.Serialize(rows.Single(r => r.TrialId == kv.Key).Result)));
        Assert.Contains($"{sweep}: 8/8 done", cluster.Cli("status", sweep).Out);
    }

    [Fact]
    public void Killing_a_worker_while_it_trains_moves_its_trial_to_the_other_worker()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        var victim = cluster.StartWorker();
        var survivor = cluster.StartWorker();
        string file = cluster.WriteSweep("worker-crash", 6);
        string sweep = Submit(cluster, file);
        string victimName = $"127.0.0.1:{victim.Port}#";
        cluster.WaitFor(() => cluster.Rows(sweep).Any(r => r.Status == TrialStatus.Running && r.Worker!.StartsWith(victimName, StringComparison.Ordinal)),
            SweepTimeout, "the victim worker to be training");
        var lostTrial = cluster.Rows(sweep).First(r => r.Status == TrialStatus.Running && r.Worker!.StartsWith(victimName, StringComparison.Ordinal)).TrialId;

        cluster.Kill(victim.Process);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 6, SweepTimeout, "the sweep to finish on the surviving worker");

        AssertEveryTrialRecordedOnce(cluster, sweep, file);
        var row = cluster.Rows(sweep).Single(r => r.TrialId == lostTrial);
        Assert.StartsWith($"127.0.0.1:{survivor.Port}#", row.Worker);
        Assert.True(row.Attempts >= 2, $"the lost trial should have a second attempt, has {row.Attempts}");
    }

    [Fact]
    public void Killing_a_worker_that_holds_a_batch_of_short_trials_runs_every_one_of_them_elsewhere_once()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        // 10-ms trials (the benchmark's no-op trainer): each worker asks for about five at a time.
        var victim = cluster.StartNoOpWorker(0.01);
        var survivor = cluster.StartNoOpWorker(0.01);
        string file = cluster.WriteSweep("batch-crash", 1200);
        string sweep = Submit(cluster, file);
        string victimName = $"127.0.0.1:{victim.Port}#";
        // The victim is paused first, so that what it holds when it dies is known: a batch lasts ~50 ms, less than it
        // takes to look at the results store, so a worker seen holding several trials may hold none a moment later.
        var held = new List<string>();
        cluster.WaitFor(() =>
        {
            LocalCluster.Pause(victim.Process);
            Thread.Sleep(300); // results it sent before the pause reach the store
            held = cluster.Rows(sweep).Where(r => r.Status == TrialStatus.Running && r.Worker!.StartsWith(victimName, StringComparison.Ordinal))
                .Select(r => r.TrialId).ToList();
            if (held.Count > 1) return true;
            LocalCluster.Resume(victim.Process);
            return false;
        }, SweepTimeout, "the victim worker to be paused holding several trials");

        cluster.Kill(victim.Process);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 1200, SweepTimeout, "the sweep to finish on the surviving worker");

        AssertEveryTrialRecordedOnce(cluster, sweep, file);
        var rows = cluster.Rows(sweep);
        Assert.All(rows, r => Assert.Equal(Runner.Bench.NoOpTrainer.Message, r.Result!.Message));
        // The victim's unreported trials all went back to the queue and were completed by the survivor.
        var retried = rows.Where(r => r.Attempts >= 2).ToList();
        output.WriteLine($"the killed worker held {held.Count} trials; {retried.Count} ran again on the survivor");
        Assert.All(held, id => Assert.Contains(retried, r => r.TrialId == id));
        Assert.All(retried, r => Assert.StartsWith($"127.0.0.1:{survivor.Port}#", r.Worker));
    }

    [Fact]
    public void A_worker_that_joins_mid_sweep_gets_work()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        cluster.StartWorker();
        string file = cluster.WriteSweep("late-joiner", 8);
        string sweep = Submit(cluster, file);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 1, SweepTimeout, "the first trial");
        var late = cluster.StartWorker();
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 8, SweepTimeout, "the sweep to finish");

        AssertEveryTrialRecordedOnce(cluster, sweep, file);
        Assert.Contains(cluster.Rows(sweep), r => r.Worker!.StartsWith($"127.0.0.1:{late.Port}#", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreachable_seed_node_is_one_clear_line_and_a_failing_exit_code()
    {
        using var cluster = new LocalCluster(output);
        var r = cluster.Cli("worker", "--seed-nodes", $"127.0.0.1:{LocalCluster.FreePort()}", "--devices", "cpu", "--join-timeout", "5");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("runner worker: cannot join the cluster at", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        var submit = cluster.Cli("submit", cluster.WriteSweep("nowhere", 2));
        Assert.Equal(1, submit.ExitCode);
        Assert.Contains("cannot reach the coordinator API", submit.Error);
    }

    [Fact]
    public void A_worker_stopped_with_SIGTERM_leaves_the_cluster_at_once_instead_of_joining_again()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        var (worker, _) = cluster.StartWorker();
        cluster.WaitFor(() => cluster.Api(HttpMethod.Get, "workers").Body is { ValueKind: JsonValueKind.Array } w && w.GetArrayLength() == 1,
            TimeSpan.FromSeconds(60), "the worker to join");

        Process.Start("kill", ["-TERM", worker.Id.ToString()])!.WaitForExit();
        Assert.True(worker.WaitForExit(20_000), "the worker did not exit after SIGTERM");
        Assert.Equal(0, worker.ExitCode);
        // A clean leave, not the failure detector: the pool forgets it well before a crashed node would be downed.
        var clock = Stopwatch.StartNew();
        cluster.WaitFor(() => cluster.Api(HttpMethod.Get, "workers").Body.GetArrayLength() == 0, TimeSpan.FromSeconds(20), "the pool to forget the worker");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the pool took {clock.Elapsed.TotalSeconds:F1}s to forget a worker that left");
    }

    [Fact]
    public void The_bookkeeping_benchmark_runs_every_no_op_trial_exactly_once_through_real_processes()
    {
        using var cluster = new LocalCluster(output);
        var r = cluster.BenchCli("bookkeeping", "--trials", "300", "--slow-trials", "2", "--trial-seconds", "0.2", "--peer-trials", "0");
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        var lines = r.Out.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var fast = lines.Single(l => l.GetProperty("benchmark").GetString() == "bookkeeping");
        Assert.Equal(300, fast.GetProperty("recorded").GetInt32());
        Assert.Equal(0, fast.GetProperty("duplicates").GetInt32());
        var slow = lines.Single(l => l.GetProperty("benchmark").GetString() == "bookkeeping-overhead");
        Assert.Equal(0, slow.GetProperty("duplicates").GetInt32());
        // Timed trials are recorded too (the overhead figure itself is a measurement, too noisy at this size to assert).
        Assert.Equal(new[] { 2, 4 }, slow.GetProperty("trials").EnumerateArray().Select(t => t.GetInt32()));
        Assert.True(slow.GetProperty("overhead_seconds_per_trial").ValueKind == JsonValueKind.Number);
        // Its state and logs (the first line names the folder) are removed once it has finished.
        string folder = Regex.Match(r.Out, @"state and logs in (\S+)").Groups[1].Value;
        Assert.Contains("runner-bench-bookkeeping-", folder);
        Assert.False(Directory.Exists(folder), $"{folder} was left behind");
    }
}

[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection;
