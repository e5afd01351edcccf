using Runner.Sweeps;
namespace Runner.Results.Tests;

public class ResultsStoreTests
{
    static ResultsStore NewStore() => new(ScratchFolders.New("store"));

    [Fact]
    public void A_batch_is_written_in_order_and_a_completed_trial_is_never_downgraded()
    {
        var store = NewStore();
        var done = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        var running = Fixtures.Other("pretrained", 2, 1e-3, 10, 1, TrialStatus.Running);
        var pending = Fixtures.Other("scratch", 0, 1e-3, 10, 1, TrialStatus.Pending);
        var failed = Fixtures.Other("scratch", 0, 1e-3, 10, 1, TrialStatus.Failed);

        // One projection batch: the running row, its completion, a late stale "running" of the same trial, and a
        // second trial going from pending to failed.
        store.Write(new object[] { new SweepRecord("s", "demo", 2, DateTime.UtcNow), running, done, running, pending, failed });

        var rows = store.Trials("s").ToDictionary(r => r.TrialId);
        Assert.Equal(2, rows.Count);
        Assert.Equal(TrialStatus.Completed, rows[done.TrialId].Status);
        Assert.Equal(0.9, rows[done.TrialId].Result!.TestAccuracy);
        Assert.Equal(TrialStatus.Failed, rows[failed.TrialId].Status);
        Assert.Equal("demo", Assert.Single(store.Sweeps()).Name);
    }

    [Fact]
    public void A_batch_with_a_row_it_cannot_write_writes_nothing()
    {
        var store = NewStore();
        var row = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        Assert.Throws<ArgumentException>(() => store.Write(new object[] { row, "not a row" }));
        Assert.Empty(store.Trials("s"));
    }

    [Fact]
    public void Completed_results_are_found_by_trial_id_across_sweeps_and_only_those()
    {
        var store = NewStore();
        var a = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        var b = Fixtures.Done("pretrained", 4, 1e-3, 10, 1, 0.8, 0.78);
        var running = Fixtures.Other("scratch", 0, 1e-3, 10, 1, TrialStatus.Running);
        store.Write(new object[] { a, b, running, a with { SweepId = "other" } });

        var found = store.CompletedResults(new[] { a.TrialId, running.TrialId, "0000000000000000" });
        Assert.Equal(a.TrialId, Assert.Single(found).TrialId);
        Assert.Empty(store.CompletedResults(Array.Empty<string>()));
    }

    [Fact]
    public void A_stopped_trial_keeps_its_status_is_never_downgraded_and_is_reused_like_a_completed_one()
    {
        var store = NewStore();
        var done = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        var stopped = done with { Status = TrialStatus.Stopped, Result = done.Result! with { Status = TrialStatus.Stopped } };
        store.Write(new object[] { stopped, done with { Status = TrialStatus.Running, Result = null } });
        Assert.Equal(TrialStatus.Stopped, Assert.Single(store.Trials("s")).Status);
        Assert.Equal(TrialStatus.Stopped, Assert.Single(store.CompletedResults(new[] { done.TrialId })).Status);
    }

    [Fact]
    public void Rows_written_before_the_status_was_one_type_read_with_their_results_status()
    {
        var store = NewStore();
        var done = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        store.Write(new object[] { done with { Result = done.Result! with { Status = TrialStatus.Diverged } } });
        // Older versions wrote "completed" for every trial with a result.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Path};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE trials SET status = 'completed'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        Assert.Equal(TrialStatus.Diverged, Assert.Single(store.Trials("s")).Status);
    }
}
