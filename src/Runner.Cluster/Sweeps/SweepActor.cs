using Akka.Actor;
using Akka.Persistence;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Protocol.SweepCommands;

namespace Runner.Cluster.Sweeps;

/// <summary>
/// One sweep, event sourced: it persists every decision of <see cref="SweepState"/> before acting on it, so a
/// coordinator killed at any moment comes back (by replay) with completed trials kept and unfinished ones re-queued.
/// </summary>
public sealed class SweepActor : ReceivePersistentActor
{
    readonly SweepState _state = new();
    readonly Func<DateTime> _clock;

    public override string PersistenceId { get; }

    public static Props Props(string sweepId, Func<DateTime>? clock = null) => Akka.Actor.Props.Create(() => new SweepActor(sweepId, clock));

    public SweepActor(string sweepId, Func<DateTime>? clock)
    {
        PersistenceId = "sweep-" + sweepId;
        _clock = clock ?? (() => DateTime.UtcNow);

        Recover<IRunnerMessage>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => _state.RequeueUnfinished());

        Command<Submit>(c =>
        {
            if (_state.IsSubmitted)
            {
                Sender.Tell(new Accepted(c.SweepId, _state.Trials.Count, AlreadyKnown: true));
                return;
            }
            PersistThen(new SweepEvents.Submitted(c.SweepId, c.Name, c.Trials, c.MaxFailures, _clock()),
                e => Sender.Tell(new Accepted(e.SweepId, _state.Trials.Count, AlreadyKnown: false)));
        });

        Command<RequestTrial>(c =>
        {
            var start = _state.StartNext(c.Worker, _clock());
            if (start == null)
            {
                Sender.Tell(new NoTrial(c.SweepId, _state.IsFinished));
                return;
            }
            PersistThen(start, e => Sender.Tell(new Assignment(e.SweepId, e.TrialId, e.Attempt, _state.Find(e.TrialId)!.Spec)));
        });

        Command<ReportCompleted>(c => Record(_state.Complete(c.TrialId, c.Attempt, c.Worker, c.Result), c.SweepId, c.TrialId));
        Command<ReportFailed>(c => Record(_state.Fail(c.TrialId, c.Attempt, c.Reason, _clock()), c.SweepId, c.TrialId));

        Command<WorkerLost>(c =>
        {
            var events = _state.WorkerLost(c.Worker, c.Reason, _clock());
            if (events.Count > 0) PersistAll(events, e => _state.Apply(e));
        });

        Command<Cancel>(c =>
        {
            if (_state.IsCancelled || _state.IsFinished) Sender.Tell(StatusOf(c.SweepId));
            else PersistThen(new SweepEvents.Cancelled(c.SweepId, _clock()), _ => Sender.Tell(StatusOf(c.SweepId)));
        });

        Command<GetStatus>(c => Sender.Tell(StatusOf(c.SweepId)));
    }

    void Record(IRunnerMessage? e, string sweepId, string trialId)
    {
        if (e == null) Sender.Tell(new ReportAck(sweepId, trialId, Recorded: false));
        else PersistThen(e, _ => Sender.Tell(new ReportAck(sweepId, trialId, Recorded: true)));
    }

    void PersistThen<T>(T e, Action<T> after) where T : IRunnerMessage =>
        Persist(e, persisted =>
        {
            _state.Apply(persisted);
            after(persisted);
        });

    SweepStatus StatusOf(string sweepId) => new(sweepId, _state.Name, _state.Trials.Count, _state.Count(TrialPhase.Pending),
        _state.Count(TrialPhase.Running), _state.Count(TrialPhase.Completed), _state.Count(TrialPhase.Failed),
        _state.Count(TrialPhase.Cancelled), _state.IsSubmitted);
}
