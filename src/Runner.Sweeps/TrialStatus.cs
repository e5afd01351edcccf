using System.Text.Json.Serialization;
using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// Where a trial is, or how it ended: the one status that the sweep state, the results store, tables, reports,
/// exports and the command line all use. A trial with a result is <see cref="Completed"/>, <see cref="Stopped"/> or
/// <see cref="Diverged"/> (what the worker reported); one without is pending, running, failed or cancelled.
/// </summary>
[JsonConverter(typeof(EnumText.Json<TrialStatus>))]
[MessagePackFormatter(typeof(EnumText.MessagePack<TrialStatus>))]
public enum TrialStatus
{
    Pending,
    Running,
    /// <summary>Trained every epoch it was given.</summary>
    Completed,
    /// <summary>Ended early by the sweep's early-stopping rule (ASHA), with its metrics at that point: not a failure.</summary>
    Stopped,
    /// <summary>The loss became NaN or infinite: a property of the configuration (usually too high a learning rate), not a crash.</summary>
    Diverged,
    /// <summary>Every attempt it was allowed failed (the last reason is kept).</summary>
    Failed,
    Cancelled,
}

public static class TrialStatuses
{
    /// <summary>The statuses of a trial that has a result (it is never run again, and its row is never downgraded).</summary>
    public static readonly TrialStatus[] WithResult = { TrialStatus.Completed, TrialStatus.Stopped, TrialStatus.Diverged };

    public static bool HasResult(this TrialStatus s) => s is TrialStatus.Completed or TrialStatus.Stopped or TrialStatus.Diverged;

    /// <summary>Nothing will happen to the trial any more.</summary>
    public static bool IsFinal(this TrialStatus s) => s.HasResult() || s is TrialStatus.Failed or TrialStatus.Cancelled;

    /// <summary>Its metrics count in tables (a diverged trial has no test accuracy).</summary>
    public static bool HasMetrics(this TrialStatus s) => s is TrialStatus.Completed or TrialStatus.Stopped;

    public static string Text(this TrialStatus s) => EnumText.Of(s);
}
