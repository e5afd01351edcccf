using Runner.Reports.Tables;
using Runner.Results;
using Runner.Sweeps;
using Runner.Testing;

namespace Runner.Reports.Tests;

/// <summary>The sweep's objective, not validation accuracy, chooses what a table cell shows and which models a sweep keeps.</summary>
public class ObjectiveChoiceTests
{
    /// <summary>A trial whose objective (validation loss) is <paramref name="loss"/> and whose validation accuracy is <paramref name="accuracy"/>.</summary>
    static TrialRecord ByLoss(double lr, int seed, double loss, double accuracy, double test)
    {
        var done = Fixtures.Done("pretrained", 2, lr, 100, seed, test, accuracy);
        var spec = done.Spec with { Metric = "val_loss", Minimize = true };
        return done with { TrialId = spec.Id, Spec = spec, Result = done.Result! with { TrialId = spec.Id, ObjectiveValue = loss } };
    }

    static readonly TrialRecord[] Trials =
    {
        // 0.01 has the better accuracy, 0.001 the lower loss: the objective says 0.001.
        ByLoss(0.01, 1, loss: 0.50, accuracy: 0.90, test: 0.80), ByLoss(0.01, 2, loss: 0.52, accuracy: 0.91, test: 0.81),
        ByLoss(0.001, 1, loss: 0.30, accuracy: 0.85, test: 0.70), ByLoss(0.001, 2, loss: 0.31, accuracy: 0.86, test: 0.72),
    };

    [Fact]
    public void A_cell_shows_the_configuration_with_the_best_objective_and_says_so()
    {
        var table = ComparisonTable.Build(Trials, new[] { "initialization", "freeze_depth" }, new[] { "dataset_size" });
        var cell = table.Cells.Values.Single();
        Assert.Equal("learning_rate=0.001", cell.Chosen);
        Assert.Equal(0.71, cell.Mean!.Value, 6);
        Assert.Equal(new Objective("val_loss", false), table.ChosenBy);
        Assert.Contains("chosen per cell by val_loss (minimize) on validation", Runner.Reports.Export.TableExport.Markdown(table));
    }

    [Fact]
    public void Best_per_cell_keeps_every_seed_of_the_chosen_configuration_and_best_keeps_one()
    {
        var finished = Trials.Select(t => (t.Spec, t.Result!)).ToList();
        var chosen = Trials.Where(t => t.Spec.LearningRate == 0.001).Select(t => t.TrialId).ToHashSet();
        Assert.Equal(chosen, KeptModels.Kept(KeptModels.BestPerCell, finished));
        Assert.Equal(new[] { Trials[2].TrialId }, KeptModels.Kept(KeptModels.Best, finished));
        Assert.Equal(4, KeptModels.Kept(KeptModels.All, finished).Count);
        Assert.Empty(KeptModels.Kept(KeptModels.None, finished));
    }
}
