using Runner.Sweeps;
namespace Runner.Results.Tests;

/// <summary>The results store's rules, on SQLite (the embedded default) and on a real PostgreSQL (<see cref="PostgresResultsStoreTests"/>).</summary>
public abstract class ResultsStoreContract
{
    protected abstract ResultsStore NewStore();

    [SkippableFact]
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

    [SkippableFact]
    public void A_batch_with_a_row_it_cannot_write_writes_nothing()
    {
        var store = NewStore();
        var row = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        Assert.Throws<ArgumentException>(() => store.Write(new object[] { row, "not a row" }));
        Assert.Empty(store.Trials("s"));
    }

    [SkippableFact]
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

    [SkippableFact]
    public void A_stopped_trial_keeps_its_status_is_never_downgraded_and_is_reused_like_a_completed_one()
    {
        var store = NewStore();
        var done = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        var stopped = done with { Status = TrialStatus.Stopped, Result = done.Result! with { Status = TrialStatus.Stopped } };
        store.Write(new object[] { stopped, done with { Status = TrialStatus.Running, Result = null } });
        Assert.Equal(TrialStatus.Stopped, Assert.Single(store.Trials("s")).Status);
        Assert.Equal(TrialStatus.Stopped, Assert.Single(store.CompletedResults(new[] { done.TrialId })).Status);
    }

    [SkippableFact]
    public void Reads_and_writes_of_many_trials_at_once_find_exactly_the_asked_ids()
    {
        var store = NewStore();
        var rows = Enumerable.Range(0, 300).Select(i => Fixtures.Done("pretrained", 2, 1e-3, 10 + i, 1, 0.5, 0.5)).ToList();
        store.Write(rows.Cast<object>().Prepend(new SweepRecord("many", "many", rows.Count, DateTime.UtcNow)).ToList());
        var wanted = rows.Where((_, i) => i % 3 == 0).Select(r => r.TrialId).Append("0000000000000000").ToList();
        Assert.Equal(100, store.CompletedResults(wanted).Count);
        Assert.Equal(300, store.Trials(rows[0].SweepId).Count);
        Assert.NotNull(store.LastUpdate(rows[0].SweepId));
        Assert.Null(store.LastUpdate("nothing"));
    }
}

public class ResultsStoreTests : ResultsStoreContract
{
    protected override ResultsStore NewStore() => new(ScratchFolders.New("store"));

    [Fact]
    public void Rows_written_before_the_status_was_one_type_read_with_their_results_status()
    {
        var store = NewStore();
        var done = Fixtures.Done("pretrained", 2, 1e-3, 10, 1, 0.9, 0.88);
        store.Write(new object[] { done with { Result = done.Result! with { Status = TrialStatus.Diverged } } });
        // Older versions wrote "completed" for every trial with a result.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(store.Location.StateFolder, ResultsStore.FileName)};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE trials SET status = 'completed'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        Assert.Equal(TrialStatus.Diverged, Assert.Single(store.Trials("s")).Status);
    }
}

/// <summary>The same rules on a real PostgreSQL 15, started for this class.</summary>
public sealed class PostgresResultsStoreTests : ResultsStoreContract, IClassFixture<PostgresResultsStoreTests.Server>
{
    public sealed class Server : IDisposable
    {
        public PostgresServer? Postgres { get; } = PostgresServer.WhyNot() == null ? new PostgresServer() : null;
        int _databases;
        public string NewDatabase() => Postgres!.NewDatabase($"results{Interlocked.Increment(ref _databases)}");
        public void Dispose() => Postgres?.Dispose();
    }

    readonly Server _server;

    public PostgresResultsStoreTests(Server server) => _server = server;

    protected override ResultsStore NewStore()
    {
        string? why = PostgresServer.WhyNot();
        Skip.If(why != null, why);
        return new(StoreLocation.Parse(_server.NewDatabase(), ScratchFolders.New("pg-store")));
    }
}
