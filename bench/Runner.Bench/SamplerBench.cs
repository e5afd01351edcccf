using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Sweeps;
using Runner.Sweeps.Search;

namespace Runner.Bench;

/// <summary>
/// How many trials a sampler needs to come within a tolerance of the best configuration of a cell, on a lookup table
/// of real trials (a dense learning-rate × weight-decay grid per cell, <c>experiments/sampler-grid.yaml</c>): Runner's
/// TPE and random search here, Optuna's TPE (bench/sampler_optuna.py) on the same table with the same rule. Each
/// parameter is searched log-uniformly from half a grid step below its smallest value to half a step above its
/// largest (so every grid value has its share of the range, the ends too); a proposal is snapped to the nearest grid
/// value in log space and scored with the table.
/// </summary>
public sealed class SamplerBench(CliContext context)
{
    /// <summary>One cell's grid: validation accuracy by (learning rate, weight decay).</summary>
    public sealed record Cell(string Name, Dictionary<(double Rate, double Decay), double> Scores)
    {
        public double[] Rates => Scores.Keys.Select(k => k.Rate).Distinct().Order().ToArray();
        public double[] Decays => Scores.Keys.Select(k => k.Decay).Distinct().Order().ToArray();
        public double Best => Scores.Values.Max();
    }

    public int Run(string table, int repeats, double tolerance, int budget, string python)
    {
        var cells = Load(table);
        context.Out.WriteLine($"sampler: {cells.Count} cells of {Path.GetFileName(table)}, {repeats} repeats, within {tolerance * 100:G3} points of each cell's best, budget {budget}");
        var results = new Dictionary<string, Dictionary<string, int[]>>
        {
            ["runner-tpe"] = cells.ToDictionary(c => c.Name, c => Repeat(c, repeats, tolerance, budget, Tpe)),
            ["runner-random"] = cells.ToDictionary(c => c.Name, c => Repeat(c, repeats, tolerance, budget, RandomSearch)),
        };
        if (python != "none" && PythonPeer.Run(python, context, Path.Combine(AppContext.BaseDirectory, "bench", "sampler_optuna.py"), "--table", table,
                "--repeats", $"{repeats}", "--tolerance", tolerance.ToString("R", CultureInfo.InvariantCulture), "--budget", $"{budget}") is { } peer)
            results["optuna-tpe"] = JsonSerializer.Deserialize<Dictionary<string, int[]>>(peer)!;

        int grid = cells[0].Scores.Count;
        foreach (var (sampler, byCell) in results)
        {
            var medians = cells.Select(c => Median(byCell[c.Name])).ToList();
            context.Out.WriteLine(JsonSerializer.Serialize(new { sampler, grid, median_trials_per_cell = cells.Select(c => c.Name).Zip(medians).ToDictionary(p => p.Item1, p => p.Item2), median_of_cells = Median(medians), mean_trials = byCell.Values.SelectMany(v => v).Average(), missed = byCell.Values.Sum(v => v.Count(n => n > budget)) }));
            context.Out.WriteLine($"  {sampler,-14} median trials to reach the best (per cell): {string.Join(", ", medians.Select(m => m.ToString("G3", CultureInfo.InvariantCulture)))}; over cells {Median(medians):G3} of a {grid}-point grid; mean of all runs {byCell.Values.SelectMany(v => v).Average():F1} (a miss counts {budget + 1})");
        }
        return 0;
    }

    delegate IReadOnlyDictionary<string, object> Sampler(IReadOnlyList<ParameterAxis> space, IReadOnlyList<Observation> history, int proposal, int seed);

    static IReadOnlyDictionary<string, object> Tpe(IReadOnlyList<ParameterAxis> space, IReadOnlyList<Observation> history, int proposal, int seed) =>
        TpeSampler.Propose(space, history, proposal, seed);

    static IReadOnlyDictionary<string, object> RandomSearch(IReadOnlyList<ParameterAxis> space, IReadOnlyList<Observation> history, int proposal, int seed)
    {
        var rng = new Random(TpeSampler.SeedOf(seed, proposal) ^ 0x5a5a);
        return space.ToDictionary(a => a.Name, a => a.Distribution!.Sample(rng));
    }

    static int[] Repeat(Cell cell, int repeats, double tolerance, int budget, Sampler sampler)
    {
        double[] rates = cell.Rates, decays = cell.Decays;
        var space = new[]
        {
            new ParameterAxis("learning_rate", null, Around(rates)),
            new ParameterAxis("weight_decay", null, Around(decays)),
        };
        return Enumerable.Range(0, repeats).Select(seed =>
        {
            var history = new List<Observation>();
            for (int n = 1; n <= budget; n++)
            {
                var proposal = sampler(space, history, n - 1, seed);
                double score = cell.Scores[(Nearest(rates, (double)proposal["learning_rate"]), Nearest(decays, (double)proposal["weight_decay"]))];
                if (score >= cell.Best - tolerance) return n;
                history.Add(new Observation(proposal, score));
            }
            return budget + 1;
        }).ToArray();
    }

    /// <summary>The log-uniform range whose nearest-value cells hold each grid value, ends included.</summary>
    static Distribution Around(double[] grid) =>
        new("log_uniform", grid[0] / Math.Sqrt(grid[1] / grid[0]), grid[^1] * Math.Sqrt(grid[^1] / grid[^2]));

    static double Nearest(double[] grid, double x) => grid.MinBy(v => Math.Abs(Math.Log(v) - Math.Log(x)));

    static double Median(IReadOnlyList<int> xs) => Median(xs.Select(x => (double)x).ToList());

    static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The table: CSV with a header cell,learning_rate,weight_decay,val_accuracy.</summary>
    public static List<Cell> Load(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new UsageException($"{path}: no column {name}");
        int cell = Col("cell"), rate = Col("learning_rate"), decay = Col("weight_decay"), score = Col("val_accuracy");
        return lines.Skip(1).Select(l => l.Split(',')).GroupBy(f => f[cell])
            .Select(g => new Cell(g.Key, g.ToDictionary(f => (Num(f[rate]), Num(f[decay])), f => Num(f[score])))).ToList();
    }

    static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
