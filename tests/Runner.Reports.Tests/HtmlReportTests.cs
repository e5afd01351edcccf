using Runner.Reports.Tables;
using Runner.Results;
using System.Text.RegularExpressions;
using Runner.Reports.Report;
using static Runner.Testing.Fixtures;

namespace Runner.Reports.Tests;

public class HtmlReportTests
{
    static readonly List<TrialRecord> Trials = new()
    {
        Done("pretrained", 2, 1e-3, 10, 1, 0.80, 0.85), Done("pretrained", 2, 1e-3, 10, 2, 0.84, 0.86),
        Done("pretrained", 2, 1e-2, 10, 1, 0.75, 0.70), Done("pretrained", 2, 1e-3, 100, 1, 0.93, 0.90),
        Done("pretrained", 2, 1e-2, 100, 1, 0.90, 0.88),
        Done("scratch", 0, 1e-3, 10, 1, 0.70, 0.71), Done("scratch", 0, 1e-3, 100, 1, 0.91, 0.92), Done("scratch", 0, 1e-2, 100, 1, 0.89, 0.90),
    };

    [Fact]
    public void The_report_is_one_self_contained_file_with_definition_tables_plots_and_environment()
    {
        var sweep = new SweepRecord("demo-1", "demo", Trials.Count, new DateTime(2026, 11, 26, 6, 0, 0, DateTimeKind.Utc));
        string html = HtmlReport.Build(sweep, Trials, HtmlReport.Plots.For(Trials), new Dictionary<string, string> { ["devices"] = "cpu × 2 thread(s)" });

        Assert.Contains("<h2>Sweep definition</h2>", html);
        Assert.Contains("learning_rate <span class=\"muted\">(swept)</span></td><td>0.001, 0.01</td>", html);
        Assert.Contains("<h2>Test accuracy by freeze depth and dataset size</h2>", html);
        Assert.Contains("<td class=\"num best\">82.00 ± 2.83% (n=2, learning_rate=0.001)</td>", html);
        Assert.Contains("<h2>Transfer gain over training from scratch</h2>", html);
        // The baseline has one seed: the spread of the difference is unknown, not the pretrained cell's alone.
        Assert.Contains("class=\"num gain-pos\">+12.00% (n=2", html);
        // Per-class accuracy from the trials' confusion matrices (the fixture's: 8/10, 9/10, 10/10, 7/10, 9/10 right).
        Assert.Contains("<h2>Per-class test accuracy at 100 images per class</h2>", html);
        Assert.Contains("<tr><th>pretrained, 2</th><td class=\"num\">80.0</td><td class=\"num\">90.0</td><td class=\"num\">100.0</td><td class=\"num\">70.0</td><td class=\"num\">90.0</td><td class=\"num\">2</td></tr>", html);
        Assert.Equal(4, Regex.Matches(html, "<img alt=\"[a-z-]+\" src=\"data:image/png;base64,").Count);   // sizes, curves, learning rates, parallel coordinates
        Assert.Contains("<th>devices</th><td>cpu × 2 thread(s)</td>", html);
        // The objective varies with every swept parameter here; the table lists them, largest share first.
        Assert.Matches("<h2>Parameter importance</h2><table><tr><th>parameter</th><th>share of val_accuracy's variance</th></tr><tr><td>[a-z_]+</td>", html);
        // Nothing is fetched from anywhere: no external scripts, styles, images or fonts.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
    }

    [Fact]
    public void A_sweep_with_dataset_size_all_short_classes_and_skipped_files_reports_them()
    {
        static TrialRecord With(TrialRecord t, int[] perClass, string[]? skipped = null) =>
            t with { Result = t.Result! with { TrainPerClass = perClass, SkippedImages = skipped } };
        var trials = new List<TrialRecord>
        {
            With(Done("pretrained", 2, 1e-3, 10, 1, 0.80, 0.85), [10, 10, 10, 10, 10]),
            With(Done("pretrained", 2, 1e-3, 100, 1, 0.90, 0.85), [100, 100, 37, 100, 100], ["train/c/broken.png"]),
            With(Done("pretrained", 2, 1e-3, Runner.Sweeps.SweepParameters.AllImages, 1, 0.93, 0.90), [400, 380, 37, 400, 400], ["train/c/broken.png"]),
        };
        var sweep = new SweepRecord("uneven-1", "uneven", trials.Count, new DateTime(2026, 12, 3, 1, 0, 0, DateTimeKind.Utc));
        string html = HtmlReport.Build(sweep, trials, HtmlReport.Plots.For(trials), new Dictionary<string, string>());

        Assert.Contains("<th>all</th>", html);
        Assert.Contains("90.00% (n=1, some classes had fewer images)", html);
        Assert.Contains("<h2>Per-class test accuracy at all images per class</h2>", html);
        Assert.Contains("1 trial(s) at dataset_size 100 had classes with fewer training images", html);
        Assert.Contains("Fewest: class 7: 37", html);
        Assert.Contains("1 file(s) were left out as unreadable images (on_bad_image: skip): train/c/broken.png.", html);
        // The size plot keeps the numeric columns (10, 100); all has no place on its axis.
        Assert.NotNull(SweepPlots.AccuracyVsDatasetSize(trials));
    }

    [Fact]
    public void Plots_are_real_png_images_and_absent_when_there_is_nothing_to_draw()
    {
        var plots = HtmlReport.Plots.For(Trials);
        foreach (var (_, png) in plots.All())
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Null(SweepPlots.LearningRateSensitivity(Trials.Where(t => t.Spec.LearningRate == 1e-3).ToList()));
        Assert.Null(SweepPlots.ValidationCurves(new List<TrialRecord>()));
        Assert.Contains(plots.All(), p => p.Name == "parallel-coordinates");
        Assert.Null(SweepPlots.ParallelCoordinates(ParameterView.Of(new List<TrialRecord>())));
    }

    [Fact]
    public void The_parallel_coordinates_view_places_every_trial_on_its_parameters_axes_and_ranks_them()
    {
        // Learning rate decides validation accuracy; the seed adds a little noise and is not an axis.
        var trials = new List<TrialRecord>();
        foreach (double lr in new[] { 1e-4, 1e-3, 1e-2 })
            foreach (int depth in new[] { 0, 2 })
                foreach (int seed in new[] { 1, 2 })
                    trials.Add(Done("pretrained", depth, lr, 100, seed, test: 0.8, val: 0.5 + 10 * lr + 0.001 * seed + 0.0001 * depth));
        var view = ParameterView.Of(trials)!;
        Assert.Equal(new[] { "freeze_depth", "learning_rate", "val_accuracy" }, view.Axes.Select(a => a.Name));
        Assert.True(view.Axes[1].Log);
        Assert.False(view.Axes[0].Log);
        Assert.Equal(12, view.Lines.Count);
        var top = view.Lines.Single(l => l.Best);
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, top.Positions);   // depth 2, lr 1e-2, the best objective
        Assert.Equal(0.5, view.Lines.First(l => l.Values[1] == "0.001").Positions[1], 9);   // the middle of three decades
        Assert.Equal("learning_rate", view.Importance[0].Parameter);
        Assert.True(view.Importance[0].Share > 0.99);
    }
}
