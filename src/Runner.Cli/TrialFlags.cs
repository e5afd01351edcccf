using System.Text;
using System.Text.Json;
using Runner.Sweeps;

namespace Runner.Cli;

/// <summary>
/// `runner trial` with flags: the flags become a one-point sweep file, read by the same <see cref="SweepFile"/>
/// validator and <see cref="SweepExpander"/> as any sweep, so a bad value gets the same message through both doors
/// (prefixed with the flag that gave it) and the trial gets the same id as the equal trial of a sweep file.
/// </summary>
public static class TrialFlags
{
    /// <summary>A flag, where it goes in the sweep file, and its help. In file order; flags not given take the sweep file's defaults.</summary>
    sealed record Flag(string Name, string Section, string Key, string Value, string Help);

    static readonly Flag[] Map =
    {
        new("model", "base", "model", "NAME", "convnet4 | resnet18 | resnet50 | mobilenet_v2 [convnet4]"),
        new("source-classes", "base.pretrain", "classes", "LIST", "pretraining classes, indices or names [0,1,2,3,4]"),
        new("pretrain-epochs", "base.pretrain", "epochs", "E", "pretraining epochs [3]"),
        new("pretrain-lr", "base.pretrain", "lr", "X", "pretraining learning rate [0.001]"),
        new("target-classes", "target", "classes", "LIST", "target classes [5,6,7,8,9]"),
        new("validation-per-class", "target", "validation_per_class", "N", "validation images carved per target class [100]"),
        new("optimizer", "train", "optimizer", "adam|adamw|sgd", "[adam]"),
        new("weight-decay", "train", "weight_decay", "X", "[0]"),
        new("momentum", "train", "momentum", "X", "SGD momentum [0.9]"),
        new("epochs", "train", "epochs", "E", "[5]"),
        new("batch-size", "train", "batch_size", "B", "[64]"),
        new("strategy", "train", "strategy", "S", "feature-extraction | fine-tune | gradual-unfreeze [feature-extraction]"),
        new("base-lr-factor", "train", "base_lr_factor", "X", "fine-tune: rate of the stages below --freeze-depth, × --lr [0.1]"),
        new("unfreeze-every", "train", "unfreeze_every", "E", "gradual-unfreeze: epochs between unfreezing one more stage [1]"),
        new("head", "train", "head", "linear|mlp", "the new head [linear]"),
        new("dropout", "train", "dropout", "X", "dropout in the head, in [0, 1) [0]"),
        new("select", "train", "select", "best|last", "test the weights of the objective's best epoch, or of the last [best]"),
        new("lr-schedule", "train", "lr_schedule", "S", "constant | cosine | step | one-cycle [constant]"),
        new("warmup-epochs", "train", "warmup_epochs", "E", "linear warm-up epochs before the schedule [0]"),
        new("lr-milestones", "train", "lr_milestones", "LIST", "step schedule: epochs after which the rate is multiplied by --lr-gamma"),
        new("lr-gamma", "train", "lr_gamma", "X", "step schedule: factor at each milestone [0.1]"),
        new("label-smoothing", "train", "label_smoothing", "X", "cross-entropy label smoothing, in [0, 1) [0]"),
        new("grad-clip", "train", "grad_clip", "X", "clip the gradients' total norm to X (0 = off) [0]"),
        new("nesterov", "train", "nesterov", "true|false", "SGD: Nesterov momentum [false]"),
        new("precision", "train", "precision", "fp32|bf16|fp16", "mixed precision (autocast): bf16 on CPUs and GPUs, fp16 on CUDA [fp32]"),
        new("init", "sweep.parameters", "initialization", "pretrained|scratch", "[pretrained]"),
        new("freeze-depth", "sweep.parameters", "freeze_depth", "K", "leading stages frozen, 0..4 for convnet4 [0]"),
        new("lr", "sweep.parameters", "learning_rate", "X", "learning rate [0.001]"),
        new("dataset-size", "sweep.parameters", "dataset_size", "N", "training images per target class [100]"),
        new("seed", "sweep", "seeds", "S", "[0]"),
        new("metric", "sweep.metric", "name", "M", "the objective: val_accuracy | val_loss | val_macro_f1 | val_balanced_accuracy | val_top5_accuracy [val_accuracy]"),
        new("goal", "sweep.metric", "goal", "maximize|minimize", "the objective's goal [the metric's own]"),
        new("patience", "sweep.early_stop", "patience", "N", "stop after N epochs without a better objective [off]"),
        new("min-delta", "sweep.early_stop", "min_delta", "X", "patience: the least gain that counts [0]"),
    };

