using Runner.Results;
using Runner.Reports.Export;
using Runner.Reports.Tables;
using Spectre.Console;

namespace Runner.Cli.Commands;

public sealed class ResultsCommand : ICommand
{
    public string Name => "results";
    public string Summary => "comparison table of a sweep: freeze depth × dataset size, mean ± std over seeds";
    public string Description => """
        Pivots a sweep's trials (finished, running or interrupted) into a table. Default: rows initialization ×
        freeze_depth, columns dataset_size, cells test_accuracy as mean ± std over seeds with the seed count. Any other
        swept parameter (e.g. learning_rate) is chosen per cell by the best mean of the sweep's objective on validation
        (sweep.metric, validation accuracy by default) and shown
        (--over best, the default), or pooled (--over mean). The best cell of each column stands out. Empty cells
        say why (running, pending, failed, diverged). SWEEP is an id, an id prefix or a name (its latest sweep).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id, id prefix or name (its latest sweep)") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("rows", "LIST", "row parameters [initialization,freeze_depth; with strategy between them when it varies]"),
        new("cols", "LIST", "column parameters [dataset_size]"),
        new("metric", "M", "test_accuracy | best_val_accuracy | last_val_accuracy | test_loss | seconds | trainable_parameters"),
        new("where", "P=V", "keep only trials with that value (repeatable)", Repeatable: true),
        new("over", "R", "best | mean: what to do with the other swept parameters [best]"),
        OptionSpec.Flag("gain", "each pretrained cell minus the scratch baseline at the same dataset size"),
        new("format", "F", "table | csv | json | markdown [table]"),
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        var store = ResultsAccess.Open(args, context);
        var sweep = ResultsAccess.FindSweep(store, args.Single("a SWEEP"));
        var trials = store.Trials(sweep.SweepId);
        var where = ResultsAccess.Where(args);
        ComparisonTable table;
        try
        {
            table = ComparisonTable.Build(trials, args.Get("rows") is { } rows ? List(rows) : ComparisonTable.DefaultRows(trials), args.Get("cols") is { } cols ? List(cols) : ComparisonTable.DefaultColumns,
                args.Get("metric") ?? "test_accuracy", args.Get("over") ?? ComparisonTable.Best, where);
            if (args.Has("gain")) table = table.GainOverScratch();
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        switch (args.Get("format") ?? "table")
        {
            case "csv": context.Out.Write(TableExport.Csv(table)); break;
            case "json": context.Out.WriteLine(TableExport.Json(table)); break;
            case "markdown": context.Out.Write(TableExport.Markdown(table)); break;
            case "table": Render(context, sweep, table); break;
            case var f: throw new UsageException($"--format must be table, csv, json or markdown, got '{f}'");
        }
        return 0;
    }

    static string[] List(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The default table: initialization × freeze depth by dataset size (also the end of `runner run`).</summary>
    public static void RenderDefault(CliContext context, SweepRecord sweep, IReadOnlyList<TrialRecord> trials) =>
        Render(context, sweep, ComparisonTable.Build(trials, ComparisonTable.DefaultRows(trials), ComparisonTable.DefaultColumns));

    static void Render(CliContext context, SweepRecord sweep, ComparisonTable t)
    {
        var best = t.BestRowPerColumn();
        var grid = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{sweep.SweepId}: {t.Metric}"));
        grid.AddColumn(Markup.Escape(CellText.Header(t)));
        foreach (string col in t.ColumnKeys) grid.AddColumn(new TableColumn(Markup.Escape(col)).RightAligned());
        foreach (string row in t.RowKeys)
            grid.AddRow(t.ColumnKeys.Select(col =>
            {
                if (!t.Cells.TryGetValue((row, col), out var c)) return "";
                string text = Markup.Escape(CellText.Value(c, t.Metric));
                if (c.Mean == null) return $"[grey]{text}[/]";
                if (t.Metric.EndsWith("_gain", StringComparison.Ordinal)) return c.Mean >= 0 ? $"[green]{text}[/]" : $"[red]{text}[/]";
                // Plain output (pipes, CI) has no colour: a star marks the best cell there.
                return best.TryGetValue(col, out var b) && b == row ? (context.IsTerminal ? $"[bold green]{text}[/]" : text + " *") : text;
            }).Prepend(Markup.Escape(row)).ToArray());
        context.Console.Write(grid);
        context.Out.WriteLine(t.Over == ComparisonTable.Best
            ? $"mean ± std over seeds (n = seeds finished); other swept parameters chosen per cell by {t.ChosenBy.Text} on validation; best per column {(context.IsTerminal ? "highlighted" : "marked *")}"
            : "mean ± std over seeds and the other swept parameters (pooled)");
    }
}
