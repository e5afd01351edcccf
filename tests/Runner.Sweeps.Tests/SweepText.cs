namespace Runner.Sweeps.Tests;

/// <summary>Sweep files used across tests, with helpers to parse them and to collect errors.</summary>
internal static class SweepText
{
    /// <summary>The shape the issue starts from.</summary>
    public const string Example = """
        name: fashion-freeze-depth
        base:     { model: convnet4, pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 3, lr: 1e-3, seed: 0 } }
        target:   { dataset: fashion-mnist, classes: [5,6,7,8,9] }
        train:    { epochs: 5, batch_size: 64, optimizer: adam }
        sweep:
          method: grid
          parameters:
            initialization: [pretrained, scratch]
            freeze_depth: [0, 2, 4]
            learning_rate: [1e-3, 1e-2]
            dataset_size: [10, 100, 1000]
          seeds: [1, 2, 3]
          metric: { name: val_accuracy, goal: maximize }
        resources: { device: auto, max_failures: 2 }
        """;

    public static SweepDefinition Parse(string yaml, TrainPerClassLookup? capacity = null) =>
        SweepFile.Parse(yaml, "sweep.yaml", "/data", capacity);

    public static IReadOnlyList<SweepError> Errors(string yaml, TrainPerClassLookup? capacity = null)
    {
        var e = Assert.Throws<SweepFileException>(() => Parse(yaml, capacity));
        return e.Errors;
    }
}
