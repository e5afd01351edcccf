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
        context.Out.WriteLine($"{file}: valid: sweep '{definition.Name}', {CountText(definition)} ({Describe(definition)})");
        return 0;
    }

    /// <summary>"12 trials", or for a search, whose trials are proposed as it runs, "up to 40 trials".</summary>
    public static string CountText(SweepDefinition d) =>
        SweepExpander.SearchOf(d) is { } search ? $"up to {search.MaxTrials:N0} trials" : $"{SweepExpander.Expand(d).Count:N0} trials";

    public static string Describe(SweepDefinition d)
    {
        static string Axes(IEnumerable<ParameterAxis> axes) =>
            string.Join(" × ", axes.Select(p => p.Values != null ? $"{p.Name}[{p.Values.Count}]" : $"{p.Name}~{p.Distribution!.Kind}"));
        var s = d.Sweep;
        string method = s.Tune is { } tune
            ? $"tune {Axes(tune.Params)} with {s.Method}, {tune.Budget} trials in each of {SweepExpander.SearchOf(d)!.Studies.Length} cells of {Axes(s.Parameters)}, then each winner on seeds {string.Join(", ", tune.SeedsAfter)}"
            : s.Method switch
            {
                "random" => $"random, {s.Samples} samples of {Axes(s.Parameters)}",
                "tpe" => $"tpe, {s.Budget} trials of {Axes(s.Parameters)}, {s.Parallelism} at once",
                _ => $"grid {Axes(s.Parameters)}",
            };
        return $"{method}, {s.Seeds.Length} seed(s), model {d.Base.Model}";
    }
}
