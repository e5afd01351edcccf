using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// How each torchvision family is cut into the stages <see cref="Runner.Sweeps.KnownModels"/> lists: where the
/// resolution halves, and, for the networks whose classifier has pretrained dense layers (VGG, AlexNet, MobileNetV3),
/// those layers as a last stage of their own, "dense", with only the final linear layer replaced by the new head.
/// Everything keeps torchvision's state_dict names.
/// </summary>
public static class TorchVisionArchitectures
{
    public static TorchVisionModel Build(string model, int classes, HeadSpec head) => model switch
    {
        "resnet18" or "resnet34" or "resnet50" or "resnet101" or "resnet152" or "wide_resnet50_2" or "wide_resnet101_2" => ResNet(model, classes, head),
        "vgg11" or "vgg11_bn" or "vgg13" or "vgg13_bn" or "vgg16" or "vgg16_bn" or "vgg19" or "vgg19_bn" or "alexnet" => PooledConvolutions(model, classes, head),
        "mobilenet_v2" => MobileNetV2(classes, head),
        "mobilenet_v3_small" or "mobilenet_v3_large" => MobileNetV3(model, classes, head),
        "inception_v3" => InceptionV3(classes, head),
        "googlenet" => GoogLeNet(classes, head),
        _ => throw new ArgumentException($"not a torchvision model Runner builds: {model}"),
    };

