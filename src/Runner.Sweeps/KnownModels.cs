namespace Runner.Sweeps;

/// <summary>
/// What the sweep layer must know of each built-in model to validate a file: the names of its freezable stages.
/// The training layer builds the networks and its tests check that they have exactly these stages.
/// </summary>
public static class KnownModels
{
    /// <param name="InputSize">the image side the model is built for: image folders are resized to it unless the file says otherwise</param>
    public sealed record ModelFacts(string Name, IReadOnlyList<string> Stages, string Description, int InputSize);

    static readonly ModelFacts[] Models =
    {
        new("convnet4", new[] { "conv1", "conv2", "conv3", "fc1" },
            "three conv stages (conv, BatchNorm, ReLU, max-pool) and a dense stage, for 28x28 grayscale images", 28),
        new("resnet18", new[] { "stem", "layer1", "layer2", "layer3", "layer4" },
            "torchvision ResNet-18: stem (conv1, bn1, relu, maxpool) and four residual layers; RGB input", 224),
        new("resnet50", new[] { "stem", "layer1", "layer2", "layer3", "layer4" },
            "torchvision ResNet-50 (bottleneck blocks), same stages as resnet18; RGB input", 224),
        new("mobilenet_v2", new[] { "block1", "block2", "block3", "block4", "block5", "block6" },
            "torchvision MobileNetV2: features 0-1, 2-3, 4-6, 7-10, 11-13, 14-18 (where the resolution halves); RGB input", 224),
    };

    public static IReadOnlyList<ModelFacts> All => Models;

    public static ModelFacts? Get(string name) => Models.FirstOrDefault(m => m.Name == name);
}
