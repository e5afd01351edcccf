using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// The built-in model for 28x28 grayscale images: three conv stages (3x3 conv, BatchNorm, ReLU, 2x2 max-pool:
/// 28→14→7→3), a dense stage fc1 (flatten, linear, ReLU), then a linear head.
/// </summary>
public sealed class ConvNet4 : Module<Tensor, Tensor>, IStagedModel
{
    public const int Width1 = 32, Width2 = 64, Width3 = 64, Hidden = 128;

    // Field names are the state_dict prefixes: conv1.0.weight, ..., head.weight.
    readonly Sequential conv1, conv2, conv3, fc1;
    readonly Module<Tensor, Tensor> head;

    public ConvNet4(int classes, HeadSpec? head = null) : base("convnet4")
    {
        conv1 = ConvStage(1, Width1);
        conv2 = ConvStage(Width1, Width2);
        conv3 = ConvStage(Width2, Width3);
        fc1 = Sequential(Flatten(), Linear(Width3 * 3 * 3, Hidden), ReLU());
        this.head = (head ?? HeadSpec.Linear).Build(Hidden, classes);
        RegisterComponents();
    }

    static Sequential ConvStage(int input, int output) => Sequential(
        Conv2d(input, output, kernel_size: 3, padding: 1, bias: false),
        BatchNorm2d(output),
        ReLU(),
        MaxPool2d(kernel_size: 2));

    public override Tensor forward(Tensor x)
    {
        using var a = conv1.forward(x);
        using var b = conv2.forward(a);
        using var c = conv3.forward(b);
        using var d = fc1.forward(c);
        return head.forward(d);
    }

    string IStagedModel.Name => "convnet4";

    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Module)> Stages =>
        new (string, Module<Tensor, Tensor>)[] { ("conv1", conv1), ("conv2", conv2), ("conv3", conv3), ("fc1", fc1) };

    public Module<Tensor, Tensor> Head => head;
    public string HeadName => "head";
    public Module<Tensor, Tensor> Network => this;
}
