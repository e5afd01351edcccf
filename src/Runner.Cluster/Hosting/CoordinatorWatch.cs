using Akka.Actor;
using Akka.Cluster;

namespace Runner.Cluster.Hosting;

/// <summary>
/// On a node that is not the active coordinator (a worker, or a standby coordinator): completes the node's
/// CoordinatorLost when no coordinator is left in the cluster (it was downed or left) or this node itself was downed or
/// removed. A worker then starts a fresh node and joins the seeds again, so a restarted coordinator gets its workers
/// back without anyone touching them; a standby goes back to waiting for the store's lock.
/// </summary>
public sealed class CoordinatorWatch : ReceiveActor
{
    public static Props Props(TaskCompletionSource lost) => Akka.Actor.Props.Create(() => new CoordinatorWatch(lost));

    public CoordinatorWatch(TaskCompletionSource lost)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        bool seenCoordinator = false;
        Receive<ClusterEvent.CurrentClusterState>(state => seenCoordinator |= state.Members.Any(m => m.HasRole(NodeRoles.Coordinator) && m.Status == MemberStatus.Up));
        Receive<ClusterEvent.MemberUp>(up => seenCoordinator |= up.Member.HasRole(NodeRoles.Coordinator));
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            bool self = removed.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress);
            bool noCoordinator = seenCoordinator && !cluster.State.Members.Any(m => m.HasRole(NodeRoles.Coordinator) && m.Status == MemberStatus.Up
                && !m.UniqueAddress.Equals(removed.Member.UniqueAddress));
            if (self || (removed.Member.HasRole(NodeRoles.Coordinator) && noCoordinator)) lost.TrySetResult();
        });
        // This node gave up on its coordinator (CoordinatorDowning downed it): rejoin now, not when the cluster, still
        // waiting on members that went quiet, gets round to removing it.
        Receive<ClusterEvent.MemberDowned>(downed =>
        {
            if (downed.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress)) lost.TrySetResult();
        });
        ReceiveAny(_ => { });
        cluster.Subscribe(Self, ClusterEvent.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
