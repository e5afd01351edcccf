using Akka.Actor;
using Akka.Event;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Protocol.SweepCommands;

namespace Runner.Cluster.Workers;

/// <summary>
/// One device's worker. It runs each assigned trial on a dedicated thread of its own (training must never block an
/// actor dispatcher, and TorchSharp's dispose scopes are thread-bound), streams epochs to whoever assigned the trial,
/// reports the outcome there, and tells the pool it is idle again. A cancellation stops training between batches.
/// </summary>
public sealed class TrialWorker : ReceiveActor
{
    // From the training thread to this actor only: never serialized.
    sealed record Finished(Assignment Job, Runner.Sweeps.TrialResult Result) : INoSerializationVerificationNeeded;
    sealed record Crashed(Assignment Job, string Reason) : INoSerializationVerificationNeeded;
    sealed record Stopped(Assignment Job) : INoSerializationVerificationNeeded;
    sealed record Epoch(Assignment Job, Runner.Sweeps.EpochMetrics Metrics) : INoSerializationVerificationNeeded;

    readonly string _name;
    readonly string _device;
    readonly IActorRef _pool;
    readonly TrialExecutor _execute;
    Assignment? _current;
    IActorRef _reportTo = ActorRefs.Nobody;
    CancellationTokenSource? _cancel;
    /// <summary>Set by the actor when the sweep stops the running trial early; read by the training thread after each epoch.</summary>
    volatile bool _stopAfterEpoch;
    readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);

    public static Props Props(string name, string device, IActorRef pool, TrialExecutor execute) =>
        Akka.Actor.Props.Create(() => new TrialWorker(name, device, pool, execute));

    public TrialWorker(string name, string device, IActorRef pool, TrialExecutor execute)
    {
        (_name, _device, _pool, _execute) = (name, device, pool, execute);

        Receive<Assignment>(job =>
        {
            if (_current != null)
            {
                // One trial per device at a time; the attempt goes back to the sweep's queue.
                Sender.Tell(new ReportFailed(job.SweepId, job.TrialId, job.Attempt, $"worker {_name} was busy"));
                return;
            }
            (_current, _reportTo, _cancel, _stopAfterEpoch) = (job, Sender, new CancellationTokenSource(), false);
            StartThread(job, _cancel.Token);
        });
        // The pool asked a sweep on our behalf and it had nothing: let the pool try another one.
        Receive<NoTrial>(n => _pool.Tell(new PoolMessages.NothingFrom(_name, n.SweepId, n.Finished)));
        Receive<Epoch>(e => _reportTo.Tell(new WorkerMessages.EpochReported(e.Job.SweepId, e.Job.TrialId, e.Job.Attempt, _name, e.Metrics)));
        Receive<Finished>(f => Done(f.Job, new ReportCompleted(f.Job.SweepId, f.Job.TrialId, f.Job.Attempt, _name, f.Result)));
        Receive<Crashed>(c => Done(c.Job, new ReportFailed(c.Job.SweepId, c.Job.TrialId, c.Job.Attempt, c.Reason)));
        Receive<Stopped>(s => Done(s.Job, new ReportFailed(s.Job.SweepId, s.Job.TrialId, s.Job.Attempt, "cancelled")));
        Receive<WorkerMessages.StopTrial>(s =>
        {
            if (_current != null && _current.TrialId == s.TrialId && _current.SweepId == s.SweepId) _stopAfterEpoch = true;
        });
        Receive<WorkerMessages.CancelTrial>(c =>
        {
            if (_current != null && _current.TrialId == c.TrialId && _current.SweepId == c.SweepId) _cancel?.Cancel();
        });
    }

    protected override void PreStart() => _pool.Tell(new WorkerMessages.Idle(_name, _device));

    protected override void PostStop() => _cancel?.Cancel();

    void StartThread(Assignment job, CancellationToken token)
    {
        var self = Self;
        var thread = new Thread(() =>
        {
            try
            {
                var result = _execute(job.Spec, m => { self.Tell(new Epoch(job, m)); return !_stopAfterEpoch; }, token);
                self.Tell(new Finished(job, result));
            }
            catch (OperationCanceledException) { self.Tell(new Stopped(job)); }
            catch (Exception e) { self.Tell(new Crashed(job, $"{e.GetType().Name}: {e.Message}")); }
        })
        {
            IsBackground = true,
            Name = $"trial-{job.TrialId}-{job.Attempt}",
        };
        thread.Start();
    }

    void Done(Assignment job, ISweepCommand report)
    {
        if (_current != job) return;
        if (report is ReportFailed failed)
            _log.Warning("Sweep {SweepId} trial {TrialId} attempt {Attempt} on {Worker} failed: {Reason}", job.SweepId, job.TrialId, job.Attempt, _name, failed.Reason);
        else
            _log.Info("Sweep {SweepId} trial {TrialId} attempt {Attempt} on {Worker} finished", job.SweepId, job.TrialId, job.Attempt, _name);
        _reportTo.Tell(report);
        _cancel?.Dispose();
        (_current, _cancel, _reportTo) = (null, null, ActorRefs.Nobody);
        _pool.Tell(new WorkerMessages.Idle(_name, _device));
    }
}
