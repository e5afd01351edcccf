using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Reports.Export;
using Runner.Reports.Tables;
using Runner.Results;
using Runner.Sweeps;

namespace Runner.Dashboard;

/// <summary>
/// What the dashboard reads of a sweep, from the results store, in the shapes the command line prints:
/// <list type="bullet">
/// <item>GET /sweeps/ID/table?view=default|gain|learning_rate → `runner results --format json` (the default table,
/// `--gain`, or test accuracy by learning rate per freeze depth); with rows=, cols=, metric=, over= and where=P=V
/// (repeatable) as `runner results` takes them (the Python client's <c>results()</c>)</item>
/// <item>GET /sweeps/ID/trials?offset=&amp;limit=&amp;status=&amp;sort=&amp;desc= → {total, offset, rows, statuses}: a page of trials in the schema of
/// `runner trials --format json`, without their epochs</item>
/// <item>GET /sweeps/ID/trials/TRIAL → one trial, epochs included</item>
/// <item>GET /sweeps/ID/points → the finished trials as compact rows (parameters and metrics) for the scatter view</item>
/// <item>GET /sweeps/ID/parameters → the parallel-coordinates view and each parameter's importance (<see cref="ParameterView"/>, as the report's)</item>
/// </list>
/// </summary>
public static class SweepViews
{
    public const int MaxPage = 500;

    /// <summary>The columns the trials table sorts by, as TrialRow's JSON names.</summary>
    static readonly Dictionary<string, Func<TrialRow, IComparable?>> SortKeys = new()
    {
        ["trial_id"] = r => r.TrialId, ["status"] = r => r.Status.ToString(), ["initialization"] = r => r.Initialization.ToString(),
        ["freeze_depth"] = r => r.FreezeDepth, ["learning_rate"] = r => r.LearningRate, ["dataset_size"] = r => r.DatasetSize ?? SweepParameters.AllImages,
        ["seed"] = r => r.Seed, ["strategy"] = r => r.Strategy, ["attempts"] = r => r.Attempts, ["test_accuracy"] = r => r.TestAccuracy,
        ["best_val_accuracy"] = r => r.BestValAccuracy, ["seconds"] = r => r.Seconds, ["worker"] = r => r.Worker,
    };

    /// <summary>
    /// A sweep's trials as last read, for <see cref="FreshFor"/>: the page asks for its tables, charts and trials at
    /// once, and a sweep of 10,000 trials is then read from the store once, not five times.
    /// </summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime At, long Writes, Lazy<IReadOnlyList<TrialRecord>> Trials)> Recent = new();
    static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(1);

    /// <summary>The sweep's rows, read again when the last read is older than <see cref="FreshFor"/> or the store has written since.</summary>
    static IReadOnlyList<TrialRecord> TrialsOf(ResultsStore results, string id)
    {
        var now = DateTime.UtcNow;
        long writes = results.Writes;
        var entry = Recent.AddOrUpdate(id, _ => (now, writes, new Lazy<IReadOnlyList<TrialRecord>>(() => results.Trials(id))),
            (_, old) => now - old.At < FreshFor && old.Writes == writes ? old : (now, writes, new Lazy<IReadOnlyList<TrialRecord>>(() => results.Trials(id))));
        foreach (var stale in Recent.Where(kv => now - kv.Value.At > FreshFor).Select(kv => kv.Key).ToList()) Recent.TryRemove(stale, out _);
        return entry.Trials.Value;
    }

    public static void Map(WebApplication app, RunnerNode node)
    {
        app.MapGet("/sweeps/{id}/table", http => Answer(http, node, trials => Table(trials, http.Request.Query)));
        app.MapGet("/sweeps/{id}/trials", http => Answer(http, node, trials => Page(trials, http.Request.Query)));
        app.MapGet("/sweeps/{id}/trials/{trial}", http => Answer(http, node, trials =>
            trials.FirstOrDefault(t => t.TrialId == (string)http.Request.RouteValues["trial"]!) is { } t
                ? (200, JsonSerializer.Serialize(TrialRow.From(t), TrialExport.Options))
                : (404, JsonSerializer.Serialize(new { error = $"no trial '{http.Request.RouteValues["trial"]}' in this sweep" }))));
        app.MapGet("/sweeps/{id}/points", http => Answer(http, node, Points));
        app.MapGet("/sweeps/{id}/parameters", http => Answer(http, node, Parameters));
    }

