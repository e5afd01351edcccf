using Akka.Actor;

namespace Runner.Cluster.Hosting;

/// <summary>A sweep's journal refused a write or a read (the sweep actor says so on its node's event stream).</summary>
public sealed record StoreTrouble(string Sweep, string Reason, DateTime At) : INoSerializationVerificationNeeded;

/// <summary>
/// What a coordinator node's sweeps reported of their store lately, for a command that must decide whether the store
/// is merely slow or stays unusable (`runner run` gives up after a while and says why).
/// </summary>
public sealed class StoreTroubles
{
    const int Kept = 256;
    readonly Queue<StoreTrouble> _recent = new();

    internal void Add(StoreTrouble trouble)
    {
        lock (_recent)
        {
            _recent.Enqueue(trouble);
            if (_recent.Count > Kept) _recent.Dequeue();
        }
    }

    /// <summary>The first trouble after <paramref name="time"/> and the latest one, or null when there was none.</summary>
    public (StoreTrouble First, StoreTrouble Latest)? Since(DateTime time)
    {
        lock (_recent)
        {
            var after = _recent.Where(t => t.At > time).ToList();
            return after.Count == 0 ? null : (after[0], after[^1]);
        }
    }

    /// <summary>Starts listening on <paramref name="system"/>'s event stream.</summary>
    public void Listen(ActorSystem system)
    {
        var listener = system.ActorOf(Props.Create(() => new Listener(this)), "store-troubles");
        system.EventStream.Subscribe(listener, typeof(StoreTrouble));
    }

    sealed class Listener : ReceiveActor
    {
        public Listener(StoreTroubles troubles) => Receive<StoreTrouble>(troubles.Add);
    }
}
