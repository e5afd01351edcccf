using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Runner.Cluster.Protocol;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.SweepActors;

/// <summary>
/// One sweep, event sourced: it persists every decision of <see cref="SweepState"/> before acting on it, so a
/// coordinator killed at any moment comes back (by replay) with completed trials kept and unfinished ones re-queued.
/// <para>
/// The per-trial decisions (start, completion, failed attempt) are applied to the deciding state at once and written
/// with PersistAsync: the actor goes on deciding while the journal writes them in batches. Nothing anyone outside can
/// see (the assignment to a worker, the acknowledgement of a result, the results rows, the status counts) happens
/// before its event is written: those come from a second state that only written events reach. If the coordinator
/// dies in between, the replayed state simply lacks the unwritten decision, which no one was told about. Sweep-wide
/// events (submit, cancel, lost worker) are persisted before the next command is read.
/// </para>
/// <para>
/// Every <see cref="SnapshotEvery"/> written events it saves the written state as a <see cref="SweepSnapshot"/> (and
/// drops the older snapshots), so a restart reads one snapshot and the events after it instead of the whole history.
/// </para>
/// </summary>
public sealed class SweepActor : ReceivePersistentActor
{
    /// <summary>
    /// Events between snapshots. A 10,000-trial sweep writes about 20,000 events; a snapshot of it takes tens of
    /// milliseconds to write, so this keeps recovery short at a cost of well under 1% of a sweep's bookkeeping.
    /// </summary>
    public const int SnapshotEvery = 1000;
    readonly int _snapshotEvery;
    int _sinceSnapshot;

