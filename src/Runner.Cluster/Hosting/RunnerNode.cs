using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Runner.Cluster.Pool;
using Runner.Cluster.Protocol;
using Runner.Cluster.Projection;
using Runner.Results;
using Runner.Cluster.SweepActors;
using Runner.Cluster.Workers;

namespace Runner.Cluster.Hosting;

/// <summary>
/// One Runner process in the cluster. A coordinator hosts the sweeps (a sharded, persistent entity per sweep), the
/// worker pool (a cluster singleton) and the results projection; a worker hosts one TrialWorker per device; a standby
/// coordinator hosts nothing (it serves the API through proxies until it takes the store over, as a new node). The
/// embedded default (`runner run`) is one node with the coordinator and worker roles.
/// </summary>
public sealed class RunnerNode : INodeSession
{
    public const string SweepTypeName = "sweep";

    public ActorSystem System { get; }
    /// <summary>Send sweep commands here (the shard region, or a proxy to it on worker-only nodes).</summary>
    public IActorRef Sweeps { get; }
    /// <summary>The worker pool singleton, through its proxy.</summary>
    public IActorRef Pool { get; }
    public ResultsStore? Results { get; }
    public NodeOptions Options { get; }
    /// <summary>Completes when this node is Up in the cluster.</summary>
    public Task Joined { get; }
    /// <summary>Nodes other than the active coordinator: completes when the cluster has no coordinator any more (see <see cref="CoordinatorWatch"/>).</summary>
    public Task CoordinatorLost { get; }
    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;
    Task INodeSession.Terminated => System.WhenTerminated;
    string INodeSession.Address => Address.ToString();
    /// <summary>Coordinators: what this node's sweeps reported of their store lately.</summary>
    public StoreTroubles StoreTroubles { get; } = new();

    /// <summary>
    /// Coordinators on a PostgreSQL store: completes, with the reason, when this node lost the store's lease and so
    /// stopped hosting sweeps (its actor system ends); never for the others.
    /// </summary>
    public Task<string> LeaseLost => _lease?.Lost ?? new TaskCompletionSource<string>().Task;

    readonly StateFolderLock? _owner;
    readonly StoreLease? _lease;
    readonly Serilog.Core.Logger _logger;

    RunnerNode(ActorSystem system, IActorRef sweeps, IActorRef pool, ResultsStore? results, NodeOptions options, Task joined, Task lost,
        StateFolderLock? owner, StoreLease? lease, Serilog.Core.Logger logger) =>
        (System, Sweeps, Pool, Results, Options, Joined, CoordinatorLost, _owner, _lease, _logger) = (system, sweeps, pool, results, options, joined, lost, owner, lease, logger);

