using System.Text.Json;

namespace Runner.EndToEnd.Tests;

/// <summary>A coordinator whose journal, sharding state and results live in a real PostgreSQL 15, not on its own disk.</summary>
[Collection("processes")]
public class PostgresStoreTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_sweep_survives_its_coordinator_and_its_disk_and_its_results_are_read_from_anywhere()
    {
        string? why = PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var postgres = new PostgresServer();
        string store = postgres.NewDatabase("runner");
        using var cluster = new LocalCluster(output);
        var first = cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "machine-a"), "--store", store);
        cluster.StartWorker();
        var submit = cluster.Cli("submit", cluster.WriteSweep("durable", 6));
        Assert.True(submit.ExitCode == 0, submit.Error);
        string sweep = submit.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].TrimEnd(':');
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 2, TimeSpan.FromMinutes(3), "two trials to finish");

        // The coordinator's machine is lost, disk and all: another one, with an empty state folder, takes the store.
        cluster.Kill(first);
        cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "machine-b"), "--store", store);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 6, TimeSpan.FromMinutes(4), "the sweep to finish on the new coordinator");

        // Read from a third place, while the cluster runs: no state folder, only the store's address.
        string elsewhere = Path.Combine(cluster.Folder, "laptop");
        Directory.CreateDirectory(elsewhere);
        var trials = cluster.Cli("trials", sweep, "--store", store, "--state", elsewhere, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        var rows = JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(6, rows.Select(r => r.GetProperty("trial_id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
        var results = cluster.Cli("results", sweep, "--store", store, "--state", elsewhere);
        Assert.True(results.ExitCode == 0, results.Error);
        Assert.Contains("mean ± std over seeds", results.Out);
        Assert.False(File.Exists(Path.Combine(elsewhere, "results.db")));

        var wrong = cluster.Cli("sweeps", "--store", "postgresql://postgres:secret@127.0.0.1/x");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("RUNNER_STORE_PASSWORD", wrong.Error);
    }
}
