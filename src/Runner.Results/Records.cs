using MessagePack;
using Runner.Sweeps;

namespace Runner.Results;

/// <summary>A sweep as the results store knows it.</summary>
[MessagePackObject]
public sealed record SweepRecord(
    [property: Key(0)] string SweepId,
    [property: Key(1)] string Name,
    [property: Key(2)] int Trials,
    [property: Key(3)] DateTime SubmittedAt);

/// <summary>
/// A trial of a sweep: its configuration, its status (the result's once it has one), how many attempts it took,
/// who ran it, its result and the last failure. Also the projection's message (it crosses no node,
/// but has a contract like every message).
/// </summary>
[MessagePackObject]
public sealed record TrialRecord(
    [property: Key(0)] string SweepId,
    [property: Key(1)] string TrialId,
    [property: Key(2)] TrialStatus Status,
    [property: Key(3)] int Attempts,
    [property: Key(4)] string? Worker,
    [property: Key(5)] TrialSpec Spec,
    [property: Key(6)] TrialResult? Result,
    [property: Key(7)] string? Failure);