    /// <summary>
    /// Starts a node. A coordinator first makes itself the one writer of its store: the state folder's lock and, on
    /// PostgreSQL, the store's lease (<paramref name="lease"/> when the caller took it already, as a standby does).
    /// </summary>
    /// <exception cref="StateFolderBusyException">a coordinator whose state folder another process writes</exception>
    /// <exception cref="StoreBusyException">a coordinator whose PostgreSQL store another coordinator holds</exception>
    public static RunnerNode Start(NodeOptions o, StoreLease? lease = null)
    {
        StateFolderLock? owner = null;
        try
        {
            if (o.IsCoordinator)
            {
                owner = StateFolderLock.Take(o.StateFolder);
                if (o.StoreLocation.IsPostgres && lease == null)
                    lease = StoreLease.TryTake(o.StoreLocation, $"{o.Host}:{o.Port}")
                            ?? throw new StoreBusyException($"the store {o.StoreLocation} has an active coordinator ({StoreLease.Holder(o.StoreLocation) ?? "it just left"}): start this one as a standby with `runner coordinator --peers HOST:PORT`, or use `runner submit`");
            }
            var node = Start(o, owner, lease);
            if (o.IsCoordinator) node.StoreTroubles.Listen(node.System);
            if (lease != null) _ = lease.Lost.ContinueWith(lost => node.StepDown(lost.Result), TaskScheduler.Default);
            return node;
        }
        catch
        {
            lease?.Dispose();
            owner?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The lease is gone: another coordinator may take the store at any moment, so this one stops hosting sweeps now
    /// (its actor system ends; the coordinator command stands by again).
    /// </summary>
    void StepDown(string why)
    {
        Serilog.Log.Error("Lost the lease of the store {Store} ({Why}): this coordinator stops hosting sweeps; a standby takes over", Options.StoreLocation, why);
        CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
    }

    static RunnerNode Start(NodeOptions o, StateFolderLock? owner, StoreLease? lease)
    {
        Directory.CreateDirectory(o.StateFolder);
        var logger = RunnerLogging.Configure(o.StateFolder, o.ConsoleLogLevel, $"{o.Host}:{o.Port}/{string.Join("+", o.Roles)}");
        var bootstrap = Akka.Actor.BootstrapSetup.Create().WithConfig(ClusterConfig.For(o));
        var system = o.Tls == null ? ActorSystem.Create(NodeRoles.SystemName, bootstrap)
            : ActorSystem.Create(NodeRoles.SystemName, bootstrap.And(o.Tls.RemotingSetup()));
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (o.SeedNodes.Count == 0) cluster.Join(cluster.SelfAddress);
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => joined.TrySetResult());
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!o.IsCoordinator) system.ActorOf(CoordinatorWatch.Props(lost), "coordinator-watch");

        var pool = system.ActorOf(ClusterSingletonProxy.Props("/user/pool",
            ClusterSingletonProxySettings.Create(system).WithRole(NodeRoles.Coordinator)), "pool-proxy");
        var sharding = ClusterSharding.Get(system);
        IActorRef sweeps;
        ResultsStore? results = null;
        if (o.IsStandby) results = new ResultsStore(o.StoreLocation);
        if (o.IsCoordinator)
        {
            results = new ResultsStore(o.StoreLocation);
            var projection = system.ActorOf(ResultsProjection.Props(results), ResultsProjection.Name);
            // runner.snapshot-every: events between a sweep's snapshots (0: never; the recovery benchmark's baseline).
            int snapshotEvery = system.Settings.Config.GetInt("runner.snapshot-every", SweepActor.SnapshotEvery);
            var store = results;
            sweeps = sharding.Start(SweepTypeName, id => SweepActor.Props(id, pool, projection,
                    snapshotEvery: snapshotEvery <= 0 ? int.MaxValue : snapshotEvery, artifactsUrl: o.ArtifactsUrl, stored: store.CompletedResults),
                ClusterShardingSettings.Create(system).WithRole(NodeRoles.Coordinator).WithRememberEntities(true),
                new SweepMessageExtractor());
            system.ActorOf(ClusterSingletonManager.Props(WorkerPool.Props(sweeps), PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(NodeRoles.Coordinator)), "pool");
            // Wake every sweep the results store knows of: remembered entities come back by themselves, this also
            // covers a sharding state that was lost, and costs one status message per sweep. Nobody wants the answers.
            cluster.RegisterOnMemberUp(() =>
            {
                foreach (var sweep in results.Sweeps()) sweeps.Tell(new SweepCommands.GetStatus(sweep.SweepId), ActorRefs.Nobody);
            });
        }
        else
        {
            sweeps = sharding.StartProxy(SweepTypeName, NodeRoles.Coordinator, new SweepMessageExtractor());
        }

        if (o.IsWorker)
        {
            var executor = o.Executor ?? throw new ArgumentException("a worker node needs a trial executor");
            cluster.RegisterOnMemberUp(() =>
            {
                for (int i = 0; i < o.Devices.Count; i++)
                {
                    // Unique across restarts of this process: a sweep must never mistake a new worker for a lost one.
                    string name = $"{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}#{cluster.SelfUniqueAddress.Uid}/{i}:{o.Devices[i]}";
                    system.ActorOf(TrialWorker.Props(name, o.Devices[i], pool, executor(o.Devices[i]), o.ThreadsPerWorker), $"worker-{i}");
                }
            });
        }
        return new RunnerNode(system, sweeps, pool, results, o, joined.Task, lost.Task, owner, lease, logger);
    }

    /// <summary>
    /// Coordinators: returns once every row this node's sweeps have sent to the results store is written (the
    /// projection writes in batches, behind the sweeps' replies), so a sweep seen to end is read whole.
    /// </summary>
    public async Task ResultsWritten(TimeSpan timeout)
    {
        if (!Options.IsCoordinator) return;
        await System.ActorSelection("/user/" + ResultsProjection.Name).Ask<ResultsProjection.Written>(ResultsProjection.Sync.Instance, timeout);
    }

    /// <summary>
    /// Stops a node that owns nothing (a standby) at once: it downs itself, so leaving waits for no coordinator that
    /// may be gone, and frees its ports for the node that follows in this process.
    /// </summary>
    public void Abandon()
    {
        var cluster = Akka.Cluster.Cluster.Get(System);
        if (!cluster.IsTerminated) cluster.Down(cluster.SelfAddress);
        if (!System.WhenTerminated.Wait(TimeSpan.FromSeconds(5))) System.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Leaves the cluster gracefully (running trials are cancelled and re-queued) and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        // A node that started after this one (a worker rejoining) owns the process's logger by now: leave it be.
        if (ReferenceEquals(Serilog.Log.Logger, _logger)) await Serilog.Log.CloseAndFlushAsync();
        else await _logger.DisposeAsync();
        _lease?.Dispose();
        _owner?.Dispose();
    }
}
