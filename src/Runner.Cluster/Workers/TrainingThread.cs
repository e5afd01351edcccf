using System.Collections.Concurrent;

namespace Runner.Cluster.Workers;

/// <summary>
/// The one thread a TrialWorker trains on, for its whole life: training must never block an actor dispatcher,
/// TorchSharp's dispose scopes are thread-bound, and starting a thread per trial would cost more than a trial of the
/// bookkeeping benchmark. Work runs in the order it was posted, one item at a time.
/// </summary>
public sealed class TrainingThread : IDisposable
{
    readonly BlockingCollection<Action> _work = new();

    public TrainingThread(string name)
    {
        var thread = new Thread(() =>
        {
            foreach (var work in _work.GetConsumingEnumerable()) work();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
    }

    public void Post(Action work) => _work.Add(work);

    /// <summary>Lets the thread end after the work already posted (a running trial is cancelled by its owner).</summary>
    public void Dispose() => _work.CompleteAdding();
}
