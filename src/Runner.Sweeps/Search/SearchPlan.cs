using System.Globalization;
using MessagePack;

namespace Runner.Sweeps.Search;

/// <summary>
/// One searched parameter as it travels (journal, API): a range (<c>uniform</c>, <c>log_uniform</c>,
/// <c>int_uniform</c>) or a list of choices written as the sweep file writes them (<c>choice</c>).
/// </summary>
[MessagePackObject]
public sealed record SearchAxis(
    [property: Key(0)] string Name,
    [property: Key(1)] string Kind,
    [property: Key(2)] double Min = 0,
    [property: Key(3)] double Max = 0,
    [property: Key(4)] string[]? Choices = null)
{
    public const string Choice = "choice";

    public static SearchAxis Of(ParameterAxis a) => a.Values is { } values
        ? new SearchAxis(a.Name, Choice, Choices: values.Select(SearchPlan.Text).ToArray())
        : new SearchAxis(a.Name, a.Distribution!.Kind, a.Distribution.Min, a.Distribution.Max);

    /// <summary>The axis the samplers work on (values typed as the parameter is).</summary>
    public ParameterAxis ToAxis() => Kind == Choice
        ? new ParameterAxis(Name, (Choices ?? Array.Empty<string>()).Select(c => SearchPlan.Value(Name, c)).ToList(), null)
        : new ParameterAxis(Name, null, new Distribution(Kind, Min, Max));

    public string Canonical() => Kind == Choice ? $"{Name}:[{string.Join(",", Choices ?? Array.Empty<string>())}]"
        : $"{Name}:{Kind}({SearchPlan.Text(Min)},{SearchPlan.Text(Max)})";
}

/// <summary>One parameter's value fixed for a study (a cell of <c>tune.per</c>), as text.</summary>
[MessagePackObject]
public sealed record CellValue([property: Key(0)] string Name, [property: Key(1)] string Text);

/// <summary>
/// One independent search: the sampler proposes <see cref="SearchPlan.Budget"/> configurations for it, each run on
/// <paramref name="Seeds"/> (and every pretraining seed in <see cref="SearchPlan.BaseSeeds"/>); then, if
/// <paramref name="SeedsAfter"/> is not empty, its winner on validation runs again on each of those seeds.
/// A plain <c>method: tpe</c> sweep has one study with no cell; <c>tune.per</c> makes one per cell.
/// </summary>
[MessagePackObject]
public sealed record SearchStudy(
    [property: Key(0)] CellValue[] Cell,
    [property: Key(1)] int[] Seeds,
    [property: Key(2)] int[] SeedsAfter)
{
    [IgnoreMember, System.Text.Json.Serialization.JsonIgnore]
    public string Label => Cell.Length == 0 ? "the sweep" : string.Join(", ", Cell.Select(c => $"{c.Name}={SweepParameters.Format(SearchPlan.Value(c.Name, c.Text))}"));
}

