using System.Globalization;
using System.Text.Json;
using Runner.Testing;

namespace Runner.Cli.Tests;

/// <summary>
/// The model people keep: a sweep keeps the models its rule names (best-per-cell by default), `runner trials` says
/// which, and `runner export` writes them in forms Debian's PyTorch loads and measures at Runner's test accuracy.
/// </summary>
public class ExportTests
{
    const string Sweep = """
        name: keeps
        base: { model: convnet4 }
        target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: SUBSET, validation_per_class: 20 }
        train: { epochs: 2, batch_size: 16 }
        sweep:
          parameters:
            initialization: [scratch]
            learning_rate: [0.001, 0.03]
            dataset_size: [20]
          seeds: [1, 2]
        resources: { device: cpu }
        """;

    [Fact]
    public void A_sweep_keeps_the_best_configurations_models_and_pytorch_loads_each_export_at_runners_test_accuracy()
    {
        string dir = ScratchFolders.New("export");
        string state = Path.Combine(dir, "state");
        var run = CliRunner.Run("run", CliRunner.WriteSweep(dir, Sweep.Replace("SUBSET", CliRunner.Subset)), "--state", state, "--workers", "2");
        Assert.True(run.ExitCode == 0, run.Error + run.Out);

        // One cell (scratch, 20 per class), two learning rates, two seeds: the cell's chosen rate keeps both its seeds.
        var trials = JsonDocument.Parse(CliRunner.Run("trials", "keeps", "--state", state, "--format", "json").Out).RootElement.GetProperty("trials")
            .EnumerateArray().Select(t => (Id: t.GetProperty("trial_id").GetString()!, Lr: t.GetProperty("learning_rate").GetDouble(),
                Objective: t.GetProperty("objective_value").GetDouble(), Test: t.GetProperty("test_accuracy").GetDouble())).ToList();
        double chosen = trials.GroupBy(t => t.Lr).OrderByDescending(g => g.Average(t => t.Objective)).First().Key;
        var table = CliRunner.Run("trials", "keeps", "--state", state).Out.Split('\n');
        Assert.Equal(trials.Where(t => t.Lr == chosen).Select(t => t.Id).Order(), trials.Where(t => table.Any(l => l.Contains(t.Id) && l.Contains("kept"))).Select(t => t.Id).Order());

        var best = trials.MaxBy(t => t.Objective);
        foreach (string file in new[] { "best.pt", "best.safetensors" })
        {
            string path = Path.Combine(dir, file);
            var export = CliRunner.Run("export", "keeps", "--best", "--out", path, "--state", state);
            Assert.True(export.ExitCode == 0, export.Error);
            Assert.Contains($"trial {best.Id}", export.Out);
            var description = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(path, ".json"))).RootElement;
            Assert.Equal(new[] { "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" }, description.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
            var measured = JsonDocument.Parse(PythonScripts.Run(CliRunner.RepoRoot, Path.Combine(CliRunner.RepoRoot, "scripts", "evaluate_export.py"), path, CliRunner.Subset)).RootElement;
            double pytorch = measured.GetProperty("test_accuracy").GetDouble();
            Assert.True(Math.Abs(pytorch - best.Test) <= 0.002, string.Create(CultureInfo.InvariantCulture, $"{file}: PyTorch measures {pytorch:P2}, Runner recorded {best.Test:P2}"));
        }

        var dropped = trials.First(t => t.Lr != chosen);
        var refused = CliRunner.Run("export", "keeps", "--trial", dropped.Id, "--out", Path.Combine(dir, "x.pt"), "--state", state);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"runner export: trial {dropped.Id} kept no model: its sweep keeps best-per-cell only, and this trial is not among them", refused.Error.Trim());
        var badName = CliRunner.Run("export", "keeps", "--best", "--out", Path.Combine(dir, "x.onnx"), "--state", state);
        Assert.Equal(2, badName.ExitCode);
        Assert.Single(badName.Error.Trim().Split('\n'));
    }
}
