using Runner.Cluster.Protocol;
using Runner.Sweeps;

namespace Runner.Cluster.SweepActors;

/// <summary>
/// A sweep's trial queue and the state of every trial, built only from its events (<see cref="Apply"/>), plus the
/// decisions that produce new events. No actor, no I/O: the SweepActor persists what the decisions return and then
/// applies it, and replaying the journal into a fresh state gives the same state.
/// <para>
/// Rules: trials are handed out in plan order; a trial's attempts are numbered 1, 2, ...; the first completion of a
/// trial is recorded and every later one ignored (a lost worker that comes back late); after <c>MaxFailures</c>
/// failed attempts a trial is failed with the last reason and the sweep goes on.
/// </para>
/// <para>
/// Pretrained bases are tasks of the sweep too (<see cref="Bases"/>): one per distinct pretraining of its trials
/// (<see cref="TrialSpec.PretrainTaskId"/>), started, retried and recorded with the same events as trials, and
/// handed out before any trial. A trial that needs a base waits until the base is built (scratch trials and trials
/// of other bases run meanwhile); a base that fails for good fails the trials still waiting for it.
/// </para>
/// <para>
/// A search (<see cref="Search"/>) starts with no trials: <see cref="Propose"/> decides the next configuration when
/// a worker wants work and none is pending, and the <see cref="SweepEvents.Proposed"/> event adds its trials to the
/// plan's end. The sweep is finished once the search has proposed everything and every trial ended.
/// </para>
/// </summary>
public sealed class SweepState
{
    readonly List<TrialState> _order = new();
    readonly Dictionary<string, TrialState> _trials = new();
    /// <summary>The pretraining tasks, by task id, in the order their first trial appears in the plan.</summary>
    readonly Dictionary<string, TrialState> _bases = new();
    /// <summary>The feature cache each worker used last (see <see cref="StartNext"/>).</summary>
    readonly Dictionary<string, string> _lastCacheOf = new();
    /// <summary>
    /// No trial before this position in plan order is pending: where the search for the next trial starts, so that
    /// handing out a 10,000-trial sweep does not rescan the started ones each time. Lowered when a trial goes back to
    /// the queue; a search hint only, never part of what the state means.
    /// </summary>
    int _firstPending;
    readonly Dictionary<string, int> _position = new();

    public string SweepId { get; private set; } = "";
    public string Name { get; private set; } = "";
    public int MaxFailures { get; private set; } = 1;
    public bool IsSubmitted { get; private set; }
    public bool IsCancelled { get; private set; }
    public DateTime SubmittedAt { get; private set; }
    public EarlyStopSpec? EarlyStop { get; private set; }
    /// <summary>Which workers may run its trials (resources.device; see DeviceNames.Serves).</summary>
    public string Device { get; private set; } = DeviceNames.Auto;
    /// <summary>The search that proposes this sweep's trials (null: they were all listed at submission).</summary>
    public SearchState? Search { get; private set; }
    /// <summary>Submitted with --rerun: proposals never reuse stored results either.</summary>
    public bool Rerun { get; private set; }

    public IReadOnlyList<TrialState> Trials => _order;
    public IEnumerable<TrialState> Bases => _bases.Values;
    /// <summary>A trial (never a base task: tables, counts and the results store hold trials only).</summary>
    public TrialState? Find(string trialId) => _trials.GetValueOrDefault(trialId);
    /// <summary>A trial or a base task: what events and reports name.</summary>
    public TrialState? FindTask(string taskId) => _trials.GetValueOrDefault(taskId) ?? _bases.GetValueOrDefault(taskId);
    public bool IsBase(string taskId) => _bases.ContainsKey(taskId);
    /// <summary>The base a trial starts from, once built: the SHA-256 of its checkpoint in the artifact store.</summary>
    public string? BaseOf(TrialSpec spec) => spec.PretrainTaskId is { } b && _bases.TryGetValue(b, out var task) ? task.Result?.BaseSha256 : null;
    public bool IsFinished => IsSubmitted && (IsCancelled || Search?.IsDone != false) && _order.All(t => t.IsFinal);
    /// <summary>Trials a search has still to propose (0 once cancelled).</summary>
    public int Unproposed => IsCancelled ? 0 : Search?.Unproposed ?? 0;
    public int Count(TrialStatus status) => _order.Count(t => t.Status == status);
    public int Count(Func<TrialStatus, bool> which) => _order.Count(t => which(t.Status));

