using Runner.Sweeps;

namespace Runner.Cluster.Sweeps;

/// <summary>Where a trial is in its life. Completed, Failed and Cancelled are final.</summary>
public enum TrialPhase { Pending, Running, Completed, Failed, Cancelled }

/// <summary>One trial of a sweep as the sweep's journal knows it.</summary>
public sealed class TrialState(TrialSpec spec)
{
    public TrialSpec Spec { get; } = spec;
    public string Id { get; } = spec.Id;
    public TrialPhase Phase { get; internal set; } = TrialPhase.Pending;
    /// <summary>Number of the latest attempt started (0 before the first).</summary>
    public int Attempts { get; internal set; }
    public string? Worker { get; internal set; }
    public string? LastFailure { get; internal set; }
    public TrialResult? Result { get; internal set; }

    public bool IsFinal => Phase is TrialPhase.Completed or TrialPhase.Failed or TrialPhase.Cancelled;
}
