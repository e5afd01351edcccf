using Runner.Sweeps;
using System.Text.Json;
using Akka.Actor;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Dashboard;

/// <summary>
/// What every open dashboard shows live: each sweep's counts, its running trials with their last epoch, its best
/// result so far, and the workers. One poll a second for the whole coordinator, however many browsers watch (and none
/// while nobody does); a browser is sent a new snapshot only when something changed. That second is also how updates
/// are coalesced: a sweep of 10,000 fast trials sends at most one snapshot a second.
/// </summary>
public sealed class LiveFeed(RunnerNode node)
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public sealed record Snapshot(long Version, string Json);

    public sealed record LiveSweep(SweepStatus Status, DateTime SubmittedAt, RunningTrial[] Running, string? BestTrial, double? BestValue, string? BestParameters, string? BestMetric);

    public sealed record LiveWorker(string Worker, string Device, int Threads, bool Idle, DateTime? LastSeen, string? Sweep, string? Trial, int? Epoch, int? Epochs,
        double? ImagesPerSecond);

    readonly object _gate = new();
    Snapshot _latest = new(0, "");
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _watchers;
    Task? _polling;

    /// <summary>The first snapshot newer than <paramref name="seen"/>; waits for it up to <paramref name="wait"/> (null then).</summary>
    public async Task<Snapshot?> Next(long seen, TimeSpan wait, CancellationToken cancel)
    {
        Task changed;
        lock (_gate)
        {
            if (_latest.Version > seen) return _latest;
            changed = _changed.Task;
        }
        await Task.WhenAny(changed, Task.Delay(wait, cancel));
        cancel.ThrowIfCancellationRequested();
        lock (_gate) return _latest.Version > seen ? _latest : null;
    }

    /// <summary>Counts a watcher in (the poll runs while there is one) until the returned object is disposed.</summary>
    public IDisposable Watch()
    {
        lock (_gate)
        {
            if (_watchers++ == 0 && (_polling == null || _polling.IsCompleted)) _polling = Task.Run(Poll);
        }
        return new Watcher(this);
    }

    sealed class Watcher(LiveFeed feed) : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) lock (feed._gate) feed._watchers--;
        }
    }

    async Task Poll()
    {
        while (true)
        {
            lock (_gate)
                if (_watchers == 0) return;
            try { Publish(await Read()); }
            catch (Exception e) when (e is AskTimeoutException or System.Data.Common.DbException)
            {
                Serilog.Log.Debug("Dashboard: live poll skipped ({Message})", e.Message);
            }
            catch (Exception e)
            {
                // Anything else must not end the poll: open pages would wait for a snapshot that never comes.
                Serilog.Log.Warning(e, "Dashboard: live poll failed");
            }
            await Task.Delay(Every);
        }
    }

    void Publish(string json)
    {
        lock (_gate)
        {
            if (json == _latest.Json) return;
            _latest = new Snapshot(_latest.Version + 1, json);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    async Task<string> Read()
    {
        var sweeps = new List<LiveSweep>();
        foreach (var record in node.Results!.Sweeps())
        {
            var p = await node.Sweeps.Ask<SweepProgress>(new GetProgress(record.SweepId), AskTimeout);
            sweeps.Add(new LiveSweep(p.Status, record.SubmittedAt, p.Running, p.BestTrial, p.BestValue, p.BestParameters, p.BestMetric ?? Objective.Default.Metric));
        }
        var pool = await node.Pool.Ask<PoolMessages.Workers>(new PoolMessages.GetWorkers(), AskTimeout);
        var running = sweeps.SelectMany(s => s.Running.Select(r => (s.Status.SweepId, Trial: r))).ToLookup(r => r.Trial.Worker);
        var workers = pool.All.Select(w =>
        {
            var (sweep, trial) = running[w.Worker].FirstOrDefault();
            // Heard from last: its idle call to the pool, or the last epoch of the trial it runs.
            var lastSeen = new[] { w.LastSeen, trial?.LastReport }.Max();
            return new LiveWorker(w.Worker, w.Device, w.Threads, w.Idle, lastSeen, sweep, trial?.TrialId, trial?.Epoch, trial?.Epochs, trial?.ImagesPerSecond);
        }).ToList();
        return JsonSerializer.Serialize(new { sweeps, workers }, ApiReply.Options);
    }
}
