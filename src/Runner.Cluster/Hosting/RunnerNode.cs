using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Runner.Cluster.Pool;
using Runner.Cluster.Protocol;
using Runner.Cluster.Results;
using Runner.Results;
using Runner.Cluster.Sweeps;
using Runner.Cluster.Workers;

namespace Runner.Cluster.Hosting;

/// <summary>
/// One Runner process in the cluster. A coordinator hosts the sweeps (a sharded, persistent entity per sweep), the
/// worker pool (a cluster singleton) and the results projection; a worker hosts one TrialWorker per device. The
/// embedded default (`runner run`) is one node with both roles.
/// </summary>
public sealed class RunnerNode : IAsyncDisposable
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
    /// <summary>Worker-only nodes: completes when the cluster has no coordinator any more (see <see cref="CoordinatorWatch"/>).</summary>
    public Task CoordinatorLost { get; }
    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    readonly StateFolderLock? _owner;

    RunnerNode(ActorSystem system, IActorRef sweeps, IActorRef pool, ResultsStore? results, NodeOptions options, Task joined, Task lost, StateFolderLock? owner) =>
        (System, Sweeps, Pool, Results, Options, Joined, CoordinatorLost, _owner) = (system, sweeps, pool, results, options, joined, lost, owner);

    /// <exception cref="StateFolderBusyException">a coordinator whose state folder another process writes</exception>
    public static RunnerNode Start(NodeOptions o)
    {
        var owner = o.IsCoordinator ? StateFolderLock.Take(o.StateFolder) : null;
        try { return Start(o, owner); }
        catch
        {
            owner?.Dispose();
            throw;
        }
    }

    static RunnerNode Start(NodeOptions o, StateFolderLock? owner)
    {
        Directory.CreateDirectory(o.StateFolder);
        RunnerLogging.Configure(o.StateFolder, o.ConsoleLogLevel, $"{o.Host}:{o.Port}/{string.Join("+", o.Roles)}");
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
        if (o.IsCoordinator)
        {
            results = new ResultsStore(o.StoreLocation);
            var projection = system.ActorOf(ResultsProjection.Props(results), ResultsProjection.Name);
            // runner.snapshot-every: events between a sweep's snapshots (0: never; the recovery benchmark's baseline).
            int snapshotEvery = system.Settings.Config.GetInt("runner.snapshot-every", SweepActor.SnapshotEvery);
            sweeps = sharding.Start(SweepTypeName, id => SweepActor.Props(id, pool, projection,
                    snapshotEvery: snapshotEvery <= 0 ? int.MaxValue : snapshotEvery, artifactsUrl: o.ArtifactsUrl),
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
                    system.ActorOf(TrialWorker.Props(name, o.Devices[i], pool, executor(o.Devices[i])), $"worker-{i}");
                }
            });
        }
        return new RunnerNode(system, sweeps, pool, results, o, joined.Task, lost.Task, owner);
    }

    /// <summary>Leaves the cluster gracefully (running trials are cancelled and re-queued) and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await Serilog.Log.CloseAndFlushAsync();
        _owner?.Dispose();
    }
}