    /// <summary>What `runner trial` assumes where the sweep file has no default of its own.</summary>
    static readonly Dictionary<string, string> Defaults = new()
    {
        ["model"] = "convnet4", ["source-classes"] = "0,1,2,3,4", ["target-classes"] = "5,6,7,8,9", ["dataset-size"] = "100", ["seed"] = "0",
        ["init"] = EnumText.Of(Initialization.Pretrained),
    };

    /// <summary>The trial-setting options of `runner trial`, the swept ones first (they are what people set most).</summary>
    public static IReadOnlyList<OptionSpec> Options =>
        Map.OrderBy(f => f.Section.StartsWith("sweep", StringComparison.Ordinal) ? 0 : 1).Select(f => new OptionSpec(f.Name, f.Value, f.Help)).ToArray();

    public static TrialSpec Resolve(Arguments args, TrainPerClassLookup capacity, string workingDirectory)
    {
        string Value(string flag) => args.Get(flag) ?? Defaults.GetValueOrDefault(flag)!;
        bool scratch = Value("init") == EnumText.Of(Initialization.Scratch);
        // The combinations a grid makes on purpose but one trial cannot mean: a scratch model has nothing to freeze or adapt.
        if (scratch && args.Int("freeze-depth", 0) > 0) throw new UsageException("--freeze-depth needs --init pretrained: a scratch model has nothing pretrained to freeze");
        if (scratch && args.IsSet("strategy")) throw new UsageException("--strategy needs --init pretrained: a scratch model has no base to adapt");

        var yaml = new StringBuilder("name: trial\n");
        var flagAtLine = new Dictionary<int, string>();
        string? section = null;
        foreach (var (flag, where, key, _, _) in Map)
        {
            if (args.Get(flag) == null && !Defaults.ContainsKey(flag)) continue;
            if (scratch && where == "base.pretrain") continue;
            if (where != section)
            {
                foreach (string line in Headers(section, where)) yaml.Append(line).Append('\n');
                if (where == "target") yaml.Append("  dataset: fashion-mnist\n");
                if (where == "sweep.early_stop") yaml.Append("    type: patience\n");
                section = where;
            }
            int depth = where.Count(c => c == '.') + 1;
            flagAtLine[yaml.ToString().Count(c => c == '\n') + 1] = flag;
            yaml.Append(new string(' ', 2 * depth)).Append(key).Append(": ").Append(Scalar(flag, Value(flag))).Append('\n');
        }
        try
        {
            var definition = SweepFile.Parse(yaml.ToString(), "flags", workingDirectory, capacity);
            return SweepExpander.Expand(definition).Single();
        }
        catch (SweepFileException e)
        {
            throw new UsageException(string.Join("; ", e.Errors.Select(error =>
                flagAtLine.TryGetValue(error.Line, out var flag) ? $"--{flag}: {error.Message}" : error.Message)));
        }
    }

    /// <summary>The section lines between the last section written and the next (sections nest at most two deep).</summary>
    static IEnumerable<string> Headers(string? from, string to)
    {
        string[] have = from?.Split('.') ?? Array.Empty<string>(), want = to.Split('.');
        int common = 0;
        while (common < have.Length && common < want.Length && have[common] == want[common]) common++;
        for (int i = common; i < want.Length; i++) yield return new string(' ', 2 * i) + want[i] + ":";
    }

    /// <summary>A value as a quoted YAML scalar (nothing a user types can change the file's structure); lists as flow sequences.</summary>
    static string Scalar(string flag, string value) =>
        flag is "source-classes" or "target-classes" or "seed" or "lr-milestones"
            ? "[" + string.Join(", ", value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => JsonSerializer.Serialize(v))) + "]"
            : JsonSerializer.Serialize(value);
}
