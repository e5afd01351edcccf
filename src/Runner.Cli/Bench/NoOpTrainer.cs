using Runner.Cluster.Workers;
using Runner.Sweeps;

namespace Runner.Cli.Bench;

/// <summary>
/// The trainer of the bookkeeping benchmark (`runner worker --bench-trial-seconds S`): it waits S seconds (0 = returns
/// at once) and reports a one-epoch result, so that what is measured is everything around training: dispatch,
/// journal, results store, messages between processes. Its results say so in their message; never for real sweeps.
/// </summary>
public static class NoOpTrainer
{
    public const string Message = "benchmark no-op trainer: no training was done";

    public static TrialExecutor Create(double seconds, string device) => (spec, onEpoch, cancel) =>
    {
        if (seconds > 0) cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(seconds));
        cancel.ThrowIfCancellationRequested();
        var epoch = new EpochMetrics(1, 0, 0, 0, 0, seconds, 0);
        onEpoch(epoch);
        return new TrialResult(spec.Id, TrialStatus.Completed, new[] { epoch }, 0, 1, 0, null, null, 0, 0, seconds, device, 0, Message: Message);
    };
}