    /// <summary>What the actor decides with: every decision, written or still being written.</summary>
    readonly SweepState _state = new();
    /// <summary>What others are shown (status, progress, results rows): only events already in the journal.</summary>
    readonly SweepState _written = new();
    readonly Func<DateTime> _clock;
    readonly IActorRef _pool;
    readonly IActorRef _projection;
    /// <summary>Where workers fetch and store artifacts (the coordinator's API), told in every assignment.</summary>
    readonly string? _artifactsUrl;
    /// <summary>Results the results store already has for trials of these ids (a search's proposals reuse them).</summary>
    readonly Func<IEnumerable<string>, IReadOnlyList<TrialResult>> _stored;
    readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);

    /// <summary>
    /// A journal write that fails (the database went away, a disk filled up) stops this actor: what it decided but
    /// could not write must not stand. Sharding starts it again after its back-off (remembered entities, 10 s), and it
    /// recovers from what the journal holds, re-queueing the trials that were running; until the store answers again
    /// every recovery fails the same way and is retried. Said once each, in words, next to Akka's own error.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Sweep {SweepId}: the journal did not take event {SequenceNr} ({Reason}); the sweep restarts from its journal once the store answers",
            _written.SweepId ?? PersistenceId, sequenceNr, cause.Message);
        Context.System.EventStream.Publish(new Hosting.StoreTrouble(_written.SweepId ?? PersistenceId, $"the journal did not take an event: {cause.Message}", DateTime.UtcNow));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "Sweep {PersistenceId}: cannot read its journal ({Reason}); tried again in a few seconds", PersistenceId, reason.Message);
        Context.System.EventStream.Publish(new Hosting.StoreTrouble(PersistenceId, $"the journal cannot be read: {reason.Message}", DateTime.UtcNow));
        base.OnRecoveryFailure(reason, message);
    }
    /// <summary>Who runs each started trial (in memory only: after a restart every running trial is re-queued anyway).</summary>
    readonly Dictionary<string, IActorRef> _runningOn = new();
    /// <summary>The last epoch each running trial reported (live progress only, never persisted).</summary>
    readonly Dictionary<string, (WorkerMessages.EpochReported Report, DateTime At)> _lastEpoch = new();
    /// <summary>ASHA rungs (in memory; rebuilt after a restart from the finished trials' epochs).</summary>
    AshaPolicy? _asha;

    public override string PersistenceId { get; }

    /// <param name="pool">told when trials are waiting (the WorkerPool singleton, or its proxy)</param>
    /// <param name="projection">receives every recorded event, to keep the results store current</param>
    /// <param name="snapshotEvery">events between snapshots (<see cref="SnapshotEvery"/>; tests use fewer)</param>
    /// <param name="artifactsUrl">the coordinator's API as workers reach it (null: workers share its state folder)</param>
    /// <param name="stored">finished results by trial id, from the results store (null: none)</param>
    public static Props Props(string sweepId, IActorRef? pool = null, IActorRef? projection = null, Func<DateTime>? clock = null,
        int snapshotEvery = SnapshotEvery, string? artifactsUrl = null, Func<IEnumerable<string>, IReadOnlyList<TrialResult>>? stored = null) =>
        Akka.Actor.Props.Create(() => new SweepActor(sweepId, pool ?? ActorRefs.Nobody, projection ?? ActorRefs.Nobody, clock, snapshotEvery, artifactsUrl, stored));

    public SweepActor(string sweepId, IActorRef pool, IActorRef projection, Func<DateTime>? clock, int snapshotEvery, string? artifactsUrl,
        Func<IEnumerable<string>, IReadOnlyList<TrialResult>>? stored)
    {
        _artifactsUrl = artifactsUrl;
        _stored = stored ?? (_ => Array.Empty<TrialResult>());
        _snapshotEvery = Math.Max(1, snapshotEvery);
        PersistenceId = "sweep-" + sweepId;
        _clock = clock ?? (() => DateTime.UtcNow);
        (_pool, _projection) = (pool, projection);

        // Recovery: the latest snapshot, then the events after it; then what a restart owes (requeue, re-project).
        Recover<SnapshotOffer>(RecoverSnapshot);
        Recover<IRunnerMessage>(RecoverEvent);
        Recover<RecoveryCompleted>(RecoveryDone);

        // Decisions: each is persisted before anyone hears of it.
        Command<Submit>(OnSubmit);
        Command<RequestTrial>(OnRequestTrial);
        Command<ReportCompleted>(OnReportCompleted);
        Command<ReportsCompleted>(OnReportsCompleted);
        Command<ReportFailed>(c => Record(_state.Fail(c.TrialId, c.Attempt, c.Reason, _clock()), c.SweepId, c.TrialId));
        Command<WorkerLost>(OnWorkerLost);
        Command<Cancel>(OnCancel);

        // Questions, and live progress (kept in memory only: the result carries every epoch).
        Command<GetStatus>(c => Sender.Tell(StatusOf(c.SweepId)));
        Command<GetProgress>(c => Sender.Tell(ProgressOf(c.SweepId)));
        Command<WorkerMessages.EpochReported>(OnEpochReported);

        // Older snapshots are of no use once a newer one is saved; failures only cost a longer recovery.
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Sweep {SweepId}: snapshot not saved (recovery will replay more events)", _written.SweepId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Sweep {SweepId}: old snapshots not deleted", _written.SweepId));
    }

    void RecoverSnapshot(SnapshotOffer offer)
    {
        var snapshot = (SweepSnapshot)offer.Snapshot;
        _state.Restore(snapshot);
        _written.Restore(snapshot);
    }

    void RecoverEvent(IRunnerMessage e)
    {
        _state.Apply(e);
        _written.Apply(e);
    }

    void RecoveryDone(RecoveryCompleted _)
    {
        _state.RequeueUnfinished();
        _written.RequeueUnfinished();
        if (_state.EarlyStop != null)
        {
            _asha = new AshaPolicy(_state.EarlyStop);
            foreach (var t in _state.Trials.Where(t => t.Result != null))
                foreach (var e in t.Result!.Epochs) _asha.ShouldStop(t.Id, e.Epoch, t.Spec.Objective.Score(e));
        }
        // The projection may have missed rows written just before a crash: it upserts, so sending all is safe.
        if (_state.IsSubmitted) ProjectAll();
        AnnounceWork();
    }

    /// <summary>A new sweep is one atomic write (with the results this state folder already has); a known one is acknowledged.</summary>
    void OnSubmit(Submit c)
    {
        if (_state.IsSubmitted)
        {
            Sender.Tell(new Accepted(c.SweepId, _state.Trials.Count + _state.Unproposed, AlreadyKnown: true));
            return;
        }
        // Trials this state folder already finished (same id) are recorded as reused, not run again;
        // the submission and those results are one atomic write.
        var ids = c.Trials.Select(t => t.Id).ToHashSet();
        var events = new List<IRunnerMessage> { new SweepEvents.Submitted(c.SweepId, c.Name, c.Trials, c.MaxFailures, _clock(), c.EarlyStop, c.Device ?? DeviceNames.Auto, c.Search, c.Rerun) };
        if (c.EarlyStop != null) _asha = new AshaPolicy(c.EarlyStop);
        events.AddRange(c.Reused.Where(r => ids.Contains(r.TrialId)).DistinctBy(r => r.TrialId)
            .Select(r => new SweepEvents.TrialCompleted(c.SweepId, r.TrialId, 0, "reused", r)));
        var sender = Sender;
        PersistAll(events, Applied);
        DeferAsync(events, _ =>
        {
            sender.Tell(new Accepted(c.SweepId, _state.Trials.Count + _state.Unproposed, AlreadyKnown: false));
            AnnounceWork();
        });
    }

    /// <summary>A worker asks for work: the next trials (bases first) are recorded as started, then sent to it.</summary>
    void OnRequestTrial(RequestTrial c)
    {
        ProposeFor(Math.Max(1, c.Count));
        var starts = _state.StartNext(c.Worker, Math.Max(1, c.Count), _clock());
        if (starts.Count == 0)
        {
            Sender.Tell(new NoTrial(c.SweepId, _state.IsFinished));
            return;
        }
        var worker = Sender;
        var jobs = starts.Select(AssignmentOf).ToArray();
        // One trial is one event and one Assignment, as before batches existed; several are one of each.
        IRunnerMessage started = starts.Count == 1 ? starts[0] : new SweepEvents.TrialsStarted(c.SweepId, starts.ToArray());
        Decide(started, _ =>
        {
            foreach (var job in jobs) _runningOn[job.TrialId] = worker;
            worker.Tell(jobs.Length == 1 ? jobs[0] : new Assignments(c.SweepId, jobs));
        });
    }

    /// <summary>
    /// A search proposes while fewer than <paramref name="wanted"/> trials could start: each proposal is recorded
    /// (before any of its trials starts), and its trials that the results store already finished are recorded as
    /// reused, so the sampler learns from them at once.
    /// </summary>
    void ProposeFor(int wanted)
    {
        while (_state.Search != null && _state.Wants(wanted) && _state.Propose() is { } proposed)
        {
            Decide(proposed, _ => { });
            if (_state.Rerun) continue;
            var fresh = proposed.Trials.Select(t => t.Id).Where(id => _state.Find(id) is { Status: TrialStatus.Pending, Attempts: 0 }).ToList();
            var reused = fresh.Count == 0 ? Array.Empty<TrialResult>() : _stored(fresh);
            var completions = reused.Where(r => fresh.Contains(r.TrialId)).DistinctBy(r => r.TrialId)
                .Select(r => new SweepEvents.TrialCompleted(proposed.SweepId, r.TrialId, 0, "reused", r)).ToArray();
            if (completions.Length > 0) Decide(new SweepEvents.TrialsCompleted(proposed.SweepId, completions), _ => { });
        }
    }

    void OnReportCompleted(ReportCompleted c)
    {
        var e = _state.Complete(c.TrialId, c.Attempt, c.Worker, c.Result);
        if (e != null) RankForEarlyStop(e);
        Record(e, c.SweepId, c.TrialId);
    }

    void OnReportsCompleted(ReportsCompleted c)
    {
        var completions = new List<SweepEvents.TrialCompleted>();
        foreach (var r in c.Reports.DistinctBy(r => r.TrialId))
            if (_state.Complete(r.TrialId, r.Attempt, r.Worker, r.Result) is { } e) completions.Add(e);
        completions.ForEach(RankForEarlyStop);
        // A search may have a proposal due now that these ended.
        if (completions.Count > 0) Decide(new SweepEvents.TrialsCompleted(c.SweepId, completions.ToArray()), _ => { if (_state.Search != null) AnnounceWork(); });
    }

    void OnWorkerLost(WorkerLost c)
    {
        var events = _state.WorkerLost(c.Worker, c.Reason, _clock());
        if (events.Count > 0) PersistAll(events, Applied);
        if (events.Count > 0) DeferAsync(events, _ => AnnounceWork());
    }

    void OnCancel(Cancel c)
    {
        if (_state.IsCancelled || _state.IsFinished) Sender.Tell(StatusOf(c.SweepId));
        else PersistThen(new SweepEvents.Cancelled(c.SweepId, _clock()), _ =>
        {
            // Stop the trials in flight between batches; their late reports are ignored.
            foreach (var (trialId, worker) in _runningOn) worker.Tell(new WorkerMessages.CancelTrial(c.SweepId, trialId));
            _runningOn.Clear();
            Sender.Tell(StatusOf(c.SweepId));
        });
    }

    /// <summary>A running trial's latest epoch: kept for progress views, and ranked by ASHA, which may stop the trial.</summary>
    void OnEpochReported(WorkerMessages.EpochReported e)
    {
        if (_state.Find(e.TrialId) is not { Status: TrialStatus.Running } t || t.Attempts != e.Attempt) return;
        _lastEpoch[e.TrialId] = (e, DateTime.UtcNow);
        if (_asha != null && _asha.ShouldStop(e.TrialId, e.Metrics.Epoch, t.Spec.Objective.Score(e.Metrics)) && _runningOn.TryGetValue(e.TrialId, out var worker))
        {
            _log.Info("Sweep {SweepId} trial {TrialId} stopped early at epoch {Epoch} (ASHA)", e.SweepId, e.TrialId, e.Metrics.Epoch);
            worker.Tell(new WorkerMessages.StopTrial(e.SweepId, e.TrialId));
        }
    }

    Assignment AssignmentOf(SweepEvents.TrialStarted s)
    {
        var task = _state.FindTask(s.TrialId)!;
        return new Assignment(s.SweepId, s.TrialId, s.Attempt, task.Spec, Pretrain: _state.IsBase(s.TrialId),
            BaseSha256: _state.IsBase(s.TrialId) ? null : _state.BaseOf(task.Spec), ArtifactsUrl: _artifactsUrl);
    }

    /// <summary>
    /// ASHA learns a finished trial's rung values from its result too: a worker running very short trials back to
    /// back does not stream their epochs (see TrialWorker). Values it already saw live are not counted twice.
    /// </summary>
    void RankForEarlyStop(SweepEvents.TrialCompleted c)
    {
        if (_asha == null || _state.Find(c.TrialId) is not { } t) return;
        foreach (var e in c.Result.Epochs) _asha.ShouldStop(c.TrialId, e.Epoch, t.Spec.Objective.Score(e));
    }

    void Record(IRunnerMessage? e, string sweepId, string trialId)
    {
        if (e == null) Sender.Tell(new ReportAck(sweepId, trialId, Recorded: false));
        else
        {
            var sender = Sender;
            Decide(e, _ =>
            {
                sender.Tell(new ReportAck(sweepId, trialId, Recorded: true));
                // A failed attempt goes back to the queue; a built base releases the trials waiting for it; an ended
                // trial may let a search propose.
                if (e is SweepEvents.TrialAttemptFailed || _state.IsBase(trialId) || _state.Search != null) AnnounceWork();
            });
        }
    }

    /// <summary>A per-trial decision: applied now (so the next command sees it), acted on once written.</summary>
    void Decide<T>(T e, Action<T> after) where T : IRunnerMessage
    {
        _state.Apply(e);
        PersistAsync(e, persisted =>
        {
            Written(persisted);
            after(persisted);
        });
    }

    void PersistThen<T>(T e, Action<T> after) where T : IRunnerMessage =>
        Persist(e, persisted =>
        {
            Applied(persisted);
            after(persisted);
        });

    void Applied(IRunnerMessage e)
    {
        _state.Apply(e);
        Written(e);
    }

    /// <summary>What follows an event once it is in the journal: the shown state, the log line and the results rows.</summary>
    void Written(IRunnerMessage e)
    {
        _written.Apply(e);
        Show(e);
        // LastSequenceNr is this event's now, and _written holds exactly the events up to it.
        if (++_sinceSnapshot >= _snapshotEvery)
        {
            _sinceSnapshot = 0;
            SaveSnapshot(_written.ToSnapshot());
        }
    }

    void Show(IRunnerMessage e)
    {
        switch (e)
        {
            case SweepEvents.Submitted s:
                _log.Info("Sweep {SweepId} submitted with {Trials} trials", s.SweepId, s.Trials.Length);
                ProjectAll();
                break;
            case SweepEvents.Cancelled:
                ProjectAll();
                break;
            case SweepEvents.Proposed p:
                _log.Info("Sweep {SweepId}: {What:l} of {Study:l}: {Trials} trial(s)", p.SweepId, p.Final ? "the winner" : $"proposal {p.Number + 1}",
                    _written.Search!.Plan.Studies[p.Study].Label, p.Trials.Length);
                // The sweep's row counts its trials, which a proposal adds to.
                _projection.Tell(new Runner.Results.SweepRecord(_written.SweepId, _written.Name, _written.Trials.Count, _written.SubmittedAt));
                foreach (var t in p.Trials) Project(t.Id);
                break;
            case SweepEvents.TrialStarted s:
                _log.Debug("Sweep {SweepId} trial {TrialId} attempt {Attempt} started on {Worker}", s.SweepId, s.TrialId, s.Attempt, s.Worker);
                _lastEpoch.Remove(s.TrialId);
                Project(s.TrialId);
                break;
            case SweepEvents.TrialsStarted b:
                foreach (var s in b.Starts) Show(s);
                break;
            case SweepEvents.TrialCompleted c:
                _log.Info("Sweep {SweepId} trial {TrialId} attempt {Attempt} completed on {Worker}", c.SweepId, c.TrialId, c.Attempt, c.Worker);
                TrialEnded(c.TrialId);
                break;
            case SweepEvents.TrialsCompleted b:
                // One line for the batch at info (they are trials of a few milliseconds each), each trial at debug.
                _log.Info("Sweep {SweepId}: {Count} trials completed on {Worker}", b.SweepId, b.Completions.Length, b.Completions[0].Worker);
                foreach (var c in b.Completions)
                {
                    _log.Debug("Sweep {SweepId} trial {TrialId} attempt {Attempt} completed on {Worker}", c.SweepId, c.TrialId, c.Attempt, c.Worker);
                    TrialEnded(c.TrialId);
                }
                break;
            case SweepEvents.TrialAttemptFailed f:
                _log.Warning("Sweep {SweepId} {Task} {TrialId} attempt {Attempt} failed: {Reason}", f.SweepId, _written.IsBase(f.TrialId) ? "base" : "trial",
                    f.TrialId, f.Attempt, f.Reason);
                TrialEnded(f.TrialId);
                // A base that failed for good failed the trials waiting for it.
                if (_written.FindTask(f.TrialId) is { Status: TrialStatus.Failed } && _written.IsBase(f.TrialId)) ProjectAll();
                break;
        }
    }

    /// <summary>An attempt is over: forget its worker and live progress, and update its row.</summary>
    void TrialEnded(string trialId)
    {
        _lastEpoch.Remove(trialId);
        _runningOn.Remove(trialId);
        Project(trialId);
    }

    void ProjectAll()
    {
        _projection.Tell(new Runner.Results.SweepRecord(_written.SweepId, _written.Name, _written.Trials.Count, _written.SubmittedAt));
        foreach (var t in _written.Trials) Project(t.Id);
    }

    void Project(string trialId)
    {
        if (_written.Find(trialId) is not { } t) return;
        _projection.Tell(new Runner.Results.TrialRecord(_written.SweepId, t.Id, t.Status, t.Attempts,
            t.Worker, t.Spec, t.Result, t.LastFailure));
    }

    void AnnounceWork()
    {
        if (_state.IsSubmitted && _state.HasWork)
            _pool.Tell(new PoolMessages.SweepHasWork(_state.SweepId, _state.Device));
    }

    SweepProgress ProgressOf(string sweepId)
    {
        // Bases being built show as running tasks too: trials wait on them.
        var running = _written.Bases.Concat(_written.Trials).Where(t => t.Status == TrialStatus.Running).Select(t =>
        {
            var last = _lastEpoch.TryGetValue(t.Id, out var l) ? l.Report : null;
            bool isBase = _written.IsBase(t.Id);
            return new RunningTrial(t.Id, t.Worker ?? "", t.Attempts, last?.Metrics.Epoch ?? 0, isBase ? t.Spec.Pretrain!.Epochs : t.Spec.Epochs,
                last?.Metrics.ValAccuracy, last?.Metrics.ImagesPerSecond, isBase ? $"pretraining the base ({t.Spec.Model}, {t.Spec.Pretrain!.Epochs} epochs, seed {t.Spec.Pretrain.Seed})" : t.Spec.Describe(),
                last == null ? null : l.At);
        }).ToArray();
        // Best by each trial's objective (one per sweep): its best epoch's value on validation.
        var best = _written.Trials.Where(t => t.Result != null && double.IsFinite(t.Spec.Objective.Score(t.Result))).MaxBy(t => t.Spec.Objective.Score(t.Result!));
        return new SweepProgress(StatusOf(sweepId), running, best?.Id, best == null ? null : best.Spec.Objective.ValueOf(best.Result!),
            best?.Spec.Describe(), best?.Spec.Objective.Metric);
    }

    /// <summary>Counts for status displays; "completed" counts every trial with a result (stopped and diverged too).</summary>
    SweepStatus StatusOf(string sweepId) => new(sweepId, _written.Name, _written.Trials.Count + _written.Unproposed, _written.Count(TrialStatus.Pending),
        _written.Count(TrialStatus.Running), _written.Count(TrialStatuses.HasResult), _written.Count(TrialStatus.Failed),
        _written.Count(TrialStatus.Cancelled), _written.IsSubmitted, _written.Bases.Count(), _written.Bases.Count(b => b.Status.HasResult()),
        _written.Bases.Where(b => b.Result?.BaseSha256 != null).Select(b => b.Result!.BaseSha256!).Distinct().ToArray(), _written.Unproposed);
}
