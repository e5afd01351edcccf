using Runner.Sweeps;

namespace Runner.Cli.Commands;

public sealed class ValidateCommand : ICommand
{
    public string Name => "validate";
    public string Summary => "check a sweep file and say how many trials it expands to";
    public string Description => """
        Checks a sweep file. Prints a one-line summary and exits 0 when it is valid; otherwise prints every problem
        as FILE:LINE:COLUMN: message on stderr and exits 2.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("FILE", "the sweep file") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("data", "DIR", "Fashion-MNIST folder used to check dataset_size against the data (default: the usual search)"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        string file = args.Single("a sweep FILE");
        var definition = SweepLoader.Load(file, args.Get("data"), context.Error);
        var trials = SweepExpander.Expand(definition);
        context.Out.WriteLine($"{file}: valid: sweep '{definition.Name}', {trials.Count} trials ({Describe(definition)})");
        return 0;
    }

    public static string Describe(SweepDefinition d)
    {
        string axes = string.Join(" × ", d.Sweep.Parameters.Select(p => p.Values != null ? $"{p.Name}[{p.Values.Count}]" : $"{p.Name}~{p.Distribution!.Kind}"));
        string method = d.Sweep.Method == "random" ? $"random, {d.Sweep.Samples} samples of {axes}" : $"grid {axes}";
        return $"{method}, {d.Sweep.Seeds.Length} seed(s), model {d.Base.Model}";
    }
}
