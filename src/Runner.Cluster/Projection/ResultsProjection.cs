using Akka.Actor;
using Runner.Results;

namespace Runner.Cluster.Projection;

/// <summary>
/// Keeps the <see cref="ResultsStore"/> current. One per coordinator node; SweepActors send it a row for every
/// change they persisted, and all their rows after a recovery (writes are idempotent upserts, and a completed trial
/// is never downgraded), so the store ends up right even if the node died between journal and store.
/// Rows are written in batches (group commit): the first row of a batch queues a flush behind whatever is already in
/// the mailbox, so a burst of rows becomes one transaction instead of one commit per row. A <see cref="Sync"/> writes
/// what is waiting at once and answers: a caller that saw a sweep end (its actor replies before this actor has written
/// the last rows it was sent) reads the store after that.
/// </summary>
public sealed class ResultsProjection : ReceiveActor
{
    public const string Name = "results";

    sealed class Flush : INoSerializationVerificationNeeded
    {
        public static readonly Flush Instance = new();
    }

    /// <summary>Asks for every row sent here before it to be in the store; answered with <see cref="Written"/>.</summary>
    public sealed class Sync : INoSerializationVerificationNeeded
    {
        public static readonly Sync Instance = new();
    }

    public sealed class Written : INoSerializationVerificationNeeded
    {
        public static readonly Written Instance = new();
    }

    readonly List<object> _batch = new();

    public static Props Props(ResultsStore store) => Akka.Actor.Props.Create(() => new ResultsProjection(store));

    public ResultsProjection(ResultsStore store)
    {
        Receive<SweepRecord>(Add);
        Receive<TrialRecord>(Add);
        Receive<Flush>(_ => Write(store));
        Receive<Sync>(_ =>
        {
            Write(store);
            Sender.Tell(Written.Instance);
        });
    }

    void Write(ResultsStore store)
    {
        if (_batch.Count == 0) return;
        store.Write(_batch);
        _batch.Clear();
    }

    void Add(object row)
    {
        if (_batch.Count == 0) Self.Tell(Flush.Instance);
        _batch.Add(row);
    }
}
