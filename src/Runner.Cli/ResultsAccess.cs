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
