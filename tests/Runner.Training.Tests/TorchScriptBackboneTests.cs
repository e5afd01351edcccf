using System.IO.Compression;
using System.Text.Json;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// TorchScript backbones written by Debian's PyTorch (scripts/export_torchscript_backbone.py): torchvision's
/// EfficientNet-B0 and a small VisionTransformer scripted without their classifiers, a ResNet-18 that returns a
/// feature map, and a program that returns neither features nor a map.
/// </summary>
[Collection("torch")]
public class TorchScriptBackboneTests(ScriptedBackbones files) : IClassFixture<ScriptedBackbones>
{
    [Theory]
    [InlineData("efficientnet_b0")]
    [InlineData("vit")]
    [InlineData("feature_map")]
    public void Runner_gets_the_features_pytorch_got_from_the_same_program(string name)
    {
        var (path, input, shape, expected, expectedShape) = files.Reference(name);
        var model = new TorchScriptBackbone(path, 5, HeadSpec.Linear, null, (int)shape[2]);
        using var _ = model;
        model.eval();
        using var noGrad = no_grad();
        using var x = tensor(input, shape);
        using var features = model.Features(x);
        // A feature map is pooled before the head: compare with PyTorch's map averaged over its positions.
        using var reference = tensor(expected, expectedShape);
        using var pooled = reference.dim() == 4 ? reference.mean(new long[] { 2, 3 }) : reference.alias();
        Assert.Equal(pooled.shape, features.shape);
        double scale = Math.Max(1, pooled.abs().max().item<float>()), worst = (pooled - features).abs().max().item<float>();
        Assert.True(worst < 1e-4 * scale, $"{name}: largest feature difference {worst:E2}");
        using var logits = model.forward(x);
        Assert.Equal(new long[] { shape[0], 5 }, logits.shape);
    }

