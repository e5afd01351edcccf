using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// Models from the zoo compute in the channels-last layout on the CPU (the trainer's speed depends on it), and that
/// changes nothing but float rounding: same logits, same gradients, same state_dict as the plain layout. For resnet18
/// this also covers its 1×1 projections (stride 2), which the zoo runs as matrix products (PointwiseConvolutions).
/// </summary>
[Collection("torch")]
public class ChannelsLastTests(SharedArtifacts shared)
{
    [Theory]
    [InlineData("convnet4")]
    [InlineData("resnet18")]
    public void A_zoo_model_computes_channels_last_with_the_logits_and_gradients_of_the_plain_layout(string name)
    {
        TorchRuntime.SetThreads(2);
        manual_seed(5);
        var fast = ModelZoo.Create(name, 5);
        var plain = name == "convnet4" ? (IStagedModel)new ConvNet4(5) : PlainResNet18();
        plain.Network.load_state_dict(fast.Network.state_dict());
        using var x = randn(8, 1, 28, 28);
        using var y = tensor(new long[] { 0, 1, 2, 3, 4, 0, 1, 2 });

        using (no_grad())
        {
            fast.Network.eval();
            using var first = fast.Stages[0].Module.forward(x);
            Assert.True(ChannelsLast.IsChannelsLast(first), $"{name}'s first stage answered with strides {string.Join(",", first.stride())}");
        }

        fast.Network.train();
        plain.Network.train();
        using var fastLogits = fast.Network.forward(x);
        using var plainLogits = plain.Network.forward(x);
        AssertClose(plainLogits, fastLogits, $"{name} logits");
        nn.functional.cross_entropy(fastLogits, y).backward();
        nn.functional.cross_entropy(plainLogits, y).backward();
        var fastGrads = fast.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (paramName, p) in plain.Network.named_parameters())
            AssertClose(p.grad!, fastGrads[paramName], $"{name} gradient of {paramName}");
        Assert.All(fast.Network.state_dict(), kv => Assert.True(kv.Value.is_contiguous(), $"{kv.Key} is not stored plain"));
        fast.Network.Dispose();
        plain.Network.Dispose();
    }

    [Fact]
    public void Cached_features_are_kept_in_the_plain_layout_whichever_layout_computed_them()
    {
        var data = Data.FashionMnist.Load(TestData.Subset);
        var spec = TestData.SmallTrial(freezeDepth: 2, seed: 1);
        var baseModel = PretrainedBases.GetOrTrain(new DerivedFiles(shared.Folder), "convnet4", spec.Pretrain!, data, CPU, null, CancellationToken.None);
        var cache = new FeatureCache(new DerivedFiles(ScratchFolders.New("features-layout")));
        using var made = cache.GetOrCompute(FeatureCache.KeyFor(spec, data)!, baseModel, 2, data, spec.TargetClasses, CPU, null);
        // Rows are written in storage order: a channels-last tensor written as it is would read back transposed.
        int[] first = Enumerable.Range(0, 8).ToArray();
        using var images = Data.TensorSplit.From(data.Train, made.TrainIndices[..8], spec.TargetClasses, CPU);
        baseModel.Network.eval();
        using var noGrad = no_grad();
        using var expected = baseModel.ForwardPrefix(2, images.Images).contiguous();
        using var stored = made.Train.Gather(first);
        AssertClose(expected, stored, "stored features");
    }

    /// <summary>resnet18 as torchvision builds it, without Runner's layout hooks (the zoo always adds them).</summary>
    static IStagedModel PlainResNet18() => TorchVisionArchitectures.Build("resnet18", 5, HeadSpec.Linear);

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(1e-3, expected.abs().max().item<float>());
        double worst = (expected - actual).abs().max().item<float>();
        Assert.True(worst <= 1e-4 * scale, $"{what}: largest difference {worst:E2} at scale {scale:E2}");
    }
}
