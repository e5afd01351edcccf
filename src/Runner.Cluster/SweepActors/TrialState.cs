using Runner.Sweeps;

namespace Runner.Cluster.SweepActors;

/// <summary>One trial of a sweep as the sweep's journal knows it.</summary>
/// <param name="id">the spec's id when already known (from a snapshot); computed from the spec otherwise</param>
public sealed class TrialState(TrialSpec spec, string? id = null)
{
    /// <summary>The trial's settings; replaced only by the same trial marked as a tuned winner's run (<see cref="TrialSpec.TunedBy"/>).</summary>
    public TrialSpec Spec { get; internal set; } = spec;
    public string Id { get; } = id ?? spec.Id;
    /// <summary>Pending or running; once it has a result, the result's status; else failed or cancelled.</summary>
    public TrialStatus Status { get; internal set; } = TrialStatus.Pending;
    /// <summary>Number of the latest attempt started (0 before the first).</summary>
    public int Attempts { get; internal set; }
    public string? Worker { get; internal set; }
    public string? LastFailure { get; internal set; }
    public TrialResult? Result { get; internal set; }

    public bool IsFinal => Status.IsFinal();
}
