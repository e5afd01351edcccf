using System.Data.Common;

namespace Runner.Cluster.Hosting;

/// <summary>
/// A standby coordinator's wait for the store's lease: while another coordinator holds it, be a member of that one's
/// cluster (serving the API, when there are peers to join) and try the lease every <see cref="Poll"/>; join again
/// when that coordinator goes; hand the lease over once taken (null when stopped first). A store that does not answer
/// is waited out, never fatal: this is a partition or an outage, and the standby is what outlives it.
/// </summary>
/// <param name="tryTake">the lease when free, null while another coordinator holds it</param>
/// <param name="join">a member of the active coordinator's cluster, or null when there are no peers to join</param>
/// <param name="stopped">waits up to the time given; true when Ctrl-C or SIGTERM came</param>
public sealed class Standby<TLease>(Func<TLease?> tryTake, Func<INodeSession?> join, Func<TimeSpan, bool> stopped) where TLease : class
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan RetryJoin = TimeSpan.FromSeconds(2);

    public TLease? WaitForLease()
    {
        while (true)
        {
            INodeSession? node = null;
            try
            {
                try { node = join(); }
                catch (DbException e)
                {
                    Serilog.Log.Warning("Standby: cannot read the store ({Message}); trying again", e.Message);
                    if (stopped(RetryJoin)) return null;
                    continue;
                }
                while (node?.CoordinatorLost.IsCompleted != true)
                {
                    if (stopped(Poll)) return null;
                    try
                    {
                        if (tryTake() is { } lease) return lease;
                    }
                    catch (DbException e) { Serilog.Log.Warning("Standby: the store does not answer ({Message})", e.Message); }
                }
            }
            finally
            {
                // A standby owns nothing: it leaves without waiting for a coordinator that may be gone.
                node?.Abandon();
            }
        }
    }
}
