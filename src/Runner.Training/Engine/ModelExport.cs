using System.Text.Json;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// A kept model made into files PyTorch users take away (`runner export`): the weights as a state_dict, in
/// <c>.safetensors</c> (the kept file as it is) or <c>.pt</c> (written by TorchSharp.PyBridge in torch.save's format,
/// read back with <c>torch.load</c>), with the network's names (torchvision's for torchvision models; the new head
/// under the name of the one it replaced: fc, classifier; Runner's own names for convnet4); and a JSON file beside it
/// saying how to use them: the model and head, the classes in the order of the outputs, the input size and
/// normalization, the trial's parameters and its metrics.
/// </summary>
public static class ModelExport
{
    public static readonly string[] Extensions = { ".pt", ".safetensors" };

    /// <summary>What is wrong with an export's path (its extension names the format), or null.</summary>
    public static string? PathProblem(string exportPath) => Extensions.Contains(Path.GetExtension(exportPath).ToLowerInvariant()) ? null
        : $"--out must end in {string.Join(" or ", Extensions)}, got '{Path.GetFileName(exportPath)}'";

    /// <summary>Where the description goes: the export's path with .json in place of its extension.</summary>
    public static string DescriptionPath(string exportPath) => Path.ChangeExtension(exportPath, ".json");

    /// <summary>
    /// Writes <paramref name="exportPath"/> (its extension says the format) from the kept safetensors file, and the
    /// description beside it. A TorchScript backbone's <c>.pt</c> is a TorchScript file with the head attached, built
    /// from the program <paramref name="programFile"/> gives (the trial's base.weights; null when it cannot be found).
    /// </summary>
    public static void Write(TrialSpec spec, TrialResult result, string keptSafetensors, string exportPath, Func<string?>? programFile = null)
    {
        if (PathProblem(exportPath) is { } problem) throw new ArgumentException(problem);
        string ext = Path.GetExtension(exportPath).ToLowerInvariant();
        string temp = exportPath + ".part";
        if (ext == ".safetensors") File.Copy(keptSafetensors, temp, overwrite: true);
        else if (spec.Model == KnownModels.TorchScript)
        {
            string program = programFile?.Invoke() ?? throw new ArgumentException(
                $"{exportPath}: the TorchScript file the trial started from ({spec.WeightsPath}, SHA-256 {spec.WeightsSha256?[..12]}) is neither in the artifact store nor at its path; export .safetensors instead (the program's parameters under backbone., the head under head.)");
            TorchRuntime.EnsureLoaded();
            using var model = new TorchScriptBackbone(program, spec.TargetClasses.Length, new HeadSpec(spec.HeadKind, spec.Dropout), spec.BackboneStages, InputSize(spec));
            WeightFiles.Load(model, keptSafetensors, includeHead: true, namedAs: "kept.safetensors");
            TorchScriptExport.Write(model, temp);
        }
        else
        {
            TorchRuntime.EnsureLoaded();
            var model = ModelZoo.Create(spec.Model, spec.TargetClasses.Length, new HeadSpec(spec.HeadKind, spec.Dropout));
            using var _ = model.Network;
            WeightFiles.Load(model, keptSafetensors, includeHead: true, namedAs: "kept.safetensors");
            model.Network.save_py(temp);
        }
        File.Move(temp, exportPath, overwrite: true);
        File.WriteAllText(DescriptionPath(exportPath), Describe(spec, result, exportPath));
    }

    /// <summary>The side of the images the trial's model saw.</summary>
    static int InputSize(TrialSpec spec) =>
        KnownDatasets.Get(spec.TargetDataset) is { } facts ? facts.ImageSide : spec.ImageSize != 0 ? spec.ImageSize : KnownModels.Get(spec.Model)!.InputSize;

    static string Describe(TrialSpec spec, TrialResult result, string exportPath)
    {
        var facts = KnownDatasets.Get(spec.TargetDataset);
        int channels = facts != null ? 1 : TargetData.ChannelsOf(spec.Model);
        int size = InputSize(spec);
        var norm = facts != null ? Normalization.FashionMnist : Normalization.ForChannels(channels);
        var description = new
        {
            model = spec.Model,
            head = new { kind = spec.HeadKind, dropout = spec.Dropout },
            format_note = spec.Model == KnownModels.TorchScript && Path.GetExtension(exportPath).Equals(".pt", StringComparison.OrdinalIgnoreCase)
                ? "a TorchScript module with the head attached: torch.jit.load(path)(x) gives the logits; output i is class classes[i]"
                : "a state_dict: build the architecture, then load_state_dict; output i is class classes[i]",
            classes = spec.TargetClasses.Select(c => new { index = c, name = facts?.ClassNames[c] }).ToArray(),
            target_dataset = spec.TargetDataset,
            input = new { channels, height = size, width = size, scale = "pixels / 255, then (x - mean) / std per channel", mean = norm.Mean, std = norm.Std },
            trial_id = spec.Id,
            selected_epoch = result.SelectedEpoch,
            objective = new { metric = spec.Objective.Metric, goal = spec.Objective.Maximize ? "maximize" : "minimize", value = result.ObjectiveValue },
            parameters = spec.Parameters(),
            metrics = new
            {
                test_accuracy = result.TestAccuracy, test_loss = result.TestLoss, test_macro_f1 = result.TestMacroF1,
                test_balanced_accuracy = result.TestBalancedAccuracy, test_top5_accuracy = result.TestTop5Accuracy,
            },
        };
        return JsonSerializer.Serialize(description, new JsonSerializerOptions { WriteIndented = true });
    }
}
