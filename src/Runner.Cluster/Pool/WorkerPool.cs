using Akka.Actor;
using Runner.Cluster.Protocol;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Pool;

/// <summary>
/// The cluster singleton that matches idle TrialWorkers to sweeps with work. Pull: a worker says it is idle, the pool
/// asks one sweep (round robin over the sweeps with work, so concurrent sweeps share the workers fairly) for a trial
/// on the worker's behalf, and the sweep answers the worker directly. The pool watches every worker: when one dies
/// or its node leaves, every sweep is told so that the attempt it was running goes back to the queue. A worker is
/// only asked for the sweeps whose resources.device its device serves (<see cref="DeviceNames.Serves"/>).
/// </summary>
public sealed class WorkerPool : ReceiveActor
{
    sealed class Worker(IActorRef actor, string device)
    {
        public IActorRef Actor { get; } = actor;
        public string Device { get; } = device;
        public bool Idle { get; set; }
        /// <summary>How many trials it takes at once (see TrialWorker).</summary>
        public int Want { get; set; } = 1;
        /// <summary>When it last said it was idle (a busy worker reports its epochs to the sweep instead).</summary>
        public DateTime LastSeen { get; set; }
        public int Threads { get; set; }
    }

    readonly IActorRef _sweeps;
    readonly Dictionary<string, Worker> _workers = new();
    readonly List<string> _withWork = new();   // sweeps that may have pending trials, in round-robin order
    readonly Dictionary<string, string> _deviceOf = new();   // every sweep seen (to report lost workers to), and the device it asks for
    int _next;

    public static Props Props(IActorRef sweeps) => Akka.Actor.Props.Create(() => new WorkerPool(sweeps));

    public WorkerPool(IActorRef sweeps)
    {
        _sweeps = sweeps;

        Receive<WorkerMessages.Idle>(m =>
        {
            if (!_workers.TryGetValue(m.Worker, out var w))
            {
                w = new Worker(Sender, m.Device);
                _workers[m.Worker] = w;
                Context.Watch(Sender);
            }
            (w.Idle, w.Want, w.LastSeen, w.Threads) = (true, Math.Max(1, m.Want), DateTime.UtcNow, m.Threads);
            Dispatch();
        });

        Receive<PoolMessages.SweepHasWork>(m =>
        {
            _deviceOf[m.SweepId] = m.Device ?? DeviceNames.Auto;
            if (!_withWork.Contains(m.SweepId)) _withWork.Add(m.SweepId);
            Dispatch();
        });

        Receive<PoolMessages.NothingFrom>(m =>
        {
            _withWork.Remove(m.SweepId);
            if (_workers.TryGetValue(m.Worker, out var w)) w.Idle = true;
            Dispatch();
        });

        Receive<Terminated>(t =>
        {
            var lost = _workers.FirstOrDefault(kv => kv.Value.Actor.Equals(t.ActorRef));
            if (lost.Key == null) return;
            _workers.Remove(lost.Key);
            foreach (string sweep in _deviceOf.Keys)
                _sweeps.Tell(new WorkerLost(sweep, lost.Key, "worker lost (process or node gone)"));
        });

        Receive<PoolMessages.GetWorkers>(_ => Sender.Tell(new PoolMessages.Workers(
            _workers.Select(kv => new PoolMessages.WorkerInfo(kv.Key, kv.Value.Device, kv.Value.Idle, kv.Value.LastSeen, kv.Value.Threads)).OrderBy(w => w.Worker).ToArray())));
    }

    void Dispatch()
    {
        foreach (var (name, worker) in _workers.Where(kv => kv.Value.Idle).OrderBy(kv => kv.Key))
        {
            var mine = _withWork.Where(s => DeviceNames.Serves(_deviceOf[s], worker.Device)).ToList();
            if (mine.Count == 0) continue;
            string sweep = mine[_next++ % mine.Count];
            worker.Idle = false;
            // The sweep answers the worker itself (Assignment or NoTrial): the pool never relays trials.
            _sweeps.Tell(new RequestTrial(sweep, name, worker.Want), worker.Actor);
        }
    }
}
