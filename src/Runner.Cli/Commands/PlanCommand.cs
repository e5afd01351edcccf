using Runner.Sweeps.Search;
using System.Text.Json;
using Runner.Sweeps;
using Spectre.Console;

namespace Runner.Cli.Commands;

public sealed class PlanCommand : ICommand
{
    public string Name => "plan";
    public string Summary => "list the trials a sweep file expands to";
    public string Description => """
        Expands a sweep file into its trials, in the order they are scheduled, each with its stable id (a hash of the
        fully resolved configuration: the same trial in another sweep has the same id).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("FILE", "the sweep file") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        OptionSpec.Flag("json", "one JSON object: {\"sweep\", \"count\", \"trials\": [{\"id\", \"parameters\"}]}"),
        new("data", "DIR", "Fashion-MNIST folder used to check dataset_size against the data"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        string file = args.Single("a sweep FILE");
        var definition = SweepLoader.Load(file, args.Get("data"), context.Error);
        var trials = SweepExpander.Expand(definition);
        var search = SweepExpander.SearchOf(definition);
        if (args.Has("json"))
        {
            var doc = new
            {
                sweep = definition.Name,
                sweep_id = SweepRequest.From(definition).Id,
                count = trials.Count,
                trials = trials.Select(t => new { id = t.Id, parameters = t.Parameters().ToDictionary(p => p.Key, p => SweepParameters.Published(p.Value)) }),
                search = search == null ? null : new
                {
                    method = search.Method, trials = search.Budget, search.Parallelism, max_trials = search.MaxTrials,
                    space = search.Space.Select(a => new { name = a.Name, kind = a.Kind, min = a.Kind == SearchAxis.Choice ? (double?)null : a.Min,
                        max = a.Kind == SearchAxis.Choice ? (double?)null : a.Max, choices = a.Choices }),
                    studies = search.Studies.Select(st => new { cell = st.Cell.ToDictionary(c => c.Name, c => SweepParameters.Published(SearchPlan.Value(c.Name, c.Text))),
                        seeds = st.Seeds, seeds_after = st.SeedsAfter }),
                },
            };
            context.Out.WriteLine(JsonSerializer.Serialize(doc, JsonOutput.Options));
            return 0;
        }
        if (search != null)
        {
            // Nothing to list yet: the trials are proposed while the sweep runs. What each study searches is.
            var studies = new Table().Border(TableBorder.Simple).AddColumn("#").AddColumn("cell").AddColumn("search seeds").AddColumn("winner's seeds");
            int i = 0;
            foreach (var st in search.Studies)
                studies.AddRow((++i).ToString(), Markup.Escape(st.Label), string.Join(", ", st.Seeds), st.SeedsAfter.Length == 0 ? "-" : string.Join(", ", st.SeedsAfter));
            context.Console.Write(studies);
            context.Out.WriteLine($"searching {string.Join(", ", search.Space.Select(a => a.Canonical()))} with {search.Method}, {search.Budget} trials per study, {search.Parallelism} at once");
            context.Out.WriteLine($"{ValidateCommand.CountText(definition)} in sweep '{definition.Name}', id {SweepRequest.From(definition).Id} ({ValidateCommand.Describe(definition)}); proposed while it runs");
            return 0;
        }
        var swept = definition.Sweep.Parameters.Select(p => p.Name).Append("seed").ToList();
        var table = new Table().Border(TableBorder.Simple).AddColumn("#").AddColumn("trial id");
        foreach (string name in swept) table.AddColumn(name);
        int n = 0;
        foreach (var trial in trials)
        {
            var values = trial.Parameters();
            table.AddRow(new[] { (++n).ToString(), trial.Id }.Concat(swept.Select(s => Markup.Escape(SweepParameters.Format(values[s])))).ToArray());
        }
        context.Console.Write(table);
        context.Out.WriteLine($"{trials.Count} trials in sweep '{definition.Name}', id {SweepRequest.From(definition).Id} ({ValidateCommand.Describe(definition)})");
        return 0;
    }
}
