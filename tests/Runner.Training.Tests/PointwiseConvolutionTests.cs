using Runner.Sweeps;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// ResNet-50's 1×1 projections (512→1024, 1024→2048) killed the whole process with SIGFPE inside oneDNN on CPUs that
/// hide their cache topology (issue 23), so those CPUs trained every network with a 1×1 convolution without oneDNN.
/// The zoo now runs 1×1 convolutions as matrix products (<see cref="PointwiseConvolutions"/>), and keeps oneDNN for the
/// rest. On such a CPU (the AMD EPYC VM of issue 23) a regression here aborts the test run; on others it trains.
/// That the matrix products give the convolution's logits and gradients is <see cref="ChannelsLastTests"/>' resnet18
/// case (against torchvision's plain network) and every model's PyTorch logits (<see cref="TorchVisionZooTests"/>).
/// </summary>
[Collection("torch")]
public class PointwiseConvolutionTests
{
    /// <summary>One model per family: TorchSharp holds their 1×1 convolutions in fields, Sequentials, or both.</summary>
    [Theory]
    [InlineData("resnet50", 36)]
    [InlineData("mobilenet_v2", 34)]
    [InlineData("mobilenet_v3_small", 40)]   // squeeze-excitation's 1x1 convolutions have a bias
    [InlineData("inception_v3", 40)]
    [InlineData("googlenet", 37)]
    public void Every_1x1_convolution_of_a_torchvision_network_becomes_a_matrix_product_with_the_same_state_dict(string name, int pointwise)
    {
        var model = TorchVisionArchitectures.Build(name, 5, HeadSpec.Linear);
        using var _ = model.Network;
        var keys = model.Network.state_dict().Keys.ToList();
        var parameters = model.Network.parameters().ToList();
        var convolutions = model.Network.modules().OfType<TorchSharp.Modules.Conv2d>().Where(PointwiseConvolutions.IsPointwise).ToList();
        int calls = 0;
        foreach (var conv in convolutions) conv.register_forward_pre_hook((_, input) => { calls++; return input; });

        Assert.Equal(pointwise, PointwiseConvolutions.Reroute(model));

        Assert.Equal(pointwise, convolutions.Count);
        Assert.Equal(keys, model.Network.state_dict().Keys);   // names and order, as torchvision's
        Assert.Equal(parameters, model.Network.parameters(), ReferenceEqualityComparer.Instance);
        int size = KnownModels.Get(name)!.MinInputSize;
        using var x = randn(2, 3, size, size);
        using (var logits = model.Network.forward(x)) logits.sum().backward();
        using (((IStagedModel)model).ForwardPrefix(model.Stages.Count, x)) { }
        Assert.True(calls == 0, $"{name}: {calls} calls still reached a 1x1 Conv2d");
        Assert.All(parameters.Where(p => p.dim() == 4 && p.shape[2] == 1), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void Resnet50_trains_in_both_precisions_with_onednn_on_where_its_projections_used_to_die()
    {
        bool wasOneAtATime = OneDnnGuard.OneTrialAtATime, wasOff = OneDnnGuard.Engaged;
        // As in a trainer process: the zoo network may turn oneDNN back on if a TorchScript test turned it off.
        OneDnnGuard.OneTrialAtATime = true;
        try
        {
            TorchRuntime.SetThreads(2);
            manual_seed(1);
            var model = ModelZoo.Create("resnet50", 5);
            using var _ = model.Network;
            Assert.False(OneDnnGuard.Engaged, "building a zoo network turned oneDNN's convolutions off");
            model.Network.train();
            using var x = randn(4, 3, 64, 64);
            using var y = tensor(new long[] { 0, 1, 2, 3 });
            var projection = model.Network.named_parameters().Single(p => p.name == "layer4.0.downsample.0.weight").parameter;
            foreach (string precision in new[] { Autocast.Float32, Autocast.BFloat16 })
            {
                model.Network.zero_grad();
                Tensor loss;
                using (Autocast.Enter(precision, CPU))
                using (var logits = model.Network.forward(x))
                    loss = nn.functional.cross_entropy(logits, y);
                using (loss) loss.backward();
                using var norm = projection.grad!.norm();
                float n = norm.item<float>();
                Assert.True(float.IsFinite(n) && n > 0, $"{precision}: the 1024→2048 projection's gradient has norm {n}");
            }
        }
        finally
        {
            OneDnnGuard.OneTrialAtATime = wasOneAtATime;
            if (wasOff) OneDnnGuard.Prepare(pointwise: true);
        }
    }
}
