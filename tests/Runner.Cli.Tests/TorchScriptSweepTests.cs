using System.Text.Json;

namespace Runner.Cli.Tests;

/// <summary>
/// A freeze-depth sweep over a PNG folder on a backbone the user scripted in PyTorch (a small VisionTransformer
/// without its classifier), through `runner run` like any sweep.
/// </summary>
public class TorchScriptSweepTests
{
    [Fact]
    public void A_sweep_on_a_torchscript_backbone_runs_over_an_image_folder_and_learns()
    {
        string root = ScratchFolders.New("torchscript-sweep");
        string folder = Path.Combine(root, "fashion-folder");
        PythonScripts.Run(CliRunner.RepoRoot, "scripts/make_image_folder.py", CliRunner.Subset, folder, "--size", "32", "--train", "30", "--test", "10");
        PythonScripts.Run(CliRunner.RepoRoot, "scripts/export_torchscript_backbone.py", "--model", "vit", "--out", root, "--size", "32");
        string sweep = CliRunner.WriteSweep(root, $$"""
            name: scripted
            base: { model: torchscript, weights: {{Path.Combine(root, "vit.pt")}} }
            target: { dataset: { type: image-folder, path: {{Path.Combine(folder, "target")}}, image_size: 32 }, validation_per_class: 5 }
            train: { epochs: 4, batch_size: 8, learning_rate: 1e-3 }
            sweep:
              parameters: { freeze_depth: [0, 1], dataset_size: [25] }
              seeds: [1]
            resources: { device: cpu }
            """);
        var validate = CliRunner.Run("validate", sweep);
        Assert.True(validate.ExitCode == 0, validate.Error);
        var run = CliRunner.Run("run", sweep, "--state", Path.Combine(root, "state"), "--threads", "2");
        Assert.True(run.ExitCode == 0, run.Error + run.Out);
        var trials = CliRunner.Run("trials", "scripted", "--format", "json", "--state", Path.Combine(root, "state"));
        using var doc = JsonDocument.Parse(trials.Out);
        var rows = doc.RootElement.GetProperty("trials").EnumerateArray().ToDictionary(t => t.GetProperty("freeze_depth").GetInt32());
        Assert.All(rows.Values, t => Assert.Equal("completed", t.GetProperty("status").GetString()));
        // Five classes: chance is 20%. A randomly initialized two-layer ViT trained for 4 epochs on 25 images a class does better (62% here).
        Assert.True(rows[0].GetProperty("test_accuracy").GetDouble() > 0.35, $"test accuracy {rows[0].GetProperty("test_accuracy")}");
        // Its stages are its top-level children with parameters: conv_proj, encoder. Freezing conv_proj trains fewer.
        Assert.True(rows[1].GetProperty("trainable_parameters").GetInt64() < rows[0].GetProperty("trainable_parameters").GetInt64());

        // The best model taken away as one TorchScript file with the head attached: PyTorch loads it with
        // torch.jit.load and, on the same test images, reproduces Runner's test accuracy.
        string exported = Path.Combine(root, "best.pt");
        var export = CliRunner.Run("export", "scripted", "--best", "--out", exported, "--state", Path.Combine(root, "state"));
        Assert.True(export.ExitCode == 0, export.Error);
        var best = rows.Values.MaxBy(t => t.GetProperty("objective_value").GetDouble());
        var measured = JsonDocument.Parse(PythonScripts.Run(CliRunner.RepoRoot, Path.Combine(CliRunner.RepoRoot, "scripts", "evaluate_torchscript_export.py"),
            exported, Path.Combine(folder, "target"))).RootElement;
        Assert.Equal(50, measured.GetProperty("images").GetInt32());
        double pytorch = measured.GetProperty("test_accuracy").GetDouble(), runner = best.GetProperty("test_accuracy").GetDouble();
        Assert.True(Math.Abs(pytorch - runner) <= 0.002, $"PyTorch measures {pytorch:P2} with the exported file, Runner recorded {runner:P2}");
        Assert.Contains("torch.jit.load", File.ReadAllText(Path.ChangeExtension(exported, ".json")));

        // A program that returns neither features nor a feature map fails its trials, each with one line, and the run says so.
        PythonScripts.Run(CliRunner.RepoRoot, "scripts/export_torchscript_backbone.py", "--model", "wrong_output", "--out", root, "--size", "32");
        string wrong = CliRunner.WriteSweep(Directory.CreateDirectory(Path.Combine(root, "wrong")).FullName, File.ReadAllText(sweep).Replace("vit.pt", "wrong_output.pt").Replace("name: scripted", "name: wrong"));
        var failed = CliRunner.Run("run", wrong, "--state", Path.Combine(root, "state"), "--threads", "2");
        Assert.Equal(1, failed.ExitCode);
        using var failures = JsonDocument.Parse(CliRunner.Run("trials", "wrong", "--format", "json", "--state", Path.Combine(root, "state")).Out);
        Assert.All(failures.RootElement.GetProperty("trials").EnumerateArray(), t =>
        {
            Assert.Equal("failed", t.GetProperty("status").GetString());
            Assert.Contains("returns a tensor of shape [2, 4, 900]", t.GetProperty("failure").GetString());
            Assert.DoesNotContain("\n", t.GetProperty("failure").GetString());
        });
    }
}
