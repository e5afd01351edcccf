using Runner.Artifacts;
using Runner.Results;
using Runner.Reports.Tables;
using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Cli.Commands;

/// <summary>`runner export SWEEP (--trial ID | --best [--where P=V]) --out FILE`: a kept model as files PyTorch loads.</summary>
public sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "write a trial's kept model as a PyTorch state_dict (.pt or .safetensors) with a JSON description";
    public string Description => """
        The weights a trial was tested with (its best epoch on the sweep's objective, unless select: last), as kept by
        the sweep (sweep.keep), written to --out: .pt (torch.load) or .safetensors, with torchvision's state_dict names
        for torchvision models; for a TorchScript backbone .pt is a TorchScript file with the head attached
        (torch.jit.load(FILE)(x) gives the logits). FILE.json beside it: classes in output order, input size and normalization, the
        trial's parameters and metrics. --best takes the trial with the best objective value on validation (among
        those --where leaves). Reads the state folder (or --store) of the coordinator that ran the sweep.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id, id prefix or name (its latest sweep)") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("trial", "ID", "the trial (id or id prefix)"),
        OptionSpec.Flag("best", "the trial with the best objective on validation"),
        new("where", "P=V", "with --best: only trials with that value (repeatable)", Repeatable: true),
        new("out", "FILE", "where to write: FILE.pt or FILE.safetensors (and FILE.json)"),
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        string output = args.Get("out") ?? throw new UsageException("export needs --out FILE.pt or FILE.safetensors");
        output = Path.GetFullPath(Path.Combine(context.WorkingDirectory, output));
        if (ModelExport.PathProblem(output) is { } badPath) throw new UsageException(badPath);
        if (args.IsSet("trial") == args.Has("best")) throw new UsageException("export takes --trial ID or --best (one of them)");
        var store = ResultsAccess.Open(args, context);
        var sweep = ResultsAccess.FindSweep(store, args.Single("a SWEEP"));
        TrialRecord trial;
        try { trial = args.Get("trial") is { } id ? ResultsAccess.FindTrial(store, sweep, id) : Best(store.Trials(sweep.SweepId), ResultsAccess.Where(args), sweep); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        var models = ResultsAccess.Models(args, context);
        if (trial.Result?.ModelSha256 is not { } sha || models?.Has(sha) != true || models.GetRef(KeptModels.RefName(trial.TrialId)) != sha)
            throw new BadRequestException(KeptModels.WhyNone(trial.TrialId, trial.Spec, trial.Result, trial.Status));
        string kept = models is ContentStore local ? local.PathOf(sha) : Fetched(models, sha);
        var fetched = new List<string>();
        // A TorchScript backbone's program: from the artifact store (submitted sweeps upload it), else where the sweep file named it.
        string? Program()
        {
            if (trial.Spec.WeightsSha256 is not { } program) return null;
            if (models.Has(program))
            {
                if (models is ContentStore folder) return folder.PathOf(program);
                fetched.Add(Fetched(models, program));
                return fetched[^1];
            }
            return trial.Spec.WeightsPath is { } path && File.Exists(path) && ContentHash.Matches(path, program) ? path : null;
        }
        try
        {
            ModelExport.Write(trial.Spec, trial.Result, kept, output, Program);
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        finally
        {
            if (models is not ContentStore) File.Delete(kept);
            fetched.ForEach(File.Delete);
        }
        context.Out.WriteLine($"trial {trial.TrialId} ({trial.Spec.Describe()}): {output} and {ModelExport.DescriptionPath(output)}");
        return 0;
    }

    /// <summary>The finished trial with the best objective value on validation, among those <paramref name="where"/> keeps.</summary>
    static TrialRecord Best(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> where, SweepRecord sweep)
    {
        var candidates = trials.Where(t => t.Status.HasMetrics() && t.Result != null && ComparisonTable.Matches(t, where)).ToList();
        return candidates.Where(t => double.IsFinite(t.Spec.Objective.Score(t.Result!))).OrderByDescending(t => t.Spec.Objective.Score(t.Result!))
                   .ThenBy(t => t.TrialId, StringComparer.Ordinal).FirstOrDefault()
               ?? throw new BadRequestException($"sweep {sweep.SweepId} has no finished trial{(where.Count > 0 ? " matching --where" : "")} to export");
    }

    /// <summary>A copy of an artifact of a store that is not a folder (PostgreSQL), in a temporary file.</summary>
    static string Fetched(IContentStore store, string sha)
    {
        string path = Path.Combine(Path.GetTempPath(), $"runner-export-{sha[..12]}-{Guid.NewGuid():N}.safetensors");
        using var from = store.OpenRead(sha, 0);
        using var to = File.Create(path);
        from.CopyTo(to);
        return path;
    }
}