/// <summary>
/// A sweep whose trials are not listed up front but proposed while it runs (<c>sweep.method: tpe</c>, or
/// <c>sweep.tune</c>): the searched space, the budget per study, how many configurations of a study may be in flight
/// at once, the sampler's seed, and the trial settings every proposal starts from (<paramref name="Defaults"/>:
/// the file's defaults, before a proposal's values and the rules of <see cref="SweepExpander.Resolve(TrialSpec, IReadOnlyDictionary{string, object}, int, int?)"/>).
/// Everything here is part of the sweep's id.
/// </summary>
[MessagePackObject]
public sealed record SearchPlan(
    [property: Key(0)] string Method,
    [property: Key(1)] SearchAxis[] Space,
    [property: Key(2)] int Budget,
    [property: Key(3)] int Parallelism,
    [property: Key(4)] int RandomSeed,
    [property: Key(5)] SearchStudy[] Studies,
    [property: Key(6)] TrialSpec Defaults,
    [property: Key(7)] int[]? BaseSeeds = null,
    [property: Key(8)] int StartupTrials = TpeSampler.StartupTrials)
{
    public const string Tpe = "tpe", Random = "random";
    /// <summary>Configurations of one study in flight at once unless <c>sweep.parallelism</c> says otherwise.</summary>
    public const int DefaultParallelism = 4;

    /// <summary>How a table says a cell's configuration was chosen: "tpe, 12 trials".</summary>
    public string Describe() => $"{Method}, {Budget} trials";

    /// <summary>The most trials the search can make (for caps and plans): every proposal on every seed, then the winners.</summary>
    [IgnoreMember, System.Text.Json.Serialization.JsonIgnore]
    public long MaxTrials => Enumerable.Range(0, Studies.Length).Sum(s => (long)Budget * ConfigurationTrials(s) + WinnerTrials(s));

    /// <summary>The trials of one proposed configuration of study <paramref name="study"/> (at most: every base, every seed).</summary>
    public int ConfigurationTrials(int study) => Studies[study].Seeds.Length * Math.Max(1, BaseSeeds?.Length ?? 1);

    /// <summary>The trials of study <paramref name="study"/>'s winner on its seeds_after (0 without).</summary>
    public int WinnerTrials(int study) => Studies[study].SeedsAfter.Length * Math.Max(1, BaseSeeds?.Length ?? 1);

    public string Canonical() =>
        $"search={Method}|budget={Budget}|parallelism={Parallelism}|seed={RandomSeed}|startup={StartupTrials}|space={string.Join(";", Space.Select(a => a.Canonical()))}"
        + $"|bases={string.Join(",", BaseSeeds ?? Array.Empty<int>())}|defaults={TrialSpec.TrialIdOf(Defaults.Canonical())}"
        + $"|studies={string.Join(";", Studies.Select(s => $"{string.Join(",", s.Cell.Select(c => $"{c.Name}={c.Text}"))}/{string.Join(",", s.Seeds)}/{string.Join(",", s.SeedsAfter)}"))}";

    /// <summary>
    /// The configuration proposal <paramref name="number"/> of study <paramref name="study"/> tries, from what the
    /// study has seen so far (in proposal order; running configurations have no score). Deterministic.
    /// </summary>
    public IReadOnlyDictionary<string, object> Propose(int study, int number, IReadOnlyList<Observation> history)
    {
        var space = Space.Select(a => a.ToAxis()).ToList();
        int seed = TpeSampler.SeedOf(RandomSeed, study);
        var proposal = Method == Tpe ? TpeSampler.Propose(space, history, number, seed, StartupTrials) : TpeSampler.RandomConfiguration(space, number, seed);
        return space.ToDictionary(a => a.Name, a => proposal[a.Name] is double d && a.Distribution is { } range ? Readable(d, range) : proposal[a.Name]);
    }

    /// <summary>
    /// A proposed real number to 3 significant digits (kept in range): tables, progress lines and trial ids then read
    /// "lr 0.000405", not "0.0004053361730263963", and no objective of a trained network tells finer values apart.
    /// </summary>
    static double Readable(double value, Distribution range) =>
        Math.Clamp(double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), range.Min, range.Max);

    /// <summary>The trials of one configuration of a study: every pretraining seed, then every seed given.</summary>
    public IReadOnlyList<TrialSpec> TrialsOf(int study, IReadOnlyDictionary<string, object> proposal, IEnumerable<int> seeds, string? tunedBy = null)
    {
        var values = new Dictionary<string, object>(proposal);
        foreach (var c in Studies[study].Cell) values[c.Name] = Value(c.Name, c.Text);
        var trials = SweepExpander.Seeded(Defaults, values, BaseSeeds, seeds);
        return tunedBy == null ? trials : trials.Select(t => t with { TunedBy = tunedBy }).ToList();
    }

    /// <summary>What a space can propose that the parameter's rule judges: a range's two ends, or each choice (null: not a value of it).</summary>
    static IEnumerable<object?> Values(SearchAxis a, SweepParameters.Info info)
    {
        if (a.Kind != SearchAxis.Choice)
        {
            yield return info.Kind == SweepParameters.Kind.Integer ? (object)(int)a.Min : a.Min;
            yield return info.Kind == SweepParameters.Kind.Integer ? (object)(int)a.Max : a.Max;
            yield break;
        }
        foreach (string c in a.Choices!)
        {
            object? value;
            try { value = Value(a.Name, c); }
            catch (FormatException) { value = null; }
            if (value is string text && info.Choices != null && !info.Choices.Contains(text)) { yield return null; continue; }
            yield return value;
        }
    }

    /// <summary>A parameter's value as text that reads back to the same value (doubles round-trip).</summary>
    public static string Text(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    /// <summary>The value a parameter's text stands for, typed as <see cref="SweepParameters"/> says.</summary>
    public static object Value(string name, string text) =>
        SweepParameters.Word(name, text) ?? SweepParameters.Find(name)?.Kind switch
        {
            SweepParameters.Kind.Integer => int.Parse(text, CultureInfo.InvariantCulture),
            SweepParameters.Kind.Real => double.Parse(text, CultureInfo.InvariantCulture),
            _ => text,
        };

    /// <summary>What a plan received from outside (the API) must satisfy; the sweep file's validator says the same with positions.</summary>
    public IEnumerable<string> Problems()
    {
        if (Method is not (Tpe or Random)) yield return $"search.method must be {Tpe} or {Random}, got '{Method}'";
        if (Budget < 1) yield return $"the search budget must be >= 1 trial, got {Budget}";
        if (Parallelism < 1) yield return $"sweep.parallelism must be >= 1, got {Parallelism}";
        if (StartupTrials < 1) yield return $"sweep.startup_trials must be >= 1, got {StartupTrials}";
        if (Studies.Length == 0) yield return "the search has no study";
        if (Space.Length == 0) yield return "the search space is empty: name at least one parameter to search";
        foreach (var a in Space)
        {
            if (SweepParameters.Find(a.Name) is not { } info) { yield return $"unknown sweep parameter '{a.Name}' in the search space"; continue; }
            if (SweepRules.Range(a.Name, a.Kind, a.Min, a.Max, a.Choices?.Length ?? 0) is { } problem) { yield return problem; continue; }
            // Every value the space can propose obeys the parameter's rule: its ends, or each choice.
            foreach (string? bad in Values(a, info).Select(v => v is { } value ? SweepParameters.Check(a.Name, value, Defaults.Model, int.MaxValue) : $"{a.Name}: a choice is not a valid value ({(info.Choices == null ? info.Kind.ToString().ToLowerInvariant() : string.Join(", ", info.Choices))})"))
                if (bad != null) yield return bad;
        }
        foreach (var s in Studies.Where(s => s.Seeds.Length == 0)) yield return $"study {s.Label} has no seed";
    }
}
