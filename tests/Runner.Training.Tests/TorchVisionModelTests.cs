using System.Diagnostics;
using System.Text.Json;
using Runner.Training.Data;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// The torchvision models: stages that freeze, and PyTorch checkpoints that load into the same network. The
/// reference files are written by scripts/export_torchvision_reference.py with Debian's python3-torch and
/// python3-torchvision (random weights from a fixed seed, and the logits they give for a fixed input).
/// </summary>
[Collection("torch")]
public class TorchVisionModelTests(TorchVisionReference reference) : IClassFixture<TorchVisionReference>
{
    [Theory]
    [InlineData("resnet18", 2)]
    [InlineData("mobilenet_v2", 3)]
    [InlineData("mobilenet_v3_small", 6)]   // every stage frozen, the dense one included: only the new head trains
    public void Frozen_stages_of_a_torchvision_model_keep_their_weights_and_statistics_while_the_rest_trains(string name, int depth)
    {
        using var train = TestData.SmallTargetSplit();
        manual_seed(3);
        var model = ModelZoo.Create(name, 5);
        var before = model.Stages.Select(s => TestData.Snapshot(s.Module)).ToList();
        var headBefore = TestData.Snapshot(model.Head);
        TrainingLoop.Run(model, train, null, new TrainingLoop.Settings(1, 16, "adam", 1e-2, 0, 0.9, 3, depth), null, CancellationToken.None);

        for (int i = 0; i < model.Stages.Count; i++)
        {
            var after = TestData.Snapshot(model.Stages[i].Module);
            int changed = after.Count(kv => !kv.Value.SequenceEqual(before[i][kv.Key]));
            if (i < depth) Assert.True(changed == 0, $"{name} stage {model.Stages[i].Name} is frozen but {changed} tensors changed");
            else Assert.True(changed > 0, $"{name} stage {model.Stages[i].Name} trains but nothing changed");
        }
        Assert.Contains(TestData.Snapshot(model.Head), kv => !kv.Value.SequenceEqual(headBefore[kv.Key]));
        model.Network.Dispose();
    }

    [Theory]
    [InlineData(".pt")]
    [InlineData(".safetensors")]
    public void A_pytorch_resnet18_checkpoint_gives_the_same_logits_in_runner(string extension)
    {
        var model = ModelZoo.Create("resnet18", 1000);
        WeightFiles.Load(model, reference.PathOf(extension), includeHead: true);
        model.Network.eval();
        using var _ = no_grad();
        using var x = tensor(reference.Input, reference.InputShape);
        using var logits = model.Network.forward(x);
        Assert.Equal(reference.LogitsShape, logits.shape);
        var ours = logits.data<float>().ToArray();
        double worst = ours.Zip(reference.Logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest logit difference {worst:E2}");
        model.Network.Dispose();
    }

    [Fact]
    public void The_checkpoints_own_head_is_skipped_and_a_new_head_is_sized_for_the_target_classes()
    {
        var model = ModelZoo.Create("resnet18", 5);
        var headBefore = TestData.Snapshot(model.Head);
        WeightFiles.Load(model, reference.PathOf(".pt"));
        Assert.Equal(new long[] { 5, 512 }, model.Network.state_dict()["fc.weight"].shape);
        Assert.All(TestData.Snapshot(model.Head), kv => Assert.Equal(headBefore[kv.Key], kv.Value));
        model.Network.Dispose();
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_is_refused_with_the_offending_names()
    {
        var model = ModelZoo.Create("resnet50", 5);
        var e = Assert.Throws<WeightFileException>(() => WeightFiles.Load(model, reference.PathOf(".pt")));
        Assert.Contains("does not fit resnet50", e.Message);
        Assert.Contains("missing layer1.0.conv3.weight", e.Message);
        Assert.Contains("layer1.0.conv1.weight is [64, 64, 3, 3] in the file but [64, 64, 1, 1] in resnet50", e.Message);
        model.Network.Dispose();

        string text = Path.Combine(ScratchFolders.New("weights"), "notes.pt");
        File.WriteAllText(text, "not a checkpoint");
        var unreadable = Assert.Throws<WeightFileException>(() => WeightFiles.Load(ModelZoo.Create("resnet18", 5), text));
        Assert.StartsWith($"{text}: cannot read it as a .pt weight file", unreadable.Message);
        string onnx = Path.ChangeExtension(text, ".onnx");
        File.WriteAllText(onnx, "");
        var unknown = Assert.Throws<WeightFileException>(() => WeightFiles.Load(ModelZoo.Create("resnet18", 5), onnx));
        Assert.Contains("unknown weight file type '.onnx'", unknown.Message);
        var missing = Assert.Throws<WeightFileException>(() => WeightFiles.Load(ModelZoo.Create("resnet18", 5), onnx + ".gone"));
        Assert.Contains("no such weight file", missing.Message);
    }
}

/// <summary>Runs the export script once for the test class: resnet18 as .pt, .safetensors and reference logits.</summary>
public sealed class TorchVisionReference
{
    readonly string _folder = ScratchFolders.New("torchvision-reference");

    public float[] Input { get; }
    public long[] InputShape { get; }
    public float[] Logits { get; }
    public long[] LogitsShape { get; }

    public TorchVisionReference()
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Path.Combine(TestData.RepoRoot, "scripts", "export_torchvision_reference.py"), "--model", "resnet18", "--out", _folder })
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"the PyTorch export failed (install python3-torch and python3-torchvision): {error}");
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(".reference.json")));
        var r = doc.RootElement;
        Input = r.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        InputShape = r.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Logits = r.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        LogitsShape = r.GetProperty("logits_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
    }

    public string PathOf(string extension) => Path.Combine(_folder, "resnet18" + extension);
}
