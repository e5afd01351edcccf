namespace Runner.Cluster.Hosting;

/// <summary>How a worker process's membership ended.</summary>
public enum WorkerExit
{
    /// <summary>Ctrl-C or SIGTERM: in any state (joining, working, rejoining), within moments.</summary>
    Stopped,
    /// <summary>The first join did not succeed within the join timeout (no coordinator at the seed nodes).</summary>
    NeverJoined,
}

/// <summary>
/// A worker's life in its cluster: join the seeds (giving up after <paramref name="joinTimeout"/> the first time);
/// when the coordinator goes (restart, crash, a standby taking over) start a fresh node and join again, as often as it
/// takes, so a restarted coordinator gets its workers back without anyone touching them; stop at once when asked.
/// </summary>
/// <param name="start">starts a node that joins the seeds</param>
/// <param name="portOfItsOwn">
/// whether the node's port is its own choice: then a node that rejoins need not wait for the old one to leave (which
/// can take seconds while its cluster waits on members that went quiet); a fixed port must be free first
/// </param>
/// <param name="joined">told each time a node is Up: the node, and whether it is a rejoin</param>
/// <param name="said">the loop's own lines for the console</param>
public sealed class WorkerMembership(Func<INodeSession> start, TimeSpan joinTimeout, bool portOfItsOwn, Action<INodeSession, bool> joined, Action<string> said)
{
    /// <summary>How long a node that leaves is waited for before the next one starts on a fixed port (or before exit).</summary>
    public static readonly TimeSpan LeaveWait = TimeSpan.FromSeconds(15);

    public WorkerExit Run(CancellationToken stop)
    {
        bool everJoined = false;
        var stopped = Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        while (true)
        {
            if (stop.IsCancellationRequested) return WorkerExit.Stopped;
            var node = start();
            bool rejoining = false;
            try
            {
                int first = Task.WaitAny(new[] { node.Joined, stopped }, everJoined ? Timeout.InfiniteTimeSpan : joinTimeout);
                if (first == 1) return WorkerExit.Stopped;
                if (first < 0) return WorkerExit.NeverJoined;
                joined(node, everJoined);
                everJoined = true;
                if (Task.WaitAny(node.CoordinatorLost, node.Terminated, stopped) == 2) return WorkerExit.Stopped;
                said("coordinator lost: joining again");
                rejoining = true;
            }
            finally
            {
                var leaving = node.DisposeAsync().AsTask();
                if (!rejoining || !portOfItsOwn) leaving.Wait(LeaveWait);
            }
        }
    }
}
