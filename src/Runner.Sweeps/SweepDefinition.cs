using MessagePack;

namespace Runner.Sweeps;

/// <summary>A whole sweep file after validation: everything needed to expand it into trials.</summary>
public sealed record SweepDefinition(
    string Name,
    BaseSpec Base,
    TargetSpec Target,
    TrainSpec Train,
    SweepSpec Sweep,
    ResourceSpec Resources,
    string? SourcePath = null);

/// <summary>The base model and how it is pretrained on the source task.</summary>
public sealed record BaseSpec(string Model, PretrainSpec? Pretrain);

/// <summary>Pretraining on the source classes. Everything here determines the checkpoint, so all of it is hashed.</summary>
[MessagePackObject]
public sealed record PretrainSpec(
    [property: Key(0)] string Dataset,
    [property: Key(1)] int[] Classes,
    [property: Key(2)] int Epochs,
    [property: Key(3)] double LearningRate,
    [property: Key(4)] int Seed,
    [property: Key(5)] int BatchSize,
    [property: Key(6)] string Optimizer);

/// <summary>The target task. <paramref name="DataDir"/> says where the files are, not what they are: it is not part of a trial's identity.</summary>
public sealed record TargetSpec(string Dataset, int[] Classes, int ValidationPerClass, string? DataDir);

/// <summary>Training settings shared by every trial unless a sweep parameter overrides them.</summary>
public sealed record TrainSpec(
    int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, double Momentum);

public sealed record MetricSpec(string Name, bool Maximize);

public sealed record SweepSpec(
    string Method, int Samples, int RandomSeed, IReadOnlyList<ParameterAxis> Parameters, int[] Seeds,
    MetricSpec Metric, int MaxTrials, EarlyStopSpec? EarlyStop = null);

/// <summary>Where trials run and how many attempts a trial gets.</summary>
public sealed record ResourceSpec(string Device, int MaxFailures, int Threads);
