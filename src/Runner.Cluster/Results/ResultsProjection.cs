using Akka.Actor;
using Runner.Results;

namespace Runner.Cluster.Results;

/// <summary>
/// Keeps the <see cref="ResultsStore"/> current. One per coordinator node; SweepActors send it a row for every
/// change they persisted, and all their rows after a recovery (writes are idempotent upserts, and a completed trial
/// is never downgraded), so the store ends up right even if the node died between journal and store.
/// </summary>
public sealed class ResultsProjection : ReceiveActor
{
    public const string Name = "results";

    public static Props Props(ResultsStore store) => Akka.Actor.Props.Create(() => new ResultsProjection(store));

    public ResultsProjection(ResultsStore store)
    {
        Receive<SweepRecord>(store.UpsertSweep);
        Receive<TrialRecord>(store.UpsertTrial);
        // Answers to the wake-up calls the coordinator sends every known sweep at start.
        Receive<Protocol.SweepCommands.SweepStatus>(_ => { });
    }
}
