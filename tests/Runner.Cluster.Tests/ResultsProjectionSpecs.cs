using Akka.Actor;
using Runner.Cluster.Projection;
using Runner.Results;
using Runner.Sweeps;

namespace Runner.Cluster.Tests;

/// <summary>
/// The projection writes rows in batches, behind the sweeps that send them; a caller that saw a sweep end must be able
/// to read all of its rows (`runner run` prunes models and prints its table from them, the API serves them).
/// </summary>
public class ResultsProjectionSpecs : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task A_sync_is_answered_only_once_every_row_sent_before_it_is_in_the_store()
    {
        var store = new ResultsStore(ScratchFolders.New("projection"));
        var projection = Sys.ActorOf(ResultsProjection.Props(store));
        var trials = Enumerable.Range(1, 50).Select(seed => Samples.Trial(seed)).ToList();
        projection.Tell(new SweepRecord("s", "demo", trials.Count, DateTime.UtcNow));
        foreach (var t in trials)
            projection.Tell(new TrialRecord("s", t.Id, TrialStatus.Completed, 1, "w", t, Samples.Result(t.Id), null));
        long before = store.Writes;

        // The rows' own flush is queued behind this Sync: the answer must not wait for it.
        await projection.Ask<ResultsProjection.Written>(ResultsProjection.Sync.Instance, TimeSpan.FromSeconds(10));

        Assert.Equal(trials.Count, store.Trials("s").Count(t => t.Status == TrialStatus.Completed));
        Assert.True(store.Writes > before, "the store does not count the batch it wrote");
    }
}
