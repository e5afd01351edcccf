using Runner.Cluster.Protocol;
using Runner.Sweeps;

namespace Runner.Cluster.Workers;

/// <summary>
/// Runs one assignment to its end on the calling thread (a trial, or the pretraining of a base): the real one is the
/// TorchSharp trainer (Runner.Training's TrialRunner and BaseBuilder); unit tests pass a small fake. <paramref name="onEpoch"/> returns false to stop
/// early; <paramref name="cancel"/> is checked between batches and throws <see cref="OperationCanceledException"/>.
/// A worker disposes its executor's target when it stops, if that is <see cref="IDisposable"/> (a
/// <see cref="TrainerProcess"/>).
/// </summary>
public delegate TrialResult TrialExecutor(SweepReplies.Assignment job, Func<EpochMetrics, bool> onEpoch, CancellationToken cancel);