    /// <summary>Updates the state with one recorded event. Must accept every event ever written.</summary>
    public void Apply(IRunnerMessage e)
    {
        switch (e)
        {
            case SweepEvents.Submitted s:
                (SweepId, Name, MaxFailures, IsSubmitted, SubmittedAt, EarlyStop, Device) = (s.SweepId, s.Name, Math.Max(1, s.MaxFailures), true, s.At, s.EarlyStop, s.Device ?? DeviceNames.Auto);
                Rerun = s.Rerun;
                if (s.Search != null) Search = new SearchState(s.Search, FindTask);
                Add(s.Trials);
                break;
            case SweepEvents.Proposed p when Search != null:
                Add(p.Trials);
                Search.Apply(p);
                break;
            case SweepEvents.TrialsStarted b:
                foreach (var started in b.Starts) Apply(started);
                break;
            case SweepEvents.TrialsCompleted b:
                foreach (var completed in b.Completions) Apply(completed);
                break;
            case SweepEvents.TrialStarted s when FindTask(s.TrialId) is { IsFinal: false } t:
                (t.Status, t.Attempts, t.Worker) = (TrialStatus.Running, s.Attempt, s.Worker);
                if (!IsBase(t.Id) && t.Spec.FrozenFeaturesKey is { } key) _lastCacheOf[s.Worker] = key;
                break;
            case SweepEvents.TrialCompleted c when FindTask(c.TrialId) is { } t && !t.Status.HasResult():
                (t.Status, t.Result, t.Worker) = (c.Result.Status.HasResult() ? c.Result.Status : TrialStatus.Completed, c.Result, c.Worker);
                if (IsBase(t.Id)) _firstPending = 0;   // its trials are ready now
                break;
            case SweepEvents.TrialAttemptFailed f when FindTask(f.TrialId) is { IsFinal: false } t && f.Attempt == t.Attempts:
                t.LastFailure = f.Reason;
                t.Worker = null;
                t.Status = t.Attempts >= MaxFailures ? TrialStatus.Failed : TrialStatus.Pending;
                if (IsBase(t.Id))
                {
                    if (t.Status == TrialStatus.Failed) FailWaitingFor(t);
                }
                else if (t.Status == TrialStatus.Pending) _firstPending = Math.Min(_firstPending, _position[t.Id]);
                break;
            case SweepEvents.Cancelled:
                IsCancelled = true;
                foreach (var t in _order.Where(t => !t.IsFinal)) t.Status = TrialStatus.Cancelled;
                break;
        }
    }

    /// <summary>
    /// New trials at the plan's end. A trial the sweep already has is not added twice; a tuned winner's run that is
    /// one of the search's own trials (its seed is in seeds_after too) is marked as such.
    /// </summary>
    void Add(IEnumerable<TrialSpec> specs)
    {
        foreach (var spec in specs)
        {
            var trial = new TrialState(spec);
            if (!_trials.TryAdd(trial.Id, trial))
            {
                if (spec.TunedBy != null && _trials[trial.Id] is { Spec.TunedBy: null } known) known.Spec = known.Spec with { TunedBy = spec.TunedBy };
                continue;
            }
            _position[trial.Id] = _order.Count;
            _order.Add(trial);
            AddBaseOf(spec);
        }
    }

    void AddBaseOf(TrialSpec spec)
    {
        if (spec.PretrainTaskId is { } id && !_bases.ContainsKey(id)) _bases[id] = new TrialState(spec, id);
    }

    /// <summary>A base that will never be built fails the trials waiting for it (a consequence of its last failed attempt, not an event of its own).</summary>
    void FailWaitingFor(TrialState baseTask)
    {
        foreach (var t in _order.Where(t => t.Status == TrialStatus.Pending && t.Spec.PretrainTaskId == baseTask.Id))
        {
            t.Status = TrialStatus.Failed;
            t.LastFailure = $"its pretrained base could not be built: {baseTask.LastFailure}";
        }
    }

