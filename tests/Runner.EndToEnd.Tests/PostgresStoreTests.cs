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
        string sweep = cluster.Submit(cluster.WriteSweep("durable", 6));
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

    [SkippableFact]
    public void Migrate_moves_a_state_folders_history_into_PostgreSQL_and_a_coordinator_there_carries_on()
    {
        string? why = PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var postgres = new PostgresServer();
        string store = postgres.NewDatabase("migrated");
        using var cluster = new LocalCluster(output);
        string small = Path.Combine(cluster.Folder, "laptop-state");
        string file = cluster.WriteSweep("history", 2);
        var run = cluster.Cli("run", file, "--state", small, "--data", LocalCluster.Subset);
        Assert.True(run.ExitCode == 0, run.Error);
        string sweep = new Runner.Results.ResultsStore(small).Sweeps().Single().SweepId;

        var migrate = cluster.Cli("migrate", "--from", small, "--to", store);
        Assert.True(migrate.ExitCode == 0, migrate.Error);
        Assert.Contains("1 sweep(s), 2 trial(s)", migrate.Out);
        Assert.Matches(@"[1-9][0-9]* artifact\(s\)", migrate.Out);   // the sweep's pretrained base
        var again = cluster.Cli("migrate", "--from", small, "--to", store);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds sweeps", again.Error);

        // A coordinator on the store, on an empty state folder: the sweep's actor recovers from the migrated journal.
        cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "server-state"), "--store", store);
        var status = cluster.Status(sweep);
        Assert.Equal((2, 2), (status.GetProperty("completed").GetInt32(), status.GetProperty("total").GetInt32()));
        var submit = cluster.Cli("submit", file);
        Assert.True(submit.ExitCode == 0, submit.Error);
        Assert.Contains($"sweep {sweep} was already submitted", submit.Out);
    }

    [SkippableFact]
    public void A_store_that_goes_away_mid_sweep_stops_nothing_for_good_and_loses_nothing()
    {
        string? why = PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var postgres = new PostgresServer();
        string store = postgres.NewDatabase("flaky");
        using var cluster = new LocalCluster(output) { SerializeMessages = false };
        cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "state"), "--store", store);
        cluster.StartWorker();
        string sweep = cluster.Submit(cluster.WriteSweep("flaky", 8));
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 2, TimeSpan.FromMinutes(3), "two trials to finish");

        postgres.Stop();
        Thread.Sleep(TimeSpan.FromSeconds(15));
        var (during, body) = cluster.Api(HttpMethod.Get, "sweeps/" + sweep);
        output.WriteLine($"status while the store is down: {during} {body}");
        postgres.Start();

        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 8, TimeSpan.FromMinutes(4), "the sweep to finish once the store is back");
        Assert.False(cluster.Coordinator!.HasExited);
        var trials = cluster.Cli("trials", sweep, "--store", store, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        var rows = JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(8, rows.Select(r => r.GetProperty("trial_id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
    }
}
