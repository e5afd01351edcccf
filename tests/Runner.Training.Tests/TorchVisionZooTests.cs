using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;
using Runner.Sweeps;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// Every built-in torchvision architecture against Debian's PyTorch: the same weights give the same logits, and each
/// network has the stages the sweep layer lists and takes the smallest images it says it takes.
/// </summary>
[Collection("torch")]
public class TorchVisionZooTests(ITestOutputHelper output)
{
    /// <summary>resnet18 has its own test, with .pt as well (<see cref="TorchVisionModelTests"/>).</summary>
    public static TheoryData<string> Zoo => new(KnownModels.All.Select(m => m.Name).Where(n => n is not ("convnet4" or "resnet18")));

    [Theory]
    [MemberData(nameof(Zoo))]
    public void A_pytorch_checkpoint_gives_the_same_logits_in_runner(string name)
    {
        var facts = KnownModels.Get(name)!;
        // Small images keep the suite fast; the weights are full size whatever the input.
        int size = Math.Max(64, facts.MinInputSize + 5);
        string folder = ScratchFolders.New("zoo-" + name);
        try
        {
            var clock = Stopwatch.StartNew();
            PythonScripts.Run(TestData.RepoRoot, Path.Combine(TestData.RepoRoot, "scripts", "export_torchvision_reference.py"),
                "--model", name, "--out", folder, "--size", size.ToString(), "--formats", "safetensors");
            using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, name + ".reference.json")));
            var r = reference.RootElement;
            float[] input = r.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            float[] expected = r.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            long[] shape = r.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            double pytorch = clock.Elapsed.TotalSeconds;

            var model = ModelZoo.Create(name, 1000);
            using var _ = model.Network;
            WeightFiles.Load(model, Path.Combine(folder, name + ".safetensors"), includeHead: true);
            model.Network.eval();
            using var noGrad = no_grad();
            using var x = tensor(input, shape);
            using var logits = model.Network.forward(x);
            Assert.Equal(new long[] { shape[0], 1000 }, logits.shape);
            var ours = logits.data<float>().ToArray();
            double scale = Math.Max(1, expected.Max(Math.Abs)), worst = ours.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{name} at {size} px: largest logit difference {worst:E2} (logits up to {scale:F2}); PyTorch {pytorch:F1} s, Runner {clock.Elapsed.TotalSeconds - pytorch:F1} s");
            Assert.True(worst < 1e-4 * scale, $"{name}: largest logit difference {worst:E2} (logits up to {scale:F2})");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Every_built_in_model_has_the_listed_stages_takes_images_of_its_smallest_size_and_keeps_no_1x1_convolution()
    {
        foreach (var facts in KnownModels.All)
        {
            var model = ModelZoo.Create(facts.Name, 7);
            using var _ = model.Network;
            // A 1x1 Conv2d left would reach oneDNN's planning that dies on some CPUs (PointwiseConvolutions).
            Assert.DoesNotContain(model.Network.modules(), m => m is TorchSharp.Modules.Conv2d conv && PointwiseConvolutions.IsPointwise(conv));
            Assert.Equal(facts.Stages, model.Stages.Select(s => s.Name));
            model.Network.eval();
            using var noGrad = no_grad();
            using var x = randn(2, facts.Name == "convnet4" ? 1 : 3, facts.MinInputSize, facts.MinInputSize);
            using var logits = model.Network.forward(x);
            Assert.Equal(new long[] { 2, 7 }, logits.shape);
            // What the stages make is what the head takes: feature maps it pools, or (after a dense stage) flat features.
            using var features = model.ForwardPrefix(model.Stages.Count, x);
            Assert.True(features.dim() is 2 or 4, $"{facts.Name}: the last stage gives {features.dim()} dimensions");
        }
    }
}
