using System.Text.Json;
using Runner.Bench;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// Two coordinators on one PostgreSQL store, one active and one standing by, as separate processes; a worker that
/// knows both; a client that is given both.
/// </summary>
[Collection("processes")]
public class StandbyCoordinatorTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_standby_takes_over_from_a_killed_coordinator_within_15_seconds_and_no_trial_is_lost_or_repeated()
    {
        string? why = PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var postgres = new PostgresServer();
        string store = postgres.NewDatabase("standby");
        using var cluster = new LocalCluster(output);
        int standbyPort = LocalCluster.FreePort(), standbyApi = LocalCluster.FreePort();
        string[] Common(int peerPort) => ["--store", store, "--peers", $"127.0.0.1:{peerPort}"];
        var active = cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "machine-a"), Common(standbyPort));
        cluster.StartCoordinatorOn(Path.Combine(cluster.Folder, "machine-b"), standbyPort, standbyApi, Common(cluster.ClusterPort));
        Assert.Equal(("coordinator", "standby"), (cluster.Role(cluster.ApiPort), cluster.Role(standbyApi)));
        cluster.StartWorkerJoining($"127.0.0.1:{cluster.ClusterPort},127.0.0.1:{standbyPort}");
        // Every command of the client is given both coordinators.
        cluster.CliEnvironment["RUNNER_COORDINATOR"] = $"127.0.0.1:{cluster.ApiPort},127.0.0.1:{standbyApi}";

        // Pretrained: the base is an artifact the active coordinator stored (in the store's database: the machines share
        // no folder), which the standby must find after the takeover.
        string sweep = cluster.Submit(cluster.WriteSweep("standby", 8));
        cluster.WaitFor(() => cluster.Count(sweep, "completed") >= 2, TimeSpan.FromMinutes(3), "two trials to finish");
        var killed = DateTime.UtcNow;
        cluster.Kill(active);

        cluster.WaitFor(() => Finished(cluster, sweep) == 8, TimeSpan.FromMinutes(4), "the sweep to finish on the standby");
        Assert.Equal("coordinator", cluster.Role(standbyApi));
        var journal = new JournalAudit(store);
        double takeover = (journal.FirstTrialStartedAfter(killed)!.Value - killed).TotalSeconds;
        output.WriteLine($"takeover: the next trial was handed out {takeover:F1} s after the kill");
        Assert.True(takeover <= 15, $"takeover took {takeover:F1} s");
        Assert.Empty(journal.Problems());
        Assert.Equal(2, journal.Writers().Single().Value);

        var trials = cluster.Cli("trials", sweep, "--store", store, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        var rows = JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(8, rows.Select(r => r.GetProperty("trial_id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.True(r.GetProperty("status").GetString() == "completed", r.GetProperty("failure").ToString()));
        Assert.Single(rows.Where(r => r.GetProperty("initialization").GetString() == "pretrained").Select(r => r.GetProperty("base_sha256").GetString()).Distinct());

        // The machine comes back: its coordinator finds the store taken and stands by.
        cluster.StartCoordinatorIn(Path.Combine(cluster.Folder, "machine-a"), Common(standbyPort));
        Assert.Equal("standby", cluster.Role(cluster.ApiPort));
        var status = cluster.Cli("status", sweep, "--json");
        Assert.True(status.ExitCode == 0, status.Error);
    }

    static int Finished(LocalCluster cluster, string sweep)
    {
        var r = cluster.Cli("status", sweep, "--json");
        if (r.ExitCode != 0) return -1;
        var s = JsonDocument.Parse(r.Out).RootElement;
        return s.GetProperty("completed").GetInt32() + s.GetProperty("failed").GetInt32();
    }
}
