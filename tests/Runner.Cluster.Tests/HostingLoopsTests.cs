using System.Diagnostics;
using Runner.Cluster.Hosting;

namespace Runner.Cluster.Tests;

/// <summary>
/// The hosting loops a process lives by, with stand-in nodes (the real ones are exercised by the end-to-end tests:
/// kill -9 of coordinators, cut links, SIGTERM): a worker's join and rejoin, a standby's wait for the lease, and when
/// `runner run` gives up on a store.
/// </summary>
public class HostingLoopsTests
{
    /// <summary>A node whose membership the test decides.</summary>
    sealed class StandIn(string address, TimeSpan? leaving = null) : INodeSession
    {
        public readonly TaskCompletionSource JoinedNow = new(), LostNow = new(), EndedNow = new();
        public bool Disposed, Abandoned;
        public DateTime? LeftAt;
        public readonly DateTime StartedAt = DateTime.UtcNow;
        public Task Joined => JoinedNow.Task;
        public Task CoordinatorLost => LostNow.Task;
        public Task Terminated => EndedNow.Task;
        public string Address => address;
        public void Abandon() => Abandoned = true;

        public async ValueTask DisposeAsync()
        {
            Disposed = true;
            if (leaving is { } wait) await Task.Delay(wait);
            LeftAt = DateTime.UtcNow;
        }
    }

    sealed class Worker
    {
        public readonly List<StandIn> Nodes = new();
        public readonly List<string> Lines = new();
        public Func<int, StandIn> Make = i => new StandIn($"node{i}");

        public WorkerMembership Membership(TimeSpan joinTimeout, bool portOfItsOwn = true) => new(() =>
            {
                var node = Make(Nodes.Count);
                lock (Nodes) Nodes.Add(node);
                return node;
            }, joinTimeout, portOfItsOwn,
            (node, again) => { lock (Lines) Lines.Add($"{(again ? "rejoined" : "up")} {node.Address}"); },
            line => { lock (Lines) Lines.Add(line); });

        public StandIn Node(int i, TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < within)
            {
                lock (Nodes) if (Nodes.Count > i) return Nodes[i];
                Thread.Sleep(10);
            }
            throw new TimeoutException($"no node {i} started");
        }
    }

    [Fact]
    public void A_worker_that_never_joins_gives_up_after_its_join_timeout_and_leaves()
    {
        var worker = new Worker();
        var clock = Stopwatch.StartNew();
        Assert.Equal(WorkerExit.NeverJoined, worker.Membership(TimeSpan.FromMilliseconds(300)).Run(CancellationToken.None));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.25, 5);
        Assert.True(Assert.Single(worker.Nodes).Disposed);
    }

    [Fact]
    public void A_stop_while_joining_ends_the_worker_at_once_not_at_its_join_timeout()
    {
        var worker = new Worker();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        Assert.Equal(WorkerExit.Stopped, worker.Membership(TimeSpan.FromMinutes(5)).Run(stop.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_worker_whose_coordinator_goes_joins_again_and_a_stop_while_rejoining_ends_it()
    {
        var worker = new Worker();
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => worker.Membership(TimeSpan.FromSeconds(30)).Run(stop.Token));
        worker.Node(0, TimeSpan.FromSeconds(5)).JoinedNow.SetResult();
        worker.Nodes[0].LostNow.SetResult();
        var second = worker.Node(1, TimeSpan.FromSeconds(5));
        second.JoinedNow.SetResult();
        SpinWait.SpinUntil(() => { lock (worker.Lines) return worker.Lines.Contains("rejoined node1"); }, TimeSpan.FromSeconds(5));
        second.LostNow.SetResult();
        worker.Node(2, TimeSpan.FromSeconds(5));   // joining the third time, for as long as it takes: no join timeout now
        stop.Cancel();
        Assert.Equal(WorkerExit.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(5)));   // a TimeoutException: it did not stop while rejoining
        lock (worker.Lines)
            Assert.Equal(new[] { "up node0", "coordinator lost: joining again", "rejoined node1", "coordinator lost: joining again" }, worker.Lines);
        Assert.All(worker.Nodes, n => Assert.True(n.Disposed));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rejoining_node_waits_for_the_old_one_to_leave_only_on_a_fixed_port(bool portOfItsOwn)
    {
        var worker = new Worker { Make = i => new StandIn($"node{i}", leaving: TimeSpan.FromMilliseconds(800)) };
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => worker.Membership(TimeSpan.FromSeconds(30), portOfItsOwn).Run(stop.Token));
        var first = worker.Node(0, TimeSpan.FromSeconds(5));
        first.JoinedNow.SetResult();
        first.LostNow.SetResult();
        var second = worker.Node(1, TimeSpan.FromSeconds(5));
        stop.Cancel();
        Assert.Equal(WorkerExit.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(5)));
        // Its own port: the next node started while the old one was still leaving. A fixed port: only after it left.
        Assert.Equal(portOfItsOwn, second.StartedAt < first.LeftAt);
    }

    [Fact]
    public void A_standby_serves_until_the_lease_is_free_joins_again_when_its_coordinator_goes_and_outlives_a_silent_store()
    {
        var nodes = new List<StandIn>();
        int tries = 0;
        var standby = new Standby<string>(
            tryTake: () =>
            {
                tries++;
                if (tries == 2) throw new TestDbException("connection refused");   // the store went quiet for a moment
                if (tries == 3) nodes[^1].LostNow.SetResult();                      // the active coordinator went
                return tries >= 5 ? "lease" : null;
            },
            join: () =>
            {
                var node = new StandIn($"standby{nodes.Count}");
                nodes.Add(node);
                return node;
            },
            stopped: _ => false);
        Assert.Equal("lease", standby.WaitForLease());
        Assert.Equal(2, nodes.Count);                 // joined again after the coordinator it served went
        Assert.All(nodes, n => Assert.True(n.Abandoned));
    }

    [Fact]
    public void A_standby_stops_when_asked_and_retries_a_join_the_store_refused()
    {
        int joins = 0, waits = 0;
        var standby = new Standby<string>(
            tryTake: () => null,
            join: () => ++joins == 1 ? throw new TestDbException("relation does not exist") : null,
            stopped: _ => ++waits >= 4);
        Assert.Null(standby.WaitForLease());
        Assert.Equal(2, joins);
    }

    sealed class TestDbException(string message) : System.Data.Common.DbException(message);

    [Fact]
    public void Run_gives_up_on_a_store_only_when_it_failed_for_the_whole_time_and_no_trial_finished()
    {
        var now = new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);
        var troubles = new StoreTroubles();
        var giveUp = new StoreGiveUp(troubles, TimeSpan.FromSeconds(60), () => now);
        giveUp.Saw(3);
        Assert.Null(giveUp.Verdict());

        now = now.AddSeconds(5);
        troubles.Add(new StoreTrouble("s", "disk full", now));
        now = now.AddSeconds(30);
        Assert.Null(giveUp.Verdict());                // failing, but not for long enough yet

        giveUp.Saw(4);                                // a trial finished: the store works after all
        now = now.AddSeconds(40);
        Assert.Null(giveUp.Verdict());

        troubles.Add(new StoreTrouble("s", "file is not a database", now));
        now = now.AddSeconds(61);
        giveUp.Saw(4);                                // no trial since
        Assert.Equal((TimeSpan.FromSeconds(61), "file is not a database"), giveUp.Verdict());
    }
}
