using Akka.Actor;
using Akka.TestKit;
using Runner.Cluster.Pool;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Tests;

public class WorkerPoolSpecs : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void Idle_workers_are_shared_round_robin_between_sweeps_with_work()
    {
        var sweeps = CreateTestProbe();
        var pool = Sys.ActorOf(WorkerPool.Props(sweeps.Ref));
        pool.Tell(new PoolMessages.SweepHasWork("a"));
        pool.Tell(new PoolMessages.SweepHasWork("b"));
        var workers = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToList();
        for (int i = 0; i < 4; i++) pool.Tell(new WorkerMessages.Idle($"w{i}", "cpu"), workers[i].Ref);

        var asked = Enumerable.Range(0, 4).Select(_ => sweeps.ExpectMsg<RequestTrial>()).ToList();
        Assert.Equal(2, asked.Count(r => r.SweepId == "a"));
        Assert.Equal(2, asked.Count(r => r.SweepId == "b"));
        // The request is sent on the worker's behalf, so the sweep answers the worker directly.
        Assert.Equal(workers[int.Parse(asked[^1].Worker[1..])].Ref, sweeps.LastSender);
    }

    [Fact]
    public void A_sweep_without_work_is_skipped_until_it_announces_work_again()
    {
        var sweeps = CreateTestProbe();
        var pool = Sys.ActorOf(WorkerPool.Props(sweeps.Ref));
        var worker = CreateTestProbe();
        pool.Tell(new PoolMessages.SweepHasWork("a"));
        pool.Tell(new WorkerMessages.Idle("w", "cpu"), worker.Ref);
        sweeps.ExpectMsg<RequestTrial>();
        pool.Tell(new PoolMessages.NothingFrom("w", "a", false));
        sweeps.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        pool.Tell(new PoolMessages.SweepHasWork("a"));
        Assert.Equal("a", sweeps.ExpectMsg<RequestTrial>().SweepId);
    }

    [Fact]
    public void A_worker_is_only_asked_for_sweeps_whose_device_it_serves()
    {
        var sweeps = CreateTestProbe();
        var pool = Sys.ActorOf(WorkerPool.Props(sweeps.Ref));
        pool.Tell(new PoolMessages.SweepHasWork("gpu-only", "cuda"));
        var cpu = CreateTestProbe();
        pool.Tell(new WorkerMessages.Idle("c", "cpu"), cpu.Ref);
        sweeps.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        pool.Tell(new WorkerMessages.Idle("g", "cuda:1"), CreateTestProbe().Ref);
        Assert.Equal(("gpu-only", "g"), sweeps.ExpectMsg<RequestTrial>() is var r ? (r.SweepId, r.Worker) : default);
        // The idle CPU worker takes the next sweep that any device may run, and not one pinned to another device.
        pool.Tell(new PoolMessages.SweepHasWork("pinned", "cuda:0"));
        pool.Tell(new PoolMessages.SweepHasWork("anywhere"));
        Assert.Equal(("anywhere", "c"), sweeps.ExpectMsg<RequestTrial>() is var a ? (a.SweepId, a.Worker) : default);
        sweeps.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_worker_that_dies_is_reported_to_every_sweep_and_forgotten()
    {
        var sweeps = CreateTestProbe();
        var pool = Sys.ActorOf(WorkerPool.Props(sweeps.Ref));
        var worker = CreateTestProbe();
        pool.Tell(new PoolMessages.SweepHasWork("a"));
        pool.Tell(new PoolMessages.SweepHasWork("b"));
        pool.Tell(new WorkerMessages.Idle("w", "cuda:0"), worker.Ref);
        sweeps.ExpectMsg<RequestTrial>();
        Sys.Stop(worker.Ref);
        var lost = new[] { sweeps.ExpectMsg<WorkerLost>(), sweeps.ExpectMsg<WorkerLost>() };
        Assert.Equal(new[] { "a", "b" }, lost.Select(l => l.SweepId).OrderBy(s => s));
        Assert.All(lost, l => Assert.Equal("w", l.Worker));
        pool.Tell(new PoolMessages.GetWorkers());
        Assert.Empty(ExpectMsg<PoolMessages.Workers>().All);
    }

    [Fact]
    public void A_worker_that_wants_several_trials_is_asked_for_that_many_and_an_old_worker_for_one()
    {
        var sweeps = CreateTestProbe();
        var pool = Sys.ActorOf(WorkerPool.Props(sweeps.Ref));
        pool.Tell(new PoolMessages.SweepHasWork("a"));
        pool.Tell(new WorkerMessages.Idle("fast", "cpu", Want: 40), CreateTestProbe().Ref);
        var fast = sweeps.ExpectMsg<RequestTrial>();
        Assert.Equal(("fast", 40), (fast.Worker, fast.Count));
        pool.Tell(new WorkerMessages.Idle("old", "cpu", Want: 0), CreateTestProbe().Ref);   // no count on the wire
        var old = sweeps.ExpectMsg<RequestTrial>();
        Assert.Equal(("old", 1), (old.Worker, old.Count));
    }
}
