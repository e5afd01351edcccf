using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// A torchvision architecture (built by TorchVision for .NET, cut into stages by <see cref="TorchVisionArchitectures"/>)
/// seen as stages and a new head. Its modules keep their torchvision names (conv1, layer1 ... for ResNet; features,
/// classifier for VGG), so a PyTorch state_dict loads by name, and the new head takes the name of the layer it
/// replaces (fc, classifier, classifier.6), so an exported model loads back into torchvision. A stage may span
/// several modules (ResNet's stem is conv1, bn1, relu and maxpool): it is a view over them, not a module of its own.
/// The first stage turns one-channel images into three equal channels, so grayscale datasets work with these RGB
/// networks.
/// </summary>
public sealed class TorchVisionModel : Module<Tensor, Tensor>, IStagedModel
{
    readonly List<(string Name, Module<Tensor, Tensor> Module)> _stages;
    readonly Module<Tensor, Tensor> _head;

    public string ModelName { get; }
    /// <summary>The state_dict prefix of the head (fc, classifier, classifier.6): what a loaded checkpoint's old head is called.</summary>
    public string HeadName { get; }
    public IReadOnlyList<string> DroppedFromCheckpoints { get; }

    /// <param name="registered">the modules as the state_dict names them, in order (the new head among them, at its place)</param>
    /// <param name="stages">each stage and the modules it runs, in order (views over <paramref name="registered"/>)</param>
    /// <param name="pooled">the head follows global average pooling (else the last stage ends flattened)</param>
    /// <param name="dropped">state_dict prefixes of torchvision's modules this network leaves out (auxiliary heads)</param>
    internal TorchVisionModel(string model, IEnumerable<(string Name, Module<Tensor, Tensor> Module)> registered,
        IEnumerable<(string Stage, Module<Tensor, Tensor>[] Parts)> stages, string headName, Module<Tensor, Tensor> head,
        bool pooled, params string[] dropped)
        : base(model)
    {
        (ModelName, HeadName, DroppedFromCheckpoints) = (model, headName, dropped);
        foreach (var (name, module) in registered) register_module(name, module);
        _head = pooled ? new PooledHead(Sequential(AdaptiveAvgPool2d(new long[] { 1, 1 }), Flatten()), head) : head;
        _stages = stages.Select(s => (s.Stage, s.Parts.Length == 1 ? s.Parts[0] : (Module<Tensor, Tensor>)Sequential(s.Parts))).ToList();
    }

    string IStagedModel.Name => ModelName;
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Module)> Stages => _stages;
    /// <summary>What follows the last stage: pooling when the architecture pools there, then the new head.</summary>
    public Module<Tensor, Tensor> Head => _head;
    public Module<Tensor, Tensor> Network => this;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var (_, stage) in _stages) h = stage.call(h);
        return _head.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>Grayscale images (one channel, like Fashion-MNIST) are shown to an RGB network as three equal channels.</summary>
    internal sealed class GrayToRgb() : Module<Tensor, Tensor>("gray_to_rgb")
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
}
