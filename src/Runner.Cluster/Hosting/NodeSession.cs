namespace Runner.Cluster.Hosting;

/// <summary>
/// A node's membership as the hosting loops see it (<see cref="WorkerMembership"/>, <see cref="Standby"/>): whether
/// it joined, whether its coordinator is gone, whether it ended. <see cref="RunnerNode"/> is the real one; unit tests
/// drive the loops with stand-ins.
/// </summary>
public interface INodeSession : IAsyncDisposable
{
    /// <summary>Completes when the node is Up in its cluster.</summary>
    Task Joined { get; }

    /// <summary>Completes when its cluster has no coordinator any more (nodes other than the active coordinator).</summary>
    Task CoordinatorLost { get; }

    /// <summary>Completes when the node's actor system has ended.</summary>
    Task Terminated { get; }

    /// <summary>Its cluster address, for messages.</summary>
    string Address { get; }

    /// <summary>Leaves at once, without waiting for members that may be gone (a standby owns nothing).</summary>
    void Abandon();
}
