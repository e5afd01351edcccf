using Runner.Sweeps;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Runner.Cluster.Protocol;
using Runner.Cluster.SweepActors;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Tests;

/// <summary>An in-memory journal whose writes wait while the test holds them back (one test class uses it).</summary>
public sealed class HeldJournal : MemoryJournal
{
    static volatile TaskCompletionSource _open = Opened();

    static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    public static void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public static void Release() => _open.TrySetResult();

    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        await _open.Task;
        return await base.WriteMessagesAsync(messages, cancellationToken);
    }
}

/// <summary>
/// A sweep decides at once but shows nothing before the journal has it: no assignment, no status count, no results
/// row for a decision still being written (a coordinator that died then would come back without it).
/// </summary>
public class SweepActorWriteOrderSpecs : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A new actor system's first sweep recovers and writes before it answers: slow while other test assemblies load the cores.</summary>
    static readonly TimeSpan FirstAnswer = TimeSpan.FromSeconds(15);

    public SweepActorWriteOrderSpecs() : base(ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.held"
        akka.persistence.journal.held.class = "{{typeof(HeldJournal).AssemblyQualifiedName}}"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """)) { }

    [Fact]
    public void An_assignment_its_status_and_its_results_row_wait_for_the_journal_write()
    {
        var projection = CreateTestProbe();
        var sweep = Sys.ActorOf(SweepActor.Props("held", projection: projection.Ref));
        var trials = new[] { Samples.Trial(1), Samples.Trial(2) };
        sweep.Tell(new Submit("held", "demo", trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        projection.ReceiveN(3);   // the sweep row and two pending trial rows

        HeldJournal.Hold();
        sweep.Tell(new RequestTrial("held", "w1"));
        sweep.Tell(new GetStatus("held"));
        var before = ExpectMsg<SweepStatus>();
        Assert.Equal((2, 0), (before.Pending, before.Running));
        projection.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        HeldJournal.Release();
        var job = ExpectMsg<Assignment>();
        Assert.Equal(TrialStatus.Running, projection.ExpectMsg<Runner.Results.TrialRecord>().Status);
        sweep.Tell(new GetStatus("held"));
        var after = ExpectMsg<SweepStatus>();
        Assert.Equal((1, 1), (after.Pending, after.Running));
        Assert.Equal(trials[0].Id, job.TrialId);
    }

    [Fact]
    public void Trials_handed_out_together_wait_for_their_one_journal_write()
    {
        var sweep = Sys.ActorOf(SweepActor.Props("held-batch"));
        var trials = new[] { Samples.Trial(1), Samples.Trial(2), Samples.Trial(3) };
        sweep.Tell(new Submit("held-batch", "demo", trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);

        HeldJournal.Hold();
        sweep.Tell(new RequestTrial("held-batch", "w1", 2));
        sweep.Tell(new GetStatus("held-batch"));
        Assert.Equal(0, ExpectMsg<SweepStatus>().Running);
        HeldJournal.Release();
        Assert.Equal(new[] { trials[0].Id, trials[1].Id }, ExpectMsg<Assignments>().Jobs.Select(j => j.TrialId));
        sweep.Tell(new GetStatus("held-batch"));
        Assert.Equal(2, ExpectMsg<SweepStatus>().Running);
    }
}
