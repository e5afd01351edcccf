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
        k of them), the parameters of each stage, those of a new linear head for N target classes, and the image size
        an image folder is resized to by default.
        """;
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("classes", "N", "target classes for the head's count [10]"),
        OptionSpec.Flag("json", "one JSON object per model"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        int classes = args.Int("classes", 1) ?? 10;
        TorchRuntime.EnsureLoaded();
        foreach (var facts in KnownModels.All)
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
                        head_parameters = head, total_parameters = total, freeze_depths = $"0..{stages.Count}", input_size = facts.InputSize,
                    }, JsonOutput.Options));
                    continue;
                }
                context.Out.WriteLine($"{facts.Name}: {facts.Description}");
                context.Out.WriteLine($"  freeze_depth 0..{stages.Count}; {total:N0} parameters with a {classes}-class head; image folders are resized to {facts.InputSize} px unless image_size says otherwise");
                for (int i = 0; i < stages.Count; i++)
                    context.Out.WriteLine($"  {i + 1}. {stages[i].Name,-8} {stages[i].Parameters,12:N0}");
                context.Out.WriteLine($"     {"head",-8} {head,12:N0}  (new, {classes} classes)");
            }
            finally
            {
                model.Network.Dispose();
            }
        }
        return 0;
    }
}
