using Runner.Sweeps;

namespace Runner.Training.Models;

/// <summary>Builds the models that sweep files name (see <see cref="KnownModels"/>).</summary>
public static class ModelZoo
{
    public static IStagedModel Create(string name, int classes, HeadSpec? head = null)
    {
        head ??= HeadSpec.Linear;
        var model = Build(name, classes, head);
        ChannelsLast.Use(model.Network);
        return model;
    }

    static IStagedModel Build(string name, int classes, HeadSpec head) =>
        name switch
        {
            "convnet4" => new ConvNet4(classes, head),
            "resnet18" or "resnet50" => TorchVisionModel.ResNet(name, classes, head),
            "mobilenet_v2" => TorchVisionModel.MobileNetV2(classes, head),
            _ => throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", KnownModels.All.Select(m => m.Name))}"),
        };
}
