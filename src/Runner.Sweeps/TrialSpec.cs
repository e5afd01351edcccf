using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// One fully resolved trial: everything that determines its result, and nothing else (no paths, no device). Its
/// <see cref="Id"/> is a hash of exactly these fields, so the same trial in another sweep has the same id.
/// </summary>
[MessagePackObject]
public sealed record TrialSpec(
    [property: Key(0)] string Model,
    [property: Key(1)] PretrainSpec? Pretrain,
    [property: Key(2)] string TargetDataset,
    [property: Key(3)] int[] TargetClasses,
    [property: Key(4)] int ValidationPerClass,
    [property: Key(5)] string Initialization,
    [property: Key(6)] int FreezeDepth,
    [property: Key(7)] double LearningRate,
    [property: Key(8)] int DatasetSize,
    [property: Key(9)] int Epochs,
    [property: Key(10)] int BatchSize,
    [property: Key(11)] string Optimizer,
    [property: Key(12)] double WeightDecay,
    [property: Key(13)] double Momentum,
    [property: Key(14)] int Seed)
{
    /// <summary>Stable 16-hex-digit id: SHA-256 of <see cref="Canonical"/>.</summary>
    [IgnoreMember]
    public string Id => TrialIdOf(Canonical());

    /// <summary>The resolved configuration as sorted key=value lines, numbers in round-trip form.</summary>
    public string Canonical()
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = Model,
            ["pretrain"] = Pretrain == null ? "none" : CanonicalPretrain(Pretrain),
            ["target.dataset"] = TargetDataset,
            ["target.classes"] = string.Join(",", TargetClasses),
            ["target.validation_per_class"] = Num(ValidationPerClass),
            ["initialization"] = Initialization,
            ["freeze_depth"] = Num(FreezeDepth),
            ["learning_rate"] = Num(LearningRate),
            ["dataset_size"] = Num(DatasetSize),
            ["epochs"] = Num(Epochs),
            ["batch_size"] = Num(BatchSize),
            ["optimizer"] = Optimizer,
            ["weight_decay"] = Num(WeightDecay),
            // Momentum only changes SGD; leaving it out for Adam keeps equal trials equal.
            ["momentum"] = Optimizer == "sgd" ? Num(Momentum) : "-",
            ["seed"] = Num(Seed),
        };
        return string.Join("\n", fields.Select(f => $"{f.Key}={f.Value}"));
    }

    /// <summary>The swept values as name → value, for tables and plans.</summary>
    public IReadOnlyDictionary<string, object> Parameters() => new Dictionary<string, object>
    {
        ["initialization"] = Initialization,
        ["freeze_depth"] = FreezeDepth,
        ["learning_rate"] = LearningRate,
        ["dataset_size"] = DatasetSize,
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["optimizer"] = Optimizer,
        ["weight_decay"] = WeightDecay,
        ["momentum"] = Momentum,
        ["seed"] = Seed,
    };

    public static string CanonicalPretrain(PretrainSpec p) =>
        $"{p.Dataset}|{string.Join(",", p.Classes)}|e{p.Epochs}|lr{Num(p.LearningRate)}|s{p.Seed}|b{p.BatchSize}|{p.Optimizer}";

    public static string TrialIdOf(string canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];

    static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string Num(int v) => v.ToString(CultureInfo.InvariantCulture);
}
