using System.Diagnostics;
using System.Text.Json;
using Runner.Bench;
using System.Text.RegularExpressions;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// A coordinator and workers on separate hosts (network namespaces with their own addresses and private state
/// folders, <see cref="HostBed"/>), driven from this machine as a user's client would. Skipped, with the reason,
/// where namespaces cannot be made.
/// </summary>
public sealed class MultiHostTests(ITestOutputHelper output)
{
    static string Yaml(string name, string baseSection, string train, string parameters, string seeds = "[1, 2]") => $$"""
        name: {{name}}
        base: {{baseSection}}
        target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{LocalCluster.Subset}}, validation_per_class: 20 }
        train: {{train}}
        sweep:
          parameters:
        {{parameters}}
          seeds: {{seeds}}
        resources: { max_failures: 3 }
        """;

    static string HostOf(JsonElement trial) => trial.GetProperty("worker").GetString()!.Split(':')[0];

    [SkippableFact]
    public void A_scratch_sweep_runs_on_two_worker_hosts_that_share_no_folder_each_trial_once()
    {
        string? why = HostBed.WhyNot();
        Skip.If(why != null, why);
        // Different thread counts on the two hosts, as on machines of different sizes.
        using var cluster = new BedCluster("hosts", threads: new[] { 1, 2 });
        string sweep = cluster.Submit("hosts", Yaml("hosts", "{ model: convnet4 }", "{ epochs: 1, batch_size: 16 }", """
                initialization: [scratch]
                learning_rate: [0.001, 0.003]
                dataset_size: [20]
            """, "[1, 2, 3, 4]"));
        cluster.WaitFor(() => cluster.Finished(sweep) == 8, TimeSpan.FromMinutes(4), "the sweep to finish");

        var rows = cluster.Trials(sweep);
        Assert.Equal(8, rows.Count);
        Assert.All(rows, r => Assert.Equal(("completed", 1), (r.GetProperty("status").GetString(), r.GetProperty("attempts").GetInt32())));
        output.WriteLine($"trials per host: {string.Join(", ", rows.GroupBy(HostOf).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.Equal(new[] { cluster.Bed.Address(1), cluster.Bed.Address(2) }.Order(), rows.Select(HostOf).Distinct().Order());
        Assert.Equal(new[] { 1, 2 }, rows.Select(r => r.GetProperty("threads").GetInt32()).Distinct().Order());
    }

    [SkippableFact]
    public void A_pretrained_sweep_builds_its_base_once_for_the_cluster_and_every_trial_starts_from_it()
    {
        string? why = HostBed.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new BedCluster("bases", threads: new[] { 1, 2 });
        string sweep = cluster.Submit("bases", Yaml("bases", "{ model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 } }",
            "{ epochs: 1, batch_size: 16 }", """
                initialization: [pretrained]
                freeze_depth: [0, 2]
                dataset_size: [20]
            """, "[1, 2, 3]"));
        cluster.WaitFor(() => cluster.Finished(sweep) == 6, TimeSpan.FromMinutes(4), "the sweep to finish");

        var status = cluster.Status(sweep);
        Assert.Equal((1, 1), (status.GetProperty("bases").GetInt32(), status.GetProperty("bases_built").GetInt32()));
        var rows = cluster.Trials(sweep);
        Assert.All(rows, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
        var bases = rows.Select(r => r.GetProperty("base_sha256").GetString()).Distinct().ToList();
        Assert.Single(bases);
        Assert.Equal(status.GetProperty("base_sha256")[0].GetString(), bases[0]);
        // Trained once, on one host, for both (whose threads differ and would round differently).
        string logs = cluster.Log("worker-1") + cluster.Log("worker-2");
        Assert.Single(Regex.Matches(logs, "pretraining convnet4"));
        output.WriteLine($"base {bases[0]}; trials per host: {string.Join(", ", rows.GroupBy(HostOf).Select(g => $"{g.Key} {g.Count()}"))}");
    }

    [SkippableFact]
    public void A_trial_whose_worker_host_is_killed_continues_on_the_other_host_after_its_last_epoch()
    {
        string? why = HostBed.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new BedCluster("kill", threads: new[] { 1, 1 });
        string sweep = cluster.Submit("kill", Yaml("kill", "{ model: convnet4 }", "{ epochs: 8, batch_size: 16 }", """
                initialization: [scratch]
                dataset_size: [200]
            """, "[1]"));
        string? host = null;
        cluster.WaitFor(() =>
        {
            var running = cluster.Progress(sweep).GetProperty("running");
            if (running.GetArrayLength() == 0 || running[0].GetProperty("epoch").GetInt32() < 3) return false;
            host = running[0].GetProperty("worker").GetString()!.Split(':')[0];
            return true;
        }, TimeSpan.FromMinutes(3), "the trial to finish 3 epochs");
        int killed = host == cluster.Bed.Address(1) ? 0 : 1;
        HostBed.Kill(cluster.Workers[killed]);
        cluster.WaitFor(() => cluster.Finished(sweep) == 1, TimeSpan.FromMinutes(3), "the trial to finish on the other host");

        var trial = cluster.Trials(sweep).Single();
        Assert.Equal(("completed", 2), (trial.GetProperty("status").GetString(), trial.GetProperty("attempts").GetInt32()));
        Assert.Equal(cluster.Bed.Address(2 - killed), HostOf(trial));
        Assert.Equal(8, trial.GetProperty("epoch_metrics").GetArrayLength());
        string survivor = cluster.Log($"worker-{2 - killed}");
        Assert.Contains("fetched its checkpoint from the coordinator", survivor);
        var resumed = Regex.Match(survivor, @"continues after epoch (\d+)");
        Assert.True(resumed.Success, "the surviving host started the trial over");
        Assert.True(int.Parse(resumed.Groups[1].Value) >= 2, $"continued after epoch {resumed.Groups[1].Value}");
        output.WriteLine($"killed {cluster.Bed.Address(killed + 1)}; {resumed.Value} on {cluster.Bed.Address(2 - killed)}");
    }

    /// <summary>
    /// A scratch sweep of 2 × <paramref name="seeds"/> two-epoch trials on the two worker hosts; after its first result
    /// <paramref name="fault"/> breaks the network for 20 s and <paramref name="during"/> looks at the cluster before it
    /// heals. Then every trial must complete exactly once, with every epoch, and both workers be back.
    /// </summary>
    void SurvivesFault(string name, int seeds, Action<HostBed> fault, Action<HostBed> heal, Action<BedCluster>? during = null)
    {
        string? why = HostBed.WhyNot() ?? HostBed.WhyNoPartitions();
        Skip.If(why != null, why);
        using var cluster = new BedCluster(name, threads: new[] { 1, 1 });
        string sweep = cluster.Submit(name, Yaml(name, "{ model: convnet4 }", "{ epochs: 2, batch_size: 16 }", """
                initialization: [scratch]
                learning_rate: [0.001, 0.003]
                dataset_size: [50]
            """, $"[{string.Join(", ", Enumerable.Range(1, seeds))}]"));
        cluster.WaitFor(() => cluster.Finished(sweep) >= 1, TimeSpan.FromMinutes(3), "a first result");
        fault(cluster.Bed);
        Thread.Sleep(TimeSpan.FromSeconds(20));
        during?.Invoke(cluster);
        heal(cluster.Bed);
        Assert.False(cluster.Coordinator.HasExited, "the coordinator went down");
        cluster.WaitFor(() => cluster.Finished(sweep) == 2 * seeds, TimeSpan.FromMinutes(4), "the sweep to finish");
        cluster.WaitFor(() => cluster.WorkerCount() == 2, TimeSpan.FromMinutes(1), "both workers to be in the cluster again");

        Assert.False(cluster.Coordinator.HasExited);
        var rows = cluster.Trials(sweep);
        Assert.Equal(2 * seeds, rows.Select(r => r.GetProperty("trial_id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(("completed", 2), (r.GetProperty("status").GetString(), r.GetProperty("epoch_metrics").GetArrayLength())));
        output.WriteLine($"attempts: {string.Join(", ", rows.Select(r => r.GetProperty("attempts").GetInt32()))}");
    }

    [SkippableFact]
    public void A_worker_host_cut_off_for_20_seconds_loses_and_repeats_nothing() =>
        SurvivesFault("partition", 5, bed => bed.Isolate(1), bed => bed.Reconnect(1));

    /// <summary>
    /// The coordinator and worker host 1 cannot reach each other; worker host 2 still reaches both. Akka's split-brain
    /// resolver downed every node of such an "indirectly connected" set, the coordinator included. Now whichever of
    /// the two notices first takes the worker out (the coordinator downs it, or it leaves by itself).
    /// </summary>
    [SkippableFact]
    public void A_link_cut_between_the_coordinator_and_one_worker_downs_that_worker_and_never_the_coordinator() =>
        SurvivesFault("cut-link", 6, bed => bed.Cut(0, 1), bed => bed.Heal(0, 1), during: cluster =>
        {
            Assert.False(cluster.Coordinator.HasExited, "the coordinator went down over one worker's link");
            Assert.Equal(1, cluster.WorkerCount());
            Assert.True(cluster.Log("coordinator").Contains("Downing worker") || cluster.Log("worker-1").Contains("leaving the cluster to join it again"),
                "nobody took the cut-off worker out");
            Assert.DoesNotContain("leaving the cluster", cluster.Log("worker-2"));
        });

    [SkippableFact]
    public void A_coordinator_cut_off_from_every_worker_keeps_its_sweeps_and_gets_its_workers_back() =>
        SurvivesFault("cut-coordinator", 4, bed => bed.Isolate(0), bed => bed.Reconnect(0), during: cluster =>
        {
            Assert.False(cluster.Coordinator.HasExited, "the coordinator went down when its network did");
            Assert.Contains("leaving the cluster to join it again", cluster.Log("worker-1") + cluster.Log("worker-2"));
        });

    [SkippableFact]
    public void An_own_data_sweep_runs_on_hosts_that_have_neither_its_image_folder_nor_its_weights()
    {
        string? why = HostBed.WhyNot();
        Skip.If(why != null, why);
        string files = ScratchFolders.New("client-files");
        string folder = Path.Combine(files, "fashion-folder");
        Python("scripts/make_image_folder.py", LocalCluster.Subset, folder, "--size", "32", "--train", "30", "--test", "10");
        Python("scripts/export_torchvision_reference.py", "--model", "resnet18", "--out", folder, "--size", "32",
            "--train-folder", Path.Combine(folder, "source"), "--epochs", "1");
        // Every host sees an empty folder where the client keeps its files (only that folder: the program itself may
        // live under the temporary folder too, as in a clone there).
        using var cluster = new BedCluster("own-data", threads: new[] { 1, 1 }, hidden: new[] { files });
        string sweep = cluster.Submit("own-data", $$"""
            name: own-data
            base: { model: resnet18, weights: {{Path.Combine(folder, "resnet18.pt")}} }
            target: { dataset: { type: image-folder, path: {{Path.Combine(folder, "target")}}, image_size: 32 }, validation_per_class: 10 }
            train: { epochs: 1, batch_size: 32 }
            sweep:
              parameters:
                freeze_depth: [3, 5]
              seeds: [1]
            resources: { max_failures: 1 }
            """);
        cluster.WaitFor(() => cluster.Finished(sweep) == 2, TimeSpan.FromMinutes(4), "the sweep to finish");

        var rows = cluster.Trials(sweep);
        Assert.All(rows, r => Assert.True(r.GetProperty("status").GetString() == "completed", r.GetProperty("failure").ToString()));
        string weightsSha = global::Runner.Artifacts.ContentHash.Of(Path.Combine(folder, "resnet18.pt"));
        Assert.All(rows, r => Assert.Equal(weightsSha, r.GetProperty("base_sha256").GetString()));
    }

    static void Python(params string[] args) => PythonScripts.Run(LocalCluster.RepoRoot, args);
}
