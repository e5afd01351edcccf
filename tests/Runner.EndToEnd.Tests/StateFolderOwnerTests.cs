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
}
