using Runner.Sweeps;

namespace Runner.Cluster.Workers;

/// <summary>
/// Runs one trial to its end on the calling thread: the real one is the TorchSharp trainer
/// (Runner.Training's TrialRunner.Run); unit tests pass a small fake. <paramref name="onEpoch"/> returns false to stop
/// early; <paramref name="cancel"/> is checked between batches and throws <see cref="OperationCanceledException"/>.
/// </summary>
public delegate TrialResult TrialExecutor(TrialSpec spec, Func<EpochMetrics, bool> onEpoch, CancellationToken cancel);
