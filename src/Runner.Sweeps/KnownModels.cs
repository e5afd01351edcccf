namespace Runner.Sweeps;

/// <summary>
/// What the sweep layer must know of each built-in model to validate a file: the names of its freezable stages.
/// The training layer builds the networks and its tests check that they have exactly these stages.
/// </summary>
public static class KnownModels
{
    public sealed record ModelFacts(string Name, IReadOnlyList<string> Stages, string Description);

    static readonly ModelFacts[] Models =
    {
        new("convnet4", new[] { "conv1", "conv2", "conv3", "fc1" },
            "three conv stages (conv, BatchNorm, ReLU, max-pool) and a dense stage, for 28x28 grayscale images"),
    };

    public static IReadOnlyList<ModelFacts> All => Models;

    public static ModelFacts? Get(string name) => Models.FirstOrDefault(m => m.Name == name);
}