    /// <summary>Reads the sweep's trials and writes what <paramref name="view"/> makes of them (JSON text).</summary>
    static async Task Answer(HttpContext http, RunnerNode node, Func<IReadOnlyList<TrialRecord>, (int Status, string Json)> view)
    {
        string id = (string)http.Request.RouteValues["id"]!;
        var results = node.Results!;
        // A client that saw the sweep end (its actor answers before the projection has written the last rows) reads them all.
        try { await node.ResultsWritten(TimeSpan.FromSeconds(5)); }
        catch (Akka.Actor.AskTimeoutException) { } // a projection that slow: answer from what is stored
        if (results.Sweeps().All(s => s.SweepId != id))
        {
            await ApiReply.Json(http, 404, new { error = $"no sweep '{id}' in this cluster" });
            return;
        }
        var (status, json) = view(TrialsOf(results, id));
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    static (int, string) Table(IReadOnlyList<TrialRecord> trials, IQueryCollection query)
    {
        string view = query["view"].ToString();
        try
        {
            IReadOnlyList<string> rows = List(query["rows"]) ?? ComparisonTable.DefaultRows(trials), columns = List(query["cols"]) ?? ComparisonTable.DefaultColumns;
            var where = ComparisonTable.ParseWhere(query["where"].Where(w => !string.IsNullOrEmpty(w)).Select(w => w!));
            ComparisonTable Build(IReadOnlyList<string> cols) =>
                ComparisonTable.Build(trials, rows, cols, query["metric"] is { Count: > 0 } m ? m.ToString() : "test_accuracy",
                    query["over"] is { Count: > 0 } o ? o.ToString() : ComparisonTable.Best, where);
            var table = view switch
            {
                "" or "default" => Build(columns),
                "gain" => Build(columns).GainOverScratch(),
                "learning_rate" => Build(new[] { "learning_rate" }),
                _ => throw new ArgumentException($"view must be default, gain or learning_rate, got '{view}'"),
            };
            return (200, TableExport.Json(table));
        }
        catch (ArgumentException e) { return (409, JsonSerializer.Serialize(new { error = e.Message })); }
    }

    static string[]? List(Microsoft.Extensions.Primitives.StringValues text) =>
        text.Count == 0 || string.IsNullOrWhiteSpace(text) ? null : text.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    static (int, string) Page(IReadOnlyList<TrialRecord> trials, IQueryCollection query)
    {
        int offset = Math.Max(0, int.TryParse(query["offset"], out int o) ? o : 0);
        int limit = Math.Clamp(int.TryParse(query["limit"], out int l) ? l : 50, 1, MaxPage);
        IEnumerable<TrialRow> rows = trials.Select(TrialRow.From);
        if (query["status"].ToString() is { Length: > 0 } status) rows = rows.Where(r => EnumText.Of(r.Status) == status);
        string sort = query["sort"].ToString();
        if (sort.Length > 0)
        {
            if (!SortKeys.TryGetValue(sort, out var key))
                return (400, JsonSerializer.Serialize(new { error = $"cannot sort by '{sort}'; by {string.Join(", ", SortKeys.Keys)}" }));
            // Trials without the value (not finished) go last either way.
            rows = query["desc"] == "true" ? rows.OrderBy(r => key(r) == null).ThenByDescending(key) : rows.OrderBy(r => key(r) == null).ThenBy(key);
        }
        var all = rows.ToList();
        var page = all.Skip(offset).Take(limit).Select(r => r with { EpochMetrics = null }).ToList();
        // The statuses a trial can have, for the page's filter: the server says, the script shows.
        var statuses = Enum.GetValues<TrialStatus>().Select(EnumText.Of);
        return (200, JsonSerializer.Serialize(new { Total = all.Count, Offset = offset, Rows = page, Statuses = statuses }, TrialExport.Options));
    }

    static (int, string) Parameters(IReadOnlyList<TrialRecord> trials)
    {
        if (ParameterView.Of(trials) is not { } view)
            return (200, JsonSerializer.Serialize(new { axes = Array.Empty<object>(), lines = Array.Empty<object>(), importance = Array.Empty<object>() }));
        return (200, JsonSerializer.Serialize(new
        {
            objective = view.Objective, maximize = view.Maximize,
            axes = view.Axes.Select(a => new { name = a.Name, numeric = a.Numeric, log = a.Log, min = a.Min, max = a.Max, choices = a.Choices }),
            lines = view.Lines.Select(l => new { trial_id = l.TrialId, positions = l.Positions, values = l.Values, objective = l.Objective, best = l.Best }),
            importance = view.Importance.Select(i => new { parameter = i.Parameter, share = i.Share }),
        }));
    }

    static (int, string) Points(IReadOnlyList<TrialRecord> trials)
    {
        var done = trials.Where(t => t.Status.HasMetrics() && t.Result?.TestAccuracy != null).ToList();
        var fields = new[] { "initialization", "freeze_depth", "learning_rate", "dataset_size", "strategy", "seed", "test_accuracy", "best_val_accuracy" };
        var rows = done.Select(t => new object?[]
        {
            // dataset_size: all is plotted at what its largest class really had.
            EnumText.Of(t.Spec.Initialization), t.Spec.FreezeDepth, t.Spec.LearningRate,
            t.Spec.DatasetSize == SweepParameters.AllImages ? t.Result!.TrainPerClass?.Max() : t.Spec.DatasetSize, t.Spec.StrategyName, t.Spec.Seed,
            t.Result!.TestAccuracy, t.Result.BestValAccuracy,
        });
        return (200, JsonSerializer.Serialize(new { fields, rows, ids = done.Select(t => t.TrialId) }, TrialExport.Options));
    }
}
