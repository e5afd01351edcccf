using Runner.Results;

namespace Runner.Cli;

/// <summary>Opens the results store of a state folder and finds a sweep by id, id prefix or name (its latest run).</summary>
public static class ResultsAccess
{
    /// <summary>The results of --state DIR (SQLite there), or of --store postgresql://… (from any machine).</summary>
    public static ResultsStore Open(Arguments args, CliContext context)
    {
        var location = StateFolder.Store(args, context);
        if (!location.IsPostgres && !File.Exists(Path.Combine(location.StateFolder, ResultsStore.FileName)))
            throw new BadRequestException($"no results in {location.StateFolder} (run a sweep there first, or pass --state DIR or --store URL)");
        try { return new ResultsStore(location); }
        catch (Npgsql.NpgsqlException e) { throw new CommandFailedException($"cannot open the store {location}: {e.Message}"); }
    }

    /// <summary>
    /// The artifact store the results' coordinator kept models in: the state folder's, or the PostgreSQL store's
    /// (the default of a coordinator on PostgreSQL); null when there is none to read.
    /// </summary>
    public static Runner.Artifacts.IContentStore? Models(Arguments args, CliContext context)
    {
        var location = StateFolder.Store(args, context);
        if (location.PostgresConnection is { } db) return new Runner.Artifacts.PostgresContentStore(db);
        string folder = Runner.Artifacts.ArtifactSource.StoreFolder(StateFolder.Artifacts(location.StateFolder));
        return Directory.Exists(folder) ? new Runner.Artifacts.ContentStore(folder) : null;
    }

    /// <summary>A trial of a sweep by id or unique id prefix.</summary>
    public static TrialRecord FindTrial(ResultsStore store, SweepRecord sweep, string key)
    {
        var matches = store.Trials(sweep.SweepId).Where(t => t.TrialId.StartsWith(key, StringComparison.Ordinal)).ToList();
        if (matches.Count != 1)
            throw new BadRequestException(matches.Count == 0 ? $"sweep {sweep.SweepId} has no trial '{key}'" : $"'{key}' matches {matches.Count} trials: give more digits");
        return matches[0];
    }

    /// <summary>The --where PARAMETER=VALUE options, as the tables take them.</summary>
    public static Dictionary<string, string> Where(Arguments args)
    {
        try { return Runner.Reports.Tables.ComparisonTable.ParseWhere(args.GetAll("where")); }
        catch (ArgumentException e) { throw new UsageException("--" + e.Message); }
    }

    public static SweepRecord FindSweep(ResultsStore store, string key)
    {
        var sweeps = store.Sweeps();
        var exact = sweeps.FirstOrDefault(s => s.SweepId == key);
        if (exact != null) return exact;
        var byName = sweeps.Where(s => s.Name == key).ToList();
        if (byName.Count > 0) return byName[^1];
        var byPrefix = sweeps.Where(s => s.SweepId.StartsWith(key, StringComparison.Ordinal)).ToList();
        if (byPrefix.Count == 1) return byPrefix[0];
        if (byPrefix.Count > 1) throw new BadRequestException($"'{key}' matches {byPrefix.Count} sweeps: {string.Join(", ", byPrefix.Select(s => s.SweepId))}");
        throw new BadRequestException($"no sweep '{key}' in {store} (see `runner sweeps`)");
    }
}
