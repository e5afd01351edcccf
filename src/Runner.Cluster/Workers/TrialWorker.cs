using Akka.Actor;
using Akka.Event;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Workers;

/// <summary>
/// One device's worker. It runs each assigned trial on its training thread, streams epochs to whoever assigned the
/// trial, reports the outcome there, and tells the pool it is idle again. A cancellation stops training between
/// batches.
/// <para>
/// Very short trials (the bookkeeping benchmark's, or a sweep of tiny ones) would spend more on messages and journal
/// writes than on training, so the worker asks for as many as take about <see cref="BatchSeconds"/> by its recent
/// trials' times (at most <see cref="MaxBatch"/>), runs them back to back and reports their results together. Real
/// trials take seconds or more: the worker then asks for one at a time, streams every epoch and reports each result
/// at once, exactly as without batches.
/// </para>
/// </summary>
public sealed class TrialWorker : ReceiveActor, IWithTimers
{
    /// <summary>About this much work is asked for at once (a short time, so no worker sits on trials another could run).</summary>
    public const double BatchSeconds = 0.05;
    public const int MaxBatch = 100;
    /// <summary>Results of a batch wait at most this long to be sent together.</summary>
    static readonly TimeSpan SendAfter = TimeSpan.FromMilliseconds(20);

    // From the training thread to this actor only: never serialized.
    sealed record Finished(Assignment Job, Runner.Sweeps.TrialResult Result, TimeSpan Took) : INoSerializationVerificationNeeded;
    sealed record Crashed(Assignment Job, string Reason) : INoSerializationVerificationNeeded;
    sealed record Stopped(Assignment Job) : INoSerializationVerificationNeeded;
    sealed record Epoch(Assignment Job, Runner.Sweeps.EpochMetrics Metrics) : INoSerializationVerificationNeeded;
    sealed class SendResults : INoSerializationVerificationNeeded
    {
        public static readonly SendResults Instance = new();
    }

    /// <summary>
    /// Sent to itself while idle with no answer: the pool asked a sweep on this worker's behalf and neither a trial
    /// nor "nothing" came back (the sweep's actor stopped in between, when its journal failed). Saying "idle" again
    /// lets the pool ask again; a late answer meets a busy worker and its attempt goes back to the queue.
    /// </summary>
    sealed class StillIdle : INoSerializationVerificationNeeded
    {
        public static readonly StillIdle Instance = new();
    }

    static readonly TimeSpan AskAgainAfter = TimeSpan.FromSeconds(15);

