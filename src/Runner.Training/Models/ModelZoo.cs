using Runner.Sweeps;

namespace Runner.Training.Models;

/// <summary>Builds the models that sweep files name (see <see cref="KnownModels"/>).</summary>
public static class ModelZoo
{
    /// <summary>
    /// Torch's random generator is one per process, and a process with several workers (`runner run --workers 2`)
    /// can build networks at the same moment. Every network is built under this one lock, seeding and drawing its
    /// initial weights together, so that a network's initial weights never depend on what another thread drew
    /// between the seeding and the drawing. (Dropout and augmentation still draw from the shared generator while
    /// training.)
    /// </summary>
    static readonly object RandomGate = new();

    /// <param name="seed">seeds torch's generator first (a trial's or a base's seed); null for a network whose weights are loaded next</param>
    public static IStagedModel Create(string name, int classes, HeadSpec? head = null, long? seed = null)
    {
        head ??= HeadSpec.Linear;
        IStagedModel model;
        lock (RandomGate)
        {
            if (seed is { } s) TorchSharp.torch.manual_seed(s);
            model = Build(name, classes, head);
        }
        ChannelsLast.Use(model.Network);
        PointwiseConvolutions.Reroute(model);
        Engine.OneDnnGuard.Prepare(pointwise: false); // rerouted: a zoo network keeps oneDNN on every CPU
        return model;
    }

    /// <summary>A TorchScript backbone (base.weights) with a new head, seeded like any trial's head.</summary>
    public static IStagedModel CreateTorchScript(string path, int classes, HeadSpec head, string[]? stages, int imageSize, long seed)
    {
        IStagedModel model;
        lock (RandomGate)
        {
            TorchSharp.torch.manual_seed(seed);
            model = new TorchScriptBackbone(path, classes, head, stages, imageSize);
        }
        Engine.OneDnnGuard.Prepare(Engine.OneDnnGuard.HasPointwiseWeights(model.Network));
        return model;
    }

    static IStagedModel Build(string name, int classes, HeadSpec head) =>
        name switch
        {
            "convnet4" => new ConvNet4(classes, head),
            _ when KnownModels.Get(name) != null => TorchVisionArchitectures.Build(name, classes, head),
            _ => throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", KnownModels.All.Select(m => m.Name))}"),
        };
}