    /// <summary>Whether a pending trial can start: it needs no base, or its base is built.</summary>
    bool Ready(TrialState t) => t.Spec.PretrainTaskId is not { } b || _bases[b].Status.HasResult();

    /// <summary>This state as a snapshot: applying the events after it to <see cref="Restore"/>d state gives this state plus them.</summary>
    public SweepSnapshot ToSnapshot() => new(SweepId, Name, MaxFailures, SubmittedAt, EarlyStop, Device, IsCancelled,
        _order.Select(SnapshotOf).ToArray(), new Dictionary<string, string>(_lastCacheOf), _bases.Values.Select(SnapshotOf).ToArray(),
        Search?.Plan, Search?.ToSnapshot(), Rerun);

    static SweepSnapshot.Trial SnapshotOf(TrialState t) => new(t.Spec, t.Status, t.Attempts, t.Worker, t.LastFailure, t.Result, t.Id);

    static TrialState StateOf(SweepSnapshot.Trial t) =>
        new(t.Spec, t.Id) { Status = t.Status, Attempts = t.Attempts, Worker = t.Worker, LastFailure = t.LastFailure, Result = t.Result };

    /// <summary>Replaces this state with a snapshot's (at recovery, before the events after it are applied).</summary>
    public void Restore(SweepSnapshot s)
    {
        (SweepId, Name, MaxFailures, SubmittedAt, EarlyStop, Device, IsCancelled, IsSubmitted, Rerun) =
            (s.SweepId, s.Name, s.MaxFailures, s.SubmittedAt, s.EarlyStop, s.Device, s.Cancelled, true, s.Rerun);
        _order.Clear();
        _trials.Clear();
        _position.Clear();
        _lastCacheOf.Clear();
        _bases.Clear();
        _firstPending = 0;
        foreach (var t in s.Trials)
        {
            var trial = StateOf(t);
            _trials[trial.Id] = trial;
            _position[trial.Id] = _order.Count;
            _order.Add(trial);
        }
        foreach (var (worker, key) in s.LastCacheOf) _lastCacheOf[worker] = key;
        // Snapshots from before bases were tasks have none: the trials' specs say which bases there are.
        foreach (var b in s.Bases ?? Array.Empty<SweepSnapshot.Trial>()) _bases[b.Id!] = StateOf(b);
        foreach (var t in _order) AddBaseOf(t.Spec);
        Search = s.Search == null ? null : new SearchState(s.Search, FindTask);
        Search?.Restore(s.Proposals ?? Array.Empty<SweepSnapshot.Proposal>());
    }

    /// <summary>
    /// After a restart, trials that were dispatched but never finished go back to the queue; their next attempt gets
    /// the next number. Nothing is recorded for this: the journal already says the attempt started.
    /// </summary>
    public void RequeueUnfinished()
    {
        foreach (var t in _order.Concat(_bases.Values).Where(t => t.Status == TrialStatus.Running))
        {
            t.Status = TrialStatus.Pending;
            t.Worker = null;
        }
        _firstPending = 0;
    }

    /// <summary>Pending trials that can start now, in plan order.</summary>
    IEnumerable<TrialState> Pending()
    {
        while (_firstPending < _order.Count && _order[_firstPending].Status != TrialStatus.Pending) _firstPending++;
        for (int i = _firstPending; i < _order.Count; i++)
            if (_order[i].Status == TrialStatus.Pending && Ready(_order[i])) yield return _order[i];
    }

    /// <summary>Pending base tasks that a pending trial waits for (a base whose trials were all reused is never built).</summary>
    IEnumerable<TrialState> PendingBases()
    {
        if (!_bases.Values.Any(b => b.Status == TrialStatus.Pending)) return Array.Empty<TrialState>();
        var wanted = _order.Where(t => t.Status == TrialStatus.Pending && t.Spec.PretrainTaskId != null).Select(t => t.Spec.PretrainTaskId!).ToHashSet();
        return _bases.Values.Where(b => b.Status == TrialStatus.Pending && wanted.Contains(b.Id));
    }

