using Runner.Sweeps;

namespace Runner.Training.Models;

/// <summary>Builds the models that sweep files name (see <see cref="KnownModels"/>).</summary>
public static class ModelZoo
{
    public static IStagedModel Create(string name, int classes) => name switch
    {
        "convnet4" => new ConvNet4(classes),
        _ => throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", KnownModels.All.Select(m => m.Name))}"),
    };
}
