using System.Diagnostics;
using System.Text.Json;

namespace Runner.Cli.Tests;

/// <summary>
/// The README's "Your own data and checkpoint" walkthrough, smaller: the two scripts build a PNG image folder and a
/// ResNet-18 state_dict trained in PyTorch (Debian's python3-torch/torchvision), and experiments/resnet18-imagefolder.yaml
/// validates, plans and runs a fine-tune trial on them.
/// </summary>
public class OwnDataWalkthroughTests
{
    static void Python(params string[] args) => PythonScripts.Run(CliRunner.RepoRoot, args);

    [Fact]
    public void The_scripts_build_a_folder_and_checkpoint_that_the_experiment_file_trains_on()
    {
        string root = ScratchFolders.New("walkthrough");
        string folder = Path.Combine(root, "fashion-folder");
        Python("scripts/make_image_folder.py", CliRunner.Subset, folder, "--size", "32", "--train", "30", "--test", "10");
        Assert.Equal(30, Directory.GetFiles(Path.Combine(folder, "target", "train", "Sandal"), "*.png").Length);
        Python("scripts/export_torchvision_reference.py", "--model", "resnet18", "--out", folder, "--size", "32",
            "--train-folder", Path.Combine(folder, "source"), "--epochs", "1");

        string yaml = File.ReadAllText(Path.Combine(CliRunner.Experiments, "resnet18-imagefolder.yaml"))
            .Replace("../data/fashion-folder", folder).Replace("validation_per_class: 50", "validation_per_class: 10");
        string sweep = CliRunner.WriteSweep(root, yaml);
        var validate = CliRunner.Run("validate", sweep);
        Assert.True(validate.ExitCode == 0, validate.Error);
        Assert.Contains("12 trials", validate.Out);

        using var plan = JsonDocument.Parse(CliRunner.Run("plan", sweep, "--json").Out);
        string id = plan.RootElement.GetProperty("trials").EnumerateArray()
            .First(t => t.GetProperty("parameters").GetProperty("strategy").GetString() == "fine-tune").GetProperty("id").GetString()!;
        var trial = CliRunner.Run("trial", "--sweep", sweep, "--id", id, "--json", "--threads", "2", "--device", "cpu", "--state", Path.Combine(root, "state"));
        Assert.True(trial.ExitCode == 0, trial.Error);
        using var doc = JsonDocument.Parse(trial.Out);
        var result = doc.RootElement.GetProperty("trials")[0];
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal(result.GetProperty("total_parameters").GetInt64(), result.GetProperty("trainable_parameters").GetInt64());
        Assert.Contains("decoding 200 images", trial.Error);
    }
}
