using Runner.Cli;
using Runner.Cli.Commands;
using Runner.Cluster.Workers;
using Runner.Sweeps;

namespace Runner.Bench;

/// <summary>
/// The trainer of the bookkeeping and recovery benchmarks (`runner-bench worker --trial-seconds S`): it waits S
/// seconds (0 = returns at once) and reports a one-epoch result, so that what is measured is everything around
/// training: dispatch, journal, results store, messages between processes. Its results say so in their message.
/// It lives here, outside the product: no `runner` command can run it by mistake.
/// </summary>
public static class NoOpTrainer
{
    public const string Message = "benchmark no-op trainer: no training was done";

    public static TrialExecutor Create(double seconds, string device) => (job, onEpoch, cancel) =>
    {
        if (seconds > 0) cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(seconds));
        cancel.ThrowIfCancellationRequested();
        var epoch = new EpochMetrics(1, 0, 0, 0, 0, seconds, 0);
        onEpoch(epoch);
        return new TrialResult(job.TrialId, TrialStatus.Completed, new[] { epoch }, 0, 1, 0, null, null, 0, 0, seconds, device, 0, Message: Message);
    };

    /// <summary>`runner-bench worker`: the product's worker command with this trainer.</summary>
    public static WorkerCommand Worker() => new(
        (args, _, _) => device => Create(Math.Max(0, args.Real("trial-seconds") ?? 0), device),
        new[] { new OptionSpec("trial-seconds", "S", "every trial waits S seconds (0: returns at once) and reports an empty result [0]") });
}
