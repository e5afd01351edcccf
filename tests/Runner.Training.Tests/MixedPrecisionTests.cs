using Runner.Sweeps;
using Runner.Training.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

[Collection("torch")]
public class MixedPrecisionTests(SharedArtifacts shared)
{
    [Fact]
    public void Inside_a_bf16_scope_linear_layers_compute_in_bfloat16_losses_in_float32_and_outside_everything_is_float32_again()
    {
        TorchRuntime.EnsureLoaded();
        using var layer = nn.Linear(8, 3);
        using var x = randn(4, 8);
        using var y = tensor(new long[] { 0, 1, 2, 0 });
        using (Autocast.Enter(Autocast.BFloat16, CPU))
        {
            using var logits = layer.call(x);
            using var loss = nn.functional.cross_entropy(logits, y);
            Assert.Equal(ScalarType.BFloat16, logits.dtype);
            Assert.Equal(ScalarType.Float32, loss.dtype);      // cross-entropy is on autocast's float32 list
            Assert.Equal(ScalarType.Float32, layer.weight!.dtype);   // the weights stay float32
        }
        using var after = layer.call(x);
        Assert.Equal(ScalarType.Float32, after.dtype);
        Assert.Null(Autocast.Enter(Autocast.Float32, CPU));
        Assert.Throws<ArgumentException>(() => Autocast.Enter(Autocast.Float16, CPU));
    }

    [Fact]
    public void A_bf16_trial_trains_and_is_its_own_trial()
    {
        var env = TestData.Environment(shared.Folder);
        var fp32 = TestData.SmallTrial(init: "scratch", seed: 2, epochs: 2);
        var bf16 = fp32 with { Precision = Autocast.BFloat16 };
        Assert.NotEqual(fp32.Id, bf16.Id);
        var a = TrialRunner.Run(fp32, env);
        var b = TrialRunner.Run(bf16, env);
        Assert.Equal(TrialStatus.Completed, b.Status);
        Assert.InRange(b.TestAccuracy!.Value, 0.4, 1);   // chance is 0.2
        Assert.True(Math.Abs(a.TestAccuracy!.Value - b.TestAccuracy.Value) < 0.1, $"fp32 {a.TestAccuracy:P1}, bf16 {b.TestAccuracy:P1}");
        Assert.NotEqual(a.Epochs[^1].TrainLoss, b.Epochs[^1].TrainLoss);   // it did compute differently
    }

    [Fact]
    public void Loss_scaling_skips_a_step_whose_gradients_overflowed_and_backs_off()
    {
        TorchRuntime.EnsureLoaded();
        using var w = new TorchSharp.Modules.Parameter(ones(3));
        var scaler = new GradScaler(initialScale: 1024, growthInterval: 2);
        using (var loss = (w * 2).sum()) scaler.Scaled(loss).backward();
        Assert.True(scaler.Unscale(new[] { w }));
        Assert.Equal(new[] { 2f, 2f, 2f }, w.grad!.data<float>().ToArray());   // unscaled back to d(2w)/dw
        w.grad!.fill_(float.PositiveInfinity);
        Assert.False(scaler.Unscale(new[] { w }));
        Assert.Equal(512, scaler.Scale);
        Assert.All(w.grad!.data<float>().ToArray(), g => Assert.Equal(0f, g));
        w.grad!.fill_(1);
        Assert.True(scaler.Unscale(new[] { w }));
        w.grad!.fill_(1);
        Assert.True(scaler.Unscale(new[] { w }));
        Assert.Equal(1024, scaler.Scale);   // two finite steps in a row (the interval here) double it
    }
}