    static Dictionary<string, Module<Tensor, Tensor>> Children(Module net) =>
        net.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);

    static Module<Tensor, Tensor>[] Parts(Module<Tensor, Tensor> sequence) =>
        sequence.named_children().Select(c => (Module<Tensor, Tensor>)c.module).ToArray();

    static TorchVisionModel ResNet(string model, int classes, HeadSpec head)
    {
        Module net = model switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "resnet34" => torchvision.models.resnet34(),
            "resnet50" => torchvision.models.resnet50(),
            "resnet101" => torchvision.models.resnet101(),
            "resnet152" => torchvision.models.resnet152(),
            "wide_resnet50_2" => torchvision.models.wide_resnet50_2(),
            _ => torchvision.models.wide_resnet101_2(),
        };
        var c = Children(net);
        long features = ((TorchSharp.Modules.Linear)c["fc"]).in_features;
        var newHead = head.Build(features, classes);
        string[] body = { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" };
        var stages = new (string, Module<Tensor, Tensor>[])[]
        {
            ("stem", new[] { new TorchVisionModel.GrayToRgb(), c["conv1"], c["bn1"], c["relu"], c["maxpool"] }),
            ("layer1", new[] { c["layer1"] }), ("layer2", new[] { c["layer2"] }), ("layer3", new[] { c["layer3"] }), ("layer4", new[] { c["layer4"] }),
        };
        return new TorchVisionModel(model, body.Select(n => (n, c[n])).Append(("fc", newHead)), stages, "fc", newHead, pooled: true);
    }

    /// <summary>
    /// VGG and AlexNet: conv blocks that each end with a max-pool, then torchvision's pooling to a fixed grid and the
    /// classifier's dense layers (the "dense" stage), whose last linear layer the new head replaces.
    /// </summary>
    static TorchVisionModel PooledConvolutions(string model, int classes, HeadSpec head)
    {
        Module net = model switch
        {
            "vgg11" => torchvision.models.vgg11(), "vgg11_bn" => torchvision.models.vgg11_bn(),
            "vgg13" => torchvision.models.vgg13(), "vgg13_bn" => torchvision.models.vgg13_bn(),
            "vgg16" => torchvision.models.vgg16(), "vgg16_bn" => torchvision.models.vgg16_bn(),
            "vgg19" => torchvision.models.vgg19(), "vgg19_bn" => torchvision.models.vgg19_bn(),
            _ => torchvision.models.alexnet(),
        };
        var c = Children(net);
        var blocks = new List<List<Module<Tensor, Tensor>>> { new() { new TorchVisionModel.GrayToRgb() } };
        foreach (var layer in Parts(c["features"]))
        {
            blocks[^1].Add(layer);
            if (layer is TorchSharp.Modules.MaxPool2d) blocks.Add(new());
        }
        blocks.RemoveAll(b => b.Count == 0);
        string prefix = model == "alexnet" ? "conv" : "block";
        var stages = blocks.Select((b, i) => ($"{prefix}{i + 1}", b.ToArray())).ToList();
        return WithDenseStage(model, c, stages, classes, head);
    }

    static TorchVisionModel MobileNetV2(int classes, HeadSpec head)
    {
        var c = Children(torchvision.models.mobilenet_v2());
        var blocks = Parts(c["features"]);
        // Stages end where the resolution halves (112, 56, 28, 14, 7 px for a 224 px input); the last two share 14 px.
        int[][] groups = { new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9, 10 }, new[] { 11, 12, 13 }, new[] { 14, 15, 16, 17, 18 } };
        var newHead = head.Build(1280, classes);
        // torchvision's classifier is (dropout, linear): the head takes the linear layer's name, classifier.1 (the
        // head's own dropout, train.dropout, stands for the first).
        return new TorchVisionModel("mobilenet_v2", new[] { ("features", c["features"]), ("classifier", (Module<Tensor, Tensor>)Sequential(("1", newHead))) },
            Groups(blocks, groups), "classifier.1", newHead, pooled: true);
    }

    static TorchVisionModel MobileNetV3(string model, int classes, HeadSpec head)
    {
        var c = Children(model == "mobilenet_v3_small" ? torchvision.models.mobilenet_v3_small() : torchvision.models.mobilenet_v3_large());
        var blocks = Parts(c["features"]);
        // Each stage starts where the resolution halves (112, 56, 28, 14, 7 px for a 224 px input).
        int[][] groups = model == "mobilenet_v3_small"
            ? new[] { new[] { 0 }, new[] { 1 }, new[] { 2, 3 }, new[] { 4, 5, 6, 7, 8 }, new[] { 9, 10, 11, 12 } }
            : new[] { new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5, 6 }, new[] { 7, 8, 9, 10, 11, 12 }, new[] { 13, 14, 15, 16 } };
        return WithDenseStage(model, c, Groups(blocks, groups).ToList(), classes, head);
    }

    static IEnumerable<(string, Module<Tensor, Tensor>[])> Groups(Module<Tensor, Tensor>[] blocks, int[][] groups) =>
        groups.Select((g, i) => ($"block{i + 1}", (i == 0 ? new Module<Tensor, Tensor>[] { new TorchVisionModel.GrayToRgb() } : []).Concat(g.Select(b => blocks[b])).ToArray()));

    /// <summary>
    /// The "dense" stage after <paramref name="stages"/>: torchvision's avgpool, flattening, and every layer of the
    /// classifier but the last, which the new head replaces under the same name (classifier.6, classifier.3).
    /// </summary>
    static TorchVisionModel WithDenseStage(string model, Dictionary<string, Module<Tensor, Tensor>> c,
        List<(string, Module<Tensor, Tensor>[])> stages, int classes, HeadSpec head)
    {
        var classifier = Parts(c["classifier"]);
        long features = ((TorchSharp.Modules.Linear)classifier[^1]).in_features;
        var newHead = head.Build(features, classes);
        var dense = new List<Module<Tensor, Tensor>> { c["avgpool"], Flatten() };
        dense.AddRange(classifier[..^1]);
        stages.Add(("dense", dense.ToArray()));
        var named = classifier[..^1].Select((m, i) => (i.ToString(), m)).Append(((classifier.Length - 1).ToString(), newHead));
        var registered = new (string, Module<Tensor, Tensor>)[] { ("features", c["features"]), ("avgpool", c["avgpool"]), ("classifier", Sequential(named)) };
        return new TorchVisionModel(model, registered, stages, $"classifier.{classifier.Length - 1}", newHead, pooled: false);
    }

    static TorchVisionModel InceptionV3(int classes, HeadSpec head)
    {
        var c = Children(torchvision.models.inception_v3());
        var newHead = head.Build(2048, classes);
        (string, string[])[] stages =
        {
            ("stem1", new[] { "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1" }),
            ("stem2", new[] { "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2" }),
            ("mixed5", new[] { "Mixed_5b", "Mixed_5c", "Mixed_5d" }),
            ("mixed6", new[] { "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e" }),
            ("mixed7", new[] { "Mixed_7a", "Mixed_7b", "Mixed_7c" }),
        };
        return Named("inception_v3", c, stages, newHead, "AuxLogits.");
    }

    static TorchVisionModel GoogLeNet(int classes, HeadSpec head)
    {
        var c = Children(torchvision.models.googlenet());
        var newHead = head.Build(1024, classes);
        (string, string[])[] stages =
        {
            ("conv1", new[] { "conv1", "maxpool1" }),
            ("conv2", new[] { "conv2", "conv3", "maxpool2" }),
            ("inception3", new[] { "inception3a", "inception3b", "maxpool3" }),
            ("inception4", new[] { "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4" }),
            ("inception5", new[] { "inception5a", "inception5b" }),
        };
        return Named("googlenet", c, stages, newHead, "aux1.", "aux2.");
    }

    /// <summary>
    /// Inception V3 and GoogLeNet: stages of torchvision's named modules, the head on pooled features under "fc";
    /// the input transformed as torchvision's ImageNet weights expect; the auxiliary heads left out (their tensors
    /// in a checkpoint, <paramref name="dropped"/>, are ignored).
    /// </summary>
    static TorchVisionModel Named(string model, Dictionary<string, Module<Tensor, Tensor>> c, (string Stage, string[] Modules)[] stages,
        Module<Tensor, Tensor> newHead, params string[] dropped)
    {
        var views = stages.Select((s, i) => (s.Stage, (i == 0 ? new Module<Tensor, Tensor>[] { new TorchVisionModel.GrayToRgb(), new TransformInput() } : [])
            .Concat(s.Modules.Select(m => c[m])).ToArray()));
        var registered = stages.SelectMany(s => s.Modules).Select(m => (m, c[m])).Append(("fc", newHead));
        return new TorchVisionModel(model, registered, views, "fc", newHead, pooled: true, dropped);
    }

    /// <summary>
    /// torchvision's <c>transform_input</c>, on in its ImageNet weights for Inception V3 and GoogLeNet: images
    /// normalized with the ImageNet statistics are mapped to the (x - 0.5) / 0.5 scaling those networks were trained on.
    /// </summary>
    sealed class TransformInput() : Module<Tensor, Tensor>("transform_input")
    {
        static readonly float[] Mean = { 0.485f, 0.456f, 0.406f }, Std = { 0.229f, 0.224f, 0.225f };

        public override Tensor forward(Tensor x)
        {
            using var scale = tensor(Std.Select(s => s / 0.5f).ToArray(), dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
            using var shift = tensor(Mean.Select(m => (m - 0.5f) / 0.5f).ToArray(), dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
            using var scaled = x * scale;
            return scaled + shift;
        }
    }
}
