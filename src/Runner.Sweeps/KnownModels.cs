namespace Runner.Sweeps;

/// <summary>
/// What the sweep layer must know of each built-in model to validate a file: the names of its freezable stages and
/// the image sizes it takes. The training layer builds the networks and its tests check that they have exactly these
/// stages and run at <see cref="ModelFacts.MinInputSize"/>.
/// </summary>
public static class KnownModels
{
    /// <param name="InputSize">the image side the model is built for: image folders are resized to it unless the file says otherwise</param>
    /// <param name="MinInputSize">the smallest image side the network can take (below it a pooling stage would have nothing left)</param>
    public sealed record ModelFacts(string Name, IReadOnlyList<string> Stages, string Description, int InputSize, int MinInputSize = 8)
    {
        /// <summary>A backbone the user brings as a TorchScript file: its stages are known once the file is loaded (or from base.stages).</summary>
        public bool IsTorchScript => Name == TorchScript;
    }

    /// <summary>base.model for a TorchScript backbone (base.weights names the file).</summary>
    public const string TorchScript = "torchscript";

    static readonly ModelFacts TorchScriptFacts = new(TorchScript, Array.Empty<string>(),
        "a TorchScript backbone you exported (torch.jit.script or trace; base.weights names the file) that returns features [N, D] or a feature map; its stages are its top-level children with parameters, or base.stages", 224);

    static readonly string[] ResNetStages = { "stem", "layer1", "layer2", "layer3", "layer4" };
    static readonly string[] VggStages = { "block1", "block2", "block3", "block4", "block5", "dense" };
    const string Rgb = "RGB input, ImageNet normalization";

    static readonly ModelFacts[] Models =
    {
        new("convnet4", new[] { "conv1", "conv2", "conv3", "fc1" },
            "three conv stages (conv, BatchNorm, ReLU, max-pool) and a dense stage, for 28x28 grayscale images", 28, 28),
        Resnet("resnet18", "ResNet-18 (basic blocks)"),
        Resnet("resnet34", "ResNet-34 (basic blocks)"),
        Resnet("resnet50", "ResNet-50 (bottleneck blocks)"),
        Resnet("resnet101", "ResNet-101 (bottleneck blocks)"),
        Resnet("resnet152", "ResNet-152 (bottleneck blocks)"),
        Resnet("wide_resnet50_2", "Wide ResNet-50-2 (bottlenecks twice as wide)"),
        Resnet("wide_resnet101_2", "Wide ResNet-101-2 (bottlenecks twice as wide)"),
        Vgg("vgg11"), Vgg("vgg11_bn"), Vgg("vgg13"), Vgg("vgg13_bn"), Vgg("vgg16"), Vgg("vgg16_bn"), Vgg("vgg19"), Vgg("vgg19_bn"),
        new("alexnet", new[] { "conv1", "conv2", "conv3", "dense" },
            $"torchvision AlexNet: features 0-2, 3-5 and 6-12 (each ends with a max-pool), the dense stage fc6-fc7 (classifier 0-5); {Rgb}", 224, 63),
        new("googlenet", new[] { "conv1", "conv2", "inception3", "inception4", "inception5" },
            $"torchvision GoogLeNet: conv1+maxpool1, conv2-conv3+maxpool2, inception3a-b+maxpool3, inception4a-e+maxpool4, inception5a-b; the auxiliary heads dropped, transform_input on (as torchvision's ImageNet weights expect); {Rgb}", 224, 15),
        new("inception_v3", new[] { "stem1", "stem2", "mixed5", "mixed6", "mixed7" },
            $"torchvision Inception V3: Conv2d_1a-2b+maxpool1, Conv2d_3b-4a+maxpool2, Mixed_5b-d, Mixed_6a-e, Mixed_7a-c; the auxiliary head dropped, transform_input on (as torchvision's ImageNet weights expect); {Rgb}", 299, 75),
        new("mobilenet_v2", new[] { "block1", "block2", "block3", "block4", "block5", "block6" },
            $"torchvision MobileNetV2: features 0-1, 2-3, 4-6, 7-10, 11-13, 14-18 (where the resolution halves); {Rgb}", 224),
        new("mobilenet_v3_small", new[] { "block1", "block2", "block3", "block4", "block5", "dense" },
            $"torchvision MobileNetV3-Small: features 0, 1, 2-3, 4-8, 9-12 (where the resolution halves), the dense stage (classifier 0-2); {Rgb}", 224),
        new("mobilenet_v3_large", new[] { "block1", "block2", "block3", "block4", "block5", "dense" },
            $"torchvision MobileNetV3-Large: features 0-1, 2-3, 4-6, 7-12, 13-16 (where the resolution halves), the dense stage (classifier 0-2); {Rgb}", 224),
    };

    static ModelFacts Resnet(string name, string what) =>
        new(name, ResNetStages, $"torchvision {what}: stem (conv1, bn1, relu, maxpool) and four residual layers; {Rgb}", 224);

    static ModelFacts Vgg(string name) =>
        new(name, VggStages, $"torchvision VGG-{name[3..5]}{(name.EndsWith("_bn", StringComparison.Ordinal) ? " with BatchNorm" : "")}: five conv blocks (each ends with a max-pool), the dense stage fc6-fc7 (classifier 0-5); {Rgb}", 224, 32);

    /// <summary>The built-in models (Runner builds them; `runner models` lists them).</summary>
    public static IReadOnlyList<ModelFacts> All => Models;

    /// <summary>What base.model may name: the built-in models and <see cref="TorchScript"/>.</summary>
    public static string[] Names => Models.Select(m => m.Name).Append(TorchScript).ToArray();

    /// <summary>Channels of a model's input images: convnet4 is built for grayscale, every other model for RGB.</summary>
    public static int InputChannels(string model) => model == "convnet4" ? 1 : 3;

    public static ModelFacts? Get(string name) => name == TorchScript ? TorchScriptFacts : Models.FirstOrDefault(m => m.Name == name);
}
