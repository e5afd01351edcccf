using Akka.Actor;
using Akka.Cluster;

namespace Runner.Cluster.Hosting;

/// <summary>
/// Who downs whom when a node stops answering, for this topology: one coordinator that owns every sweep's journal,
/// and workers (and standby coordinators) that own nothing. The coordinator decides alone, from its own observations:
/// a worker it cannot reach for <see cref="StableAfter"/> is downed (its trials go back to the queue), whatever the
/// other workers see. A worker that cannot reach the coordinator for as long leaves the cluster itself and joins again
/// (the worker command's loop: a standby that took the store over is among its seeds), so it stops training for a
/// sweep nobody can record. No node ever downs the coordinator: a flaky
/// link to one worker, or a worker that sees the coordinator but not its peers, cannot take it down, which Akka's
/// split-brain resolver did ("indirectly connected" nodes are all downed, the coordinator among them). A coordinator
/// cut off from every worker keeps its sweeps and waits for them to come back.
/// </summary>
public sealed class CoordinatorDowning : IDowningProvider
{
    /// <summary>How long a node must stay unreachable before it is downed: long enough for a GC pause or a blip.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(6);

    readonly ActorSystem _system;

    public CoordinatorDowning(ActorSystem system) => _system = system;

    public CoordinatorDowning(ActorSystem system, Akka.Cluster.Cluster cluster) => _system = system;

    public TimeSpan DownRemovalMargin => TimeSpan.Zero;

    public Props DowningActorProps => Props.Create(() => new Decider(
        _system.Settings.Config.GetTimeSpan("runner.downing.stable-after", StableAfter, allowInfinite: false)));

    /// <summary>
    /// Runs on every node; acts according to the node's role. The cluster's unreachability is everyone's
    /// observations merged, so this node also probes the members it would act on (workers and standbys for a
    /// coordinator, coordinators for the others) itself: an Identify to each one's cluster daemon every second. A
    /// member that is marked unreachable and has not answered this node for <see cref="StableAfter"/> is this node's
    /// own finding, and acted on: the silence counts from the last answer, so a coordinator that died is left about
    /// <see cref="StableAfter"/> after it went quiet. An answer counts only from the same incarnation (the daemon's uid,
    /// learnt when the member came up): a coordinator killed and started again on its address is a new node, and its
    /// workers must leave the old one's cluster to join it.
    /// </summary>
    sealed class Decider : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;
        readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
        /// <summary>The members this node acts on, and when each last answered this node (or came up).</summary>
        readonly Dictionary<UniqueAddress, DateTime> _lastHeard = new();
        /// <summary>Those of them the cluster marks unreachable.</summary>
        readonly HashSet<UniqueAddress> _unreachable = new();
        /// <summary>The uid of each member's cluster daemon, as it answered once it was up.</summary>
        readonly Dictionary<UniqueAddress, long> _daemonUid = new();

        sealed record Probe(UniqueAddress Member, bool Learn);

        sealed class Tick
        {
            public static readonly Tick Instance = new();
        }

        public Decider(TimeSpan stableAfter)
        {
            bool coordinator = _cluster.SelfRoles.Contains(NodeRoles.Coordinator);
            bool Mine(Member m) => !m.UniqueAddress.Equals(_cluster.SelfUniqueAddress)
                && (coordinator ? !m.HasRole(NodeRoles.Coordinator) : m.HasRole(NodeRoles.Coordinator));
            void Up(Member m)
            {
                if (!Mine(m)) return;
                _lastHeard.TryAdd(m.UniqueAddress, DateTime.UtcNow);
                Send(new Probe(m.UniqueAddress, Learn: true));
            }
            Receive<ClusterEvent.CurrentClusterState>(state =>
            {
                foreach (var m in state.Members.Where(m => m.Status == MemberStatus.Up)) Up(m);
                foreach (var m in state.Unreachable.Where(Mine)) _unreachable.Add(m.UniqueAddress);
            });
            Receive<ClusterEvent.MemberUp>(up => Up(up.Member));
            Receive<ClusterEvent.UnreachableMember>(u =>
            {
                if (Mine(u.Member)) _unreachable.Add(u.Member.UniqueAddress);
            });
            Receive<ClusterEvent.ReachableMember>(r => _unreachable.Remove(r.Member.UniqueAddress));
            Receive<ClusterEvent.MemberRemoved>(r =>
            {
                _lastHeard.Remove(r.Member.UniqueAddress);
                _unreachable.Remove(r.Member.UniqueAddress);
                _daemonUid.Remove(r.Member.UniqueAddress);
            });
            Receive<ActorIdentity>(answer =>
            {
                if (answer.Subject == null || answer.MessageId is not Probe probe || !_lastHeard.ContainsKey(probe.Member)) return;
                if (probe.Learn) _daemonUid[probe.Member] = answer.Subject.Path.Uid;
                if (!_daemonUid.TryGetValue(probe.Member, out long uid) || uid == answer.Subject.Path.Uid) _lastHeard[probe.Member] = DateTime.UtcNow;
            });
            Receive<Tick>(_ =>
            {
                foreach (var address in _lastHeard.Keys.ToList())
                {
                    var member = _cluster.State.Members.FirstOrDefault(m => m.UniqueAddress.Equals(address));
                    if (member == null || member.Status is MemberStatus.Down or MemberStatus.Removed) continue;
                    var silent = DateTime.UtcNow - _lastHeard[address];
                    if (!_unreachable.Contains(address) || silent < stableAfter)
                    {
                        Send(new Probe(address, Learn: false));
                        continue;
                    }
                    if (coordinator)
                    {
                        Serilog.Log.Warning("Downing {Role} {Address}: no answer to the coordinator for {Seconds:F0} s; its trials go back to the queue",
                            member.HasRole(NodeRoles.Standby) ? "standby" : "worker", address.Address, silent.TotalSeconds);
                        _cluster.Down(address.Address);
                    }
                    else
                    {
                        Serilog.Log.Warning("The coordinator {Address} has not answered for {Seconds:F0} s: leaving the cluster to join it again",
                            address.Address, silent.TotalSeconds);
                        _cluster.Down(_cluster.SelfAddress);
                    }
                    _lastHeard.Remove(address);
                    _unreachable.Remove(address);
                }
            });
            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
            _cluster.Subscribe(Self, ClusterEvent.InitialStateAsSnapshot, typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved),
                typeof(ClusterEvent.MemberUp));
        }

        void Send(Probe probe) =>
            Context.ActorSelection(new RootActorPath(probe.Member.Address) / "system" / "cluster" / "core" / "daemon").Tell(new Identify(probe));

        protected override void PostStop() => _cluster.Unsubscribe(Self);
    }
}
