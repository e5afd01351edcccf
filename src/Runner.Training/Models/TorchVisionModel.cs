using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// A torchvision architecture (built by TorchVision for .NET) seen as stages and a new head. Its modules keep their
/// torchvision names (conv1, bn1, layer1 ... for ResNet; features for MobileNetV2), so a PyTorch state_dict loads by
/// name, and the head takes the name of the one it replaces (fc, classifier). A stage may span several modules
/// (ResNet's stem is conv1, bn1, relu and maxpool): it is a view over them, not a module of its own. The first stage
/// turns one-channel images into three equal channels, so grayscale datasets work with these RGB networks.
/// </summary>
public sealed class TorchVisionModel : Module<Tensor, Tensor>, IStagedModel
{
    readonly List<(string Name, Module<Tensor, Tensor> Module)> _stages;
    readonly Module<Tensor, Tensor> _pool;
    readonly Module<Tensor, Tensor> _head;
    readonly PooledHead _pooledHead;

    public string ModelName { get; }
    /// <summary>The state_dict prefix of the head (fc, classifier): what a loaded checkpoint's old head is called.</summary>
    public string HeadName { get; }

    TorchVisionModel(string model, IEnumerable<(string Name, Module<Tensor, Tensor> Module)> registered,
        IEnumerable<(string Stage, Module<Tensor, Tensor>[] Parts)> stages, string headName, Module<Tensor, Tensor> head)
        : base(model)
    {
        (ModelName, HeadName, _head) = (model, headName, head);
        foreach (var (name, module) in registered) register_module(name, module);
        register_module(headName, head);
        _pool = Sequential(AdaptiveAvgPool2d(new long[] { 1, 1 }), Flatten());
        _pooledHead = new PooledHead(_pool, head);
        _stages = stages.Select(s => (s.Stage, s.Parts.Length == 1 ? s.Parts[0] : (Module<Tensor, Tensor>)Sequential(s.Parts))).ToList();
    }

    string IStagedModel.Name => ModelName;
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Module)> Stages => _stages;
    /// <summary>Pooling, then the new head: what follows the last stage.</summary>
    public Module<Tensor, Tensor> Head => _pooledHead;
    public Module<Tensor, Tensor> Network => this;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var (_, stage) in _stages) h = stage.call(h);
        return _pooledHead.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>Grayscale images (one channel, like Fashion-MNIST) are shown to an RGB network as three equal channels.</summary>
    sealed class GrayToRgb() : Module<Tensor, Tensor>("gray_to_rgb")
    {
        public override Tensor forward(Tensor x) => x.shape[1] == 1 ? x.expand(-1, 3, -1, -1) : x.alias();
    }

    sealed class PooledHead : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor> pool, head;

        public PooledHead(Module<Tensor, Tensor> pool, Module<Tensor, Tensor> head) : base("pooled_head")
        {
            (this.pool, this.head) = (pool, head);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var pooled = pool.call(x);
            return head.call(pooled);
        }
    }

    public static TorchVisionModel ResNet(string model, int classes, HeadSpec head)
    {
        var net = model switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "resnet50" => torchvision.models.resnet50(),
            _ => throw new ArgumentException($"not a ResNet: {model}"),
        };
        var children = net.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        long features = ((TorchSharp.Modules.Linear)children["fc"]).in_features;
        string[] body = { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" };
        var stages = new (string, Module<Tensor, Tensor>[])[]
        {
            ("stem", new[] { new GrayToRgb(), children["conv1"], children["bn1"], children["relu"], children["maxpool"] }),
            ("layer1", new[] { children["layer1"] }), ("layer2", new[] { children["layer2"] }),
            ("layer3", new[] { children["layer3"] }), ("layer4", new[] { children["layer4"] }),
        };
        return new TorchVisionModel(model, body.Select(n => (n, children[n])), stages, "fc", head.Build(features, classes));
    }

    public static TorchVisionModel MobileNetV2(int classes, HeadSpec head)
    {
        var net = torchvision.models.mobilenet_v2();
        var features = (Module<Tensor, Tensor>)net.named_children().Single(c => c.name == "features").module;
        var blocks = features.named_children().Select(c => (Module<Tensor, Tensor>)c.module).ToArray();
        // Stages end where the resolution halves (112, 56, 28, 14, 7 px for a 224 px input); the last two share 14 px.
        int[][] groups = { new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9, 10 }, new[] { 11, 12, 13 }, new[] { 14, 15, 16, 17, 18 } };
        var stages = groups.Select((g, i) => ($"block{i + 1}", (i == 0 ? new Module<Tensor, Tensor>[] { new GrayToRgb() } : []).Concat(g.Select(b => blocks[b])).ToArray()));
        return new TorchVisionModel("mobilenet_v2", new[] { ("features", features) }, stages, "classifier", head.Build(1280, classes));
    }
}
