namespace Runner.EndToEnd.Tests;

/// <summary>One writer per state folder: a second coordinator or `runner run` on it is refused, and kill -9 leaves no stale lock.</summary>
[Collection("processes")]
public class StateFolderOwnerTests(ITestOutputHelper output)
{
    [Fact]
    public void A_second_writer_of_a_state_folder_is_told_who_holds_it_and_a_killed_holder_leaves_no_lock()
    {
        using var cluster = new LocalCluster(output);
        var first = cluster.StartCoordinator();
        string file = cluster.WriteSweep("owned", 2);

        var run = cluster.Cli("run", file, "--state", cluster.CoordinatorState, "--data", LocalCluster.Subset);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"is in use by `runner coordinator` (pid {first.Id} on {Environment.MachineName}", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
        var second = cluster.Cli("coordinator", "--state", cluster.CoordinatorState, "--port", "0", "--api-port", LocalCluster.FreePort().ToString());
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("one coordinator writes a state folder at a time", second.Error);
        Assert.False(first.HasExited);

        cluster.Kill(first);
        cluster.StartCoordinator();   // waits for its API: the kernel dropped the dead process's lock
        Assert.False(cluster.Coordinator!.HasExited);
    }

    [Fact]
    public void A_run_whose_journal_breaks_ends_with_one_clear_line_and_keeps_the_trials_it_finished()
    {
        // Not serialize-messages: Akka.Persistence.Sql's own WriteFinished message cannot be serialized, and the
        // journal's failure path depends on it.
        using var cluster = new LocalCluster(output) { SerializeMessages = false };
        string state = Path.Combine(cluster.Folder, "state");
        var run = cluster.StartCli("run", "run", cluster.WriteSweep("broken", 8), "--state", state, "--data", LocalCluster.Subset,
            "--no-progress", "--give-up-after", "10");
        var results = new Runner.Results.ResultsStore(state);
        cluster.WaitFor(() => results.Sweeps().Count == 1 && results.Trials(results.Sweeps()[0].SweepId).Any(t => t.Status == Runner.Sweeps.TrialStatus.Completed),
            TimeSpan.FromMinutes(3), "a first finished trial");

        // The journal's file is overwritten under the running sweep, as a failing disk or a stray command would.
        using (var journal = new FileStream(Path.Combine(state, "journal.db"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            journal.Write(new byte[4096]);
        Assert.True(LocalCluster.Ended(run, TimeSpan.FromMinutes(2)), "runner run did not end");
        Assert.Equal(1, run.ExitCode);
        string log = File.ReadAllText(Directory.GetFiles(cluster.Folder, $"run-{run.Id}.log").Single());
        Assert.Contains($"runner run: the journal in {state} has not worked for", log);
        Assert.Contains("run the same command again to resume", log);
        Assert.DoesNotContain("   at ", log);
        Assert.Contains(results.Trials(results.Sweeps()[0].SweepId), t => t.Status == Runner.Sweeps.TrialStatus.Completed);
    }
}
