using Npgsql;
using Runner.Results;

namespace Runner.Cluster.Hosting;

/// <summary>A store another coordinator writes: the message names it.</summary>
public sealed class StoreBusyException(string message) : Exception(message);

/// <summary>
/// One active coordinator per PostgreSQL store, and so one writer per sweep's journal: the active one holds a
/// session-level advisory lock in the store's database for as long as it hosts sweeps. The database ends the lock
/// with the session, so a coordinator that dies (kill -9: its socket closes) frees it at once, and one that vanishes
/// from the network (power loss, partition) frees it when the server's TCP keepalives give up on it, after
/// <see cref="ServerGivesUpAfter"/>. The holder checks its session every <see cref="CheckEvery"/> and counts the lease
/// lost as soon as a check fails or none has succeeded for <see cref="HolderGivesUpAfter"/>, which is shorter: a
/// coordinator cut off from the store stops hosting sweeps before a standby can take the lock, never after.
/// (Should both still write for a moment, the journal's unique (persistence id, sequence number) refuses the second
/// writer's event, and that sweep recovers from the journal.)
/// </summary>
public sealed class StoreLease : IDisposable
{
    /// <summary>The advisory lock's key: "RUNR". One per database, so one active coordinator per store.</summary>
    const long Key = 0x52554E52;
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HolderGivesUpAfter = TimeSpan.FromSeconds(3);
    /// <summary>Keepalive idle 2 s, then 3 probes a second apart; unacknowledged data for 5 s (tcp_user_timeout).</summary>
    public static readonly TimeSpan ServerGivesUpAfter = TimeSpan.FromSeconds(5);

    readonly NpgsqlConnection _session;
    readonly CancellationTokenSource _stop = new();
    readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes, with the reason, when this process may no longer count itself the store's writer.</summary>
    public Task<string> Lost => _lost.Task;

    StoreLease(NpgsqlConnection session)
    {
        _session = session;
        _ = Task.Run(Watch);
    }

    /// <summary>Takes the lease if nobody holds it; null if another coordinator does.</summary>
    /// <param name="holder">how other coordinators name this one ("HOST:PORT"), in the database's activity list</param>
    /// <exception cref="NpgsqlException">the store cannot be reached</exception>
    public static StoreLease? TryTake(StoreLocation store, string holder)
    {
        var session = Open(store, "runner coordinator " + holder);
        try
        {
            using var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({Key})", session);
            if ((bool)take.ExecuteScalar()!) return new StoreLease(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        session.Dispose();
        return null;
    }

    /// <summary>Who holds the lease, as the database knows it ("runner coordinator HOST:PORT, connected since …"), or null.</summary>
    public static string? Holder(StoreLocation store)
    {
        using var session = Open(store, "runner");
        using var who = new NpgsqlCommand("""
            SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = @key AND l.objsubid = 1 AND l.granted
            """, session);
        who.Parameters.AddWithValue("key", (long)Key);
        using var row = who.ExecuteReader();
        return row.Read() ? $"{row.GetString(0)}, holding it since {row.GetDateTime(1).ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC" : null;
    }

    /// <summary>
    /// An unpooled session (closing it must end it, and the lock with it) that the server drops soon after its client
    /// disappears.
    /// </summary>
    static NpgsqlConnection Open(StoreLocation store, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(store.PostgresConnection ?? throw new ArgumentException("a lease needs a PostgreSQL store"))
        {
            Pooling = false, ApplicationName = applicationName, Timeout = 5, CommandTimeout = (int)HolderGivesUpAfter.TotalSeconds,
            Options = "-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=5000",
        };
        var session = new NpgsqlConnection(builder.ToString());
        session.Open();
        return session;
    }

    async Task Watch()
    {
        var lastGood = DateTime.UtcNow;
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(CheckEvery, _stop.Token); }
            catch (OperationCanceledException) { return; }
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var left = HolderGivesUpAfter - (DateTime.UtcNow - lastGood);
                timeout.CancelAfter(left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
                await using var check = new NpgsqlCommand("SELECT 1", _session);
                await check.ExecuteScalarAsync(timeout.Token);
                lastGood = DateTime.UtcNow;
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                // A failed check may have been the network or the server: either way the lock may be gone, or go soon.
                _lost.TrySetResult(e is OperationCanceledException ? $"the store did not answer for {HolderGivesUpAfter.TotalSeconds:F0} s" : $"the store's session failed ({e.Message})");
                return;
            }
        }
    }

    /// <summary>Gives the lease up (closing the session frees the lock).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try { _session.Dispose(); }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException) { /* the session is gone either way */ }
    }
}