    readonly string _name;
    readonly string _device;
    readonly IActorRef _pool;
    readonly TrialExecutor _execute;
    readonly TrainingThread _thread;
    readonly Queue<Assignment> _queued = new();
    Assignment? _current;
    IActorRef _reportTo = ActorRefs.Nobody;
    /// <summary>False while running a batch: its trials last milliseconds, and each result carries every epoch.</summary>
    bool _streamEpochs = true;
    CancellationTokenSource? _cancel;
    /// <summary>Set by the actor when the sweep stops the running trial early; read by the training thread after each epoch.</summary>
    volatile bool _stopAfterEpoch;
    /// <summary>Results of this batch not yet sent, in the order the trials ended.</summary>
    readonly List<ReportCompleted> _unsent = new();
    DateTime _unsentSince;
    /// <summary>Recent trials' time (moving average); unknown at first, which asks for one trial.</summary>
    double _trialSeconds = double.PositiveInfinity;
    readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);
    readonly int _threads;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="threads">torch threads its trials use (0: not known), for the pool's list of workers</param>
    public static Props Props(string name, string device, IActorRef pool, TrialExecutor execute, int threads = 0) =>
        Akka.Actor.Props.Create(() => new TrialWorker(name, device, pool, execute, threads));

    public TrialWorker(string name, string device, IActorRef pool, TrialExecutor execute, int threads = 0)
    {
        (_name, _device, _pool, _execute, _threads) = (name, device, pool, execute, threads);
        _thread = new TrainingThread($"trials-{name}");

        Receive<Assignment>(job => Accept(new[] { job }));
        Receive<Assignments>(batch => Accept(batch.Jobs));
        // The pool asked a sweep on our behalf and it had nothing: let the pool try another one.
        Receive<NoTrial>(n =>
        {
            Timers.Cancel(StillIdle.Instance);
            _pool.Tell(new PoolMessages.NothingFrom(_name, n.SweepId, n.Finished));
        });
        Receive<StillIdle>(_ =>
        {
            if (_current == null && _queued.Count == 0) SayIdle();
        });
        // Reports are not retried (a lost worker's trials are re-queued instead), so acknowledgements need no action.
        Receive<ReportAck>(_ => { });
        Receive<Epoch>(e => _reportTo.Tell(new WorkerMessages.EpochReported(e.Job.SweepId, e.Job.TrialId, e.Job.Attempt, _name, e.Metrics)));
        Receive<Finished>(f =>
        {
            if (_current != f.Job) return;
            double took = f.Took.TotalSeconds;
            _trialSeconds = double.IsPositiveInfinity(_trialSeconds) ? took : 0.5 * _trialSeconds + 0.5 * took;
            EndCurrent(f.Job, null);
            if (_unsent.Count == 0) _unsentSince = DateTime.UtcNow;
            _unsent.Add(new ReportCompleted(f.Job.SweepId, f.Job.TrialId, f.Job.Attempt, _name, f.Result));
            if (_queued.Count == 0 || DateTime.UtcNow - _unsentSince >= SendAfter) Send();
            else if (!Timers.IsTimerActive(SendResults.Instance)) Timers.StartSingleTimer(SendResults.Instance, SendResults.Instance, SendAfter);
            RunNext();
        });
        Receive<Crashed>(c => Failed(c.Job, c.Reason));
        Receive<Stopped>(s => Failed(s.Job, "cancelled"));
        Receive<SendResults>(_ => Send());
        Receive<WorkerMessages.StopTrial>(s =>
        {
            if (Is(_current, s.SweepId, s.TrialId)) _stopAfterEpoch = true;
        });
        Receive<WorkerMessages.CancelTrial>(c =>
        {
            if (Is(_current, c.SweepId, c.TrialId)) _cancel?.Cancel();
            else if (_queued.FirstOrDefault(j => Is(j, c.SweepId, c.TrialId)) is { } waiting)
            {
                var rest = _queued.Where(j => j != waiting).ToList();
                _queued.Clear();
                rest.ForEach(_queued.Enqueue);
                _reportTo.Tell(new ReportFailed(waiting.SweepId, waiting.TrialId, waiting.Attempt, "cancelled"));
            }
        });
    }

    protected override void PreStart() => SayIdle();

    void SayIdle()
    {
        _pool.Tell(new WorkerMessages.Idle(_name, _device, Want, _threads));
        Timers.StartSingleTimer(StillIdle.Instance, StillIdle.Instance, AskAgainAfter);
    }

    protected override void PostStop()
    {
        _cancel?.Cancel();
        _thread.Dispose();
        // The executor's resources (a trainer process) live as long as this worker.
        (_execute.Target as IDisposable)?.Dispose();
    }

    static bool Is(Assignment? job, string sweepId, string trialId) => job != null && job.TrialId == trialId && job.SweepId == sweepId;

    /// <summary>How many trials to ask for next: about <see cref="BatchSeconds"/> of them, 1 for anything longer.</summary>
    int Want => _trialSeconds >= BatchSeconds ? 1 : (int)Math.Clamp(BatchSeconds / Math.Max(_trialSeconds, 1e-6), 1, MaxBatch);

    void Accept(Assignment[] jobs)
    {
        Timers.Cancel(StillIdle.Instance);
        if (_current != null || _queued.Count > 0)
        {
            // One batch per device at a time, and only when asked for: the attempts go back to the sweep's queue.
            foreach (var job in jobs) Sender.Tell(new ReportFailed(job.SweepId, job.TrialId, job.Attempt, $"worker {_name} was busy"));
            return;
        }
        (_reportTo, _streamEpochs) = (Sender, jobs.Length == 1);
        foreach (var job in jobs) _queued.Enqueue(job);
        RunNext();
    }

    /// <summary>Starts the next trial of the batch on the training thread, or, when the batch is done, asks for more.</summary>
    void RunNext()
    {
        if (_queued.Count == 0)
        {
            Send();
            _reportTo = ActorRefs.Nobody;
            SayIdle();
            return;
        }
        var job = _queued.Dequeue();
        (_current, _cancel, _stopAfterEpoch) = (job, new CancellationTokenSource(), false);
        var (self, token, stream) = (Self, _cancel.Token, _streamEpochs);
        _thread.Post(() =>
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var result = _execute(job, m =>
                {
                    if (stream) self.Tell(new Epoch(job, m));
                    return !_stopAfterEpoch;
                }, token);
                self.Tell(new Finished(job, result, watch.Elapsed));
            }
            catch (OperationCanceledException) { self.Tell(new Stopped(job)); }
            catch (TrialFailedException e) { self.Tell(new Crashed(job, e.Message)); }
            catch (Exception e) { self.Tell(new Crashed(job, $"{e.GetType().Name}: {e.Message}")); }
        });
    }

    void Failed(Assignment job, string reason)
    {
        if (_current != job) return;
        EndCurrent(job, reason);
        Send();   // results of the batch's earlier trials go first, in order
        _reportTo.Tell(new ReportFailed(job.SweepId, job.TrialId, job.Attempt, reason));
        RunNext();
    }

    /// <summary>Sends the results not yet sent: one report, or one message for several.</summary>
    void Send()
    {
        Timers.Cancel(SendResults.Instance);
        if (_unsent.Count == 0) return;
        _reportTo.Tell(_unsent.Count == 1 ? _unsent[0] : new ReportsCompleted(_unsent[0].SweepId, _name, _unsent.ToArray()));
        _unsent.Clear();
    }

    void EndCurrent(Assignment job, string? failure)
    {
        _cancel?.Dispose();
        (_current, _cancel) = (null, null);
        if (failure != null)
            _log.Warning("Sweep {SweepId} trial {TrialId} attempt {Attempt} on {Worker} failed: {Reason}", job.SweepId, job.TrialId, job.Attempt, _name, failure);
        else if (_streamEpochs)
            _log.Info("Sweep {SweepId} trial {TrialId} attempt {Attempt} on {Worker} finished", job.SweepId, job.TrialId, job.Attempt, _name);
        else
            _log.Debug("Sweep {SweepId} trial {TrialId} attempt {Attempt} on {Worker} finished", job.SweepId, job.TrialId, job.Attempt, _name);
    }
}