    /// <summary>Whether anything can be handed out now (a ready trial or a wanted base).</summary>
    public bool HasWork => !IsCancelled && (PendingBases().Any() || Pending().Any() || Search?.CanPropose == true);

    /// <summary>Whether fewer than <paramref name="count"/> trials can start now (a search may then propose more).</summary>
    public bool Wants(int count) => !IsCancelled && !PendingBases().Any() && Pending().Take(count).Count() < count;

    // ----- decisions: they return the events to persist, and change nothing themselves -----

    /// <summary>
    /// The next trial for an idle worker, as the event that starts it; null when nothing is pending. Plan order,
    /// except that a worker gets a trial using the same frozen-prefix features (same base and freeze depth) as its
    /// last one when any is pending: it already holds that cache.
    /// </summary>
    public SweepEvents.TrialStarted? StartNext(string worker, DateTime now) => StartNext(worker, 1, now).FirstOrDefault();

    /// <summary>
    /// Up to <paramref name="count"/> trials for one worker, chosen as <paramref name="count"/> calls of
    /// <see cref="StartNext(string, DateTime)"/> would choose them one after another (each start changes which
    /// cache the worker holds); empty when nothing is pending.
    /// </summary>
    public IReadOnlyList<SweepEvents.TrialStarted> StartNext(string worker, int count, DateTime now)
    {
        var starts = new List<SweepEvents.TrialStarted>();
        if (IsCancelled) return starts;
        // A base first, alone: every trial waiting for it waits on it.
        if (PendingBases().FirstOrDefault() is { } baseTask)
        {
            starts.Add(new SweepEvents.TrialStarted(SweepId, baseTask.Id, baseTask.Attempts + 1, worker, now));
            return starts;
        }
        var chosen = new HashSet<string>();
        _lastCacheOf.TryGetValue(worker, out var key);
        while (starts.Count < count)
        {
            var pending = Pending().Where(t => !chosen.Contains(t.Id));
            var next = (key == null ? null : pending.FirstOrDefault(t => t.Spec.FrozenFeaturesKey == key)) ?? pending.FirstOrDefault();
            if (next == null) break;
            chosen.Add(next.Id);
            key = next.Spec.FrozenFeaturesKey ?? key;
            starts.Add(new SweepEvents.TrialStarted(SweepId, next.Id, next.Attempts + 1, worker, now));
        }
        return starts;
    }

    /// <summary>The search's next configuration (its trials join the queue once applied); null when none is due.</summary>
    public SweepEvents.Proposed? Propose() => IsCancelled ? null : Search?.Next(SweepId);

    /// <summary>A worker reports a result. Null (record nothing) when the trial already has one or is unknown.</summary>
    public SweepEvents.TrialCompleted? Complete(string trialId, int attempt, string worker, TrialResult result) =>
        FindTask(trialId) is { } t && !t.Status.HasResult() && t.Status != TrialStatus.Cancelled
            ? new SweepEvents.TrialCompleted(SweepId, trialId, attempt, worker, result)
            : null;

    /// <summary>An attempt failed. Null when it is not the trial's current attempt (stale news of an older one).</summary>
    public SweepEvents.TrialAttemptFailed? Fail(string trialId, int attempt, string reason, DateTime now) =>
        FindTask(trialId) is { IsFinal: false } t && t.Attempts == attempt && t.Status == TrialStatus.Running
            ? new SweepEvents.TrialAttemptFailed(SweepId, trialId, attempt, reason, now)
            : null;

    /// <summary>Every running attempt on a worker that is gone fails with the given reason.</summary>
    public IReadOnlyList<SweepEvents.TrialAttemptFailed> WorkerLost(string worker, string reason, DateTime now) =>
        _order.Concat(_bases.Values).Where(t => t.Status == TrialStatus.Running && t.Worker == worker)
            .Select(t => new SweepEvents.TrialAttemptFailed(SweepId, t.Id, t.Attempts, reason, now)).ToList();
}