    /// <summary>
    /// The export with the head attached computes what Runner computed, in PyTorch: here the pooled feature map, an MLP
    /// head (dropout idle at inference) and gray images, which Runner repeats to three channels.
    /// </summary>
    [Theory]
    [InlineData("feature_map", "mlp")]
    [InlineData("vit", "linear")]
    public void The_torchscript_export_with_its_head_gives_pytorch_the_logits_runner_computes(string name, string head)
    {
        var (path, input, shape, _, _) = files.Reference(name);
        var model = new TorchScriptBackbone(path, 5, new HeadSpec(head, 0.2), null, (int)shape[2]);
        using var _ = model;
        model.eval();
        using var noGrad = no_grad();
        using var rgb = tensor(input, shape);
        using var gray = rgb[.., ..1].contiguous();
        using var logits = model.forward(gray);
        string exported = Path.Combine(ScratchFolders.New("torchscript-export"), name + "-with-head.pt");
        TorchScriptExport.Write(model, exported);
        string given = exported + ".input.json";
        File.WriteAllText(given, JsonSerializer.Serialize(new { input = gray.data<float>().ToArray(), input_shape = gray.shape }));
        var r = JsonDocument.Parse(PythonScripts.Run(TestData.RepoRoot, Path.Combine(TestData.RepoRoot, "scripts", "torchscript_logits.py"), exported, given)).RootElement;
        Assert.Equal(logits.shape, r.GetProperty("output_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        using var pytorch = tensor(r.GetProperty("output").EnumerateArray().Select(v => v.GetSingle()).ToArray(), logits.shape);
        double worst = (pytorch - logits).abs().max().item<float>();
        Assert.True(worst < 1e-4 * Math.Max(1, logits.abs().max().item<float>()), $"{name} with a {head} head: largest logit difference {worst:E2}");
    }

    [Fact]
    public void Frozen_stages_of_a_scripted_backbone_keep_their_weights_and_statistics_while_the_rest_trains()
    {
        using var train = TestData.SmallTargetSplit();
        string path = files.Reference("efficientnet_b0").Path;
        string[] stages = { "features.0-3", "features.4-8" };
        var model = new TorchScriptBackbone(path, 5, HeadSpec.Linear, stages, 28);
        using var _ = model;
        var file = new TorchScriptBackbone(path, 5, HeadSpec.Linear, stages, 28);
        using var __ = file;
        Assert.Equal(stages, model.Stages.Select(s => s.Name));
        TrainingLoop.Run(model, train, null, new TrainingLoop.Settings(1, 16, "adam", 1e-2, 0, 0.9, 3, 1), null, CancellationToken.None);

        var before = file.state_dict();
        var after = model.state_dict();
        // Weights and BatchNorm statistics (running_mean, running_var) alike.
        var frozen = after.Keys.Where(k => k.StartsWith("backbone.features.", StringComparison.Ordinal) && int.Parse(k.Split('.')[2]) <= 3).ToList();
        var trained = after.Keys.Where(k => k.StartsWith("backbone.features.", StringComparison.Ordinal) && int.Parse(k.Split('.')[2]) >= 4 && k.EndsWith("weight", StringComparison.Ordinal)).ToList();
        Assert.Contains(frozen, k => k.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.All(frozen, k => Assert.True(before[k].eq(after[k]).all().item<bool>(), $"{k} is in a frozen stage but changed"));
        Assert.True(trained.Count(k => !before[k].eq(after[k]).all().item<bool>()) > trained.Count / 2, "the unfrozen stage did not train");
    }

    [Fact]
    public void A_program_that_returns_neither_features_nor_a_map_or_does_not_load_is_refused_in_one_line()
    {
        var wrong = Assert.Throws<WeightFileException>(() => new TorchScriptBackbone(files.Reference("wrong_output").Path, 5, HeadSpec.Linear, null, 32));
        Assert.Equal("the TorchScript backbone returns a tensor of shape [2, 4, 900] for [2, 3, 32, 32] images; Runner needs features [N, D] or a feature map [N, C, H, W]", wrong.Message);

        // A TorchScript archive whose program text was damaged: LibTorch cannot compile it.
        string damaged = Path.Combine(ScratchFolders.New("damaged"), "vit.pt");
        File.Copy(files.Reference("vit").Path, damaged);
        using (var zip = ZipFile.Open(damaged, ZipArchiveMode.Update))
        {
            var code = zip.Entries.First(e => e.FullName.Contains("/code/", StringComparison.Ordinal) && e.FullName.EndsWith(".py", StringComparison.Ordinal));
            string name = code.FullName;
            code.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(name).Open());
            writer.Write("class VisionTransformer(Module):\n  def forward(self x) -> Tensor:\n");
        }
        var broken = Assert.Throws<WeightFileException>(() => new TorchScriptBackbone(damaged, 5, HeadSpec.Linear, null, 32));
        Assert.StartsWith("vit.pt: cannot load it as a TorchScript module (", broken.Message);
        Assert.DoesNotContain("\n", broken.Message);

        var unknownStage = Assert.Throws<WeightFileException>(() => new TorchScriptBackbone(files.Reference("vit").Path, 5, HeadSpec.Linear, new[] { "blocks.0-3" }, 32));
        Assert.Equal("base.stages: 'blocks.0-3' names no parameter of the TorchScript backbone (its top-level children: conv_proj, encoder, heads)", unknownStage.Message);
    }
}

/// <summary>The scripted backbones, written once for the test class by Debian's PyTorch.</summary>
public sealed class ScriptedBackbones
{
    readonly string _folder = ScratchFolders.New("torchscript");

    public ScriptedBackbones()
    {
        foreach (var (model, size) in new[] { ("efficientnet_b0", 64), ("vit", 32), ("feature_map", 64), ("wrong_output", 32) })
            PythonScripts.Run(TestData.RepoRoot, Path.Combine(TestData.RepoRoot, "scripts", "export_torchscript_backbone.py"),
                "--model", model, "--out", _folder, "--size", size.ToString());
    }

    public (string Path, float[] Input, long[] InputShape, float[] Output, long[] OutputShape) Reference(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(_folder, model + ".reference.json")));
        var r = doc.RootElement;
        float[] Floats(string key) => r.GetProperty(key).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        long[] Longs(string key) => r.GetProperty(key).EnumerateArray().Select(v => v.GetInt64()).ToArray();
        return (System.IO.Path.Combine(_folder, model + ".pt"), Floats("input"), Longs("input_shape"), Floats("output"), Longs("output_shape"));
    }
}
