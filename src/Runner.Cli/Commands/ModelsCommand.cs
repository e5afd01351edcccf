using System.Text.Json;
using Runner.Sweeps;
using Runner.Training.Engine;
using Runner.Training.Models;

namespace Runner.Cli.Commands;

/// <summary>`runner models`: the models a sweep file can name, their freezable stages and parameter counts.</summary>
public sealed class ModelsCommand : ICommand
{
    public string Name => "models";
    public string Summary => "list the models, their stages (what freeze_depth counts) and parameter counts";
    public string Description => """
        For each model a sweep file can name in base.model: its stages in order (freeze_depth = k freezes the first
        k of them), the parameters of each stage, those of a new linear head for N target classes (and the name of the
        layer it replaces), and the image size an image folder is resized to by default. MODELS: only those (a comma list).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("MODELS", "models to list, comma-separated (default: all)", Required: false) };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("classes", "N", "target classes for the head's count [10]"),
        OptionSpec.Flag("json", "one JSON object per model"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        int classes = args.Int("classes", 1) ?? 10;
        var chosen = args.Positional.Count == 0 ? KnownModels.All : args.Positional[0].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(name => KnownModels.Get(name)
            ?? throw new UsageException($"unknown model '{name}'{DidYouMean.Hint(name, KnownModels.All.Select(m => m.Name).ToArray())}; `runner models` lists them")).ToList();
        TorchRuntime.EnsureLoaded();
        foreach (var facts in chosen)
        {
            var model = ModelZoo.Create(facts.Name, classes);
            try
            {
                var stages = model.Stages.Select(s => (s.Name, Parameters: Freezing.ParameterCount(s.Module.parameters()))).ToList();
                long head = Freezing.ParameterCount(model.Head.parameters());
                long total = Freezing.ParameterCount(model.Network.parameters());
                if (args.Has("json"))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        model = facts.Name, description = facts.Description, stages = stages.Select(s => new { name = s.Name, parameters = s.Parameters }),
                        head = model.HeadName, head_parameters = head, total_parameters = total, freeze_depths = $"0..{stages.Count}",
                        input_size = facts.InputSize, min_input_size = facts.MinInputSize,
                    }, JsonOutput.Options));
                    continue;
                }
                context.Out.WriteLine($"{facts.Name}: {facts.Description}");
                context.Out.WriteLine($"  freeze_depth 0..{stages.Count}; {total:N0} parameters with a {classes}-class head; image folders are resized to {facts.InputSize} px unless image_size says otherwise (at least {facts.MinInputSize})");
                for (int i = 0; i < stages.Count; i++)
                    context.Out.WriteLine($"  {i + 1}. {stages[i].Name,-10} {stages[i].Parameters,12:N0}");
                context.Out.WriteLine($"     {model.HeadName,-10} {head,12:N0}  (the new head, {classes} classes)");
            }
            finally
            {
                model.Network.Dispose();
            }
        }
        if (args.Positional.Count == 0 && !args.Has("json"))
            context.Out.WriteLine($"{KnownModels.TorchScript}: {KnownModels.Get(KnownModels.TorchScript)!.Description} (docs/sweep-file.md)");
        return 0;
    }
}
