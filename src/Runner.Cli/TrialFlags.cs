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
    /// <summary>Flag → where it goes in the sweep file, in file order. Flags not given take the sweep file's defaults.</summary>
    static readonly (string Flag, string Section, string Key)[] Map =
    {
        ("model", "base", "model"),
        ("source-classes", "base.pretrain", "classes"), ("pretrain-epochs", "base.pretrain", "epochs"), ("pretrain-lr", "base.pretrain", "lr"),
        ("target-classes", "target", "classes"), ("validation-per-class", "target", "validation_per_class"),
        ("optimizer", "train", "optimizer"), ("weight-decay", "train", "weight_decay"), ("momentum", "train", "momentum"),
        ("epochs", "train", "epochs"), ("batch-size", "train", "batch_size"), ("strategy", "train", "strategy"),
        ("base-lr-factor", "train", "base_lr_factor"), ("unfreeze-every", "train", "unfreeze_every"), ("head", "train", "head"), ("dropout", "train", "dropout"),
        ("init", "sweep.parameters", "initialization"), ("freeze-depth", "sweep.parameters", "freeze_depth"),
        ("lr", "sweep.parameters", "learning_rate"), ("dataset-size", "sweep.parameters", "dataset_size"),
        ("seed", "sweep", "seeds"),
    };

    /// <summary>What `runner trial` assumes where the sweep file has no default of its own.</summary>
    static readonly Dictionary<string, string> Defaults = new()
    {
        ["model"] = "convnet4", ["source-classes"] = "0,1,2,3,4", ["target-classes"] = "5,6,7,8,9", ["dataset-size"] = "100", ["seed"] = "0",
        ["init"] = EnumText.Of(Initialization.Pretrained),
    };

    public static IReadOnlyList<string> Flags => Map.Select(m => m.Flag).ToArray();

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
        foreach (var (flag, where, key) in Map)
        {
            if (args.Get(flag) == null && !Defaults.ContainsKey(flag)) continue;
            if (scratch && where == "base.pretrain") continue;
            if (where != section)
            {
                foreach (string line in Headers(section, where)) yaml.Append(line).Append('\n');
                if (where == "target") yaml.Append("  dataset: fashion-mnist\n");
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
        flag is "source-classes" or "target-classes" or "seed"
            ? "[" + string.Join(", ", value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => JsonSerializer.Serialize(v))) + "]"
            : JsonSerializer.Serialize(value);
}
