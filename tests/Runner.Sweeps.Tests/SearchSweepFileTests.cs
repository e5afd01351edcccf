using Runner.Sweeps.Search;

namespace Runner.Sweeps.Tests;

/// <summary>Search sweeps in the sweep file: method tpe, budgets, parallelism and tune, and their mistakes at their positions.</summary>
public class SearchSweepFileTests
{
    const string Tpe = """
        name: tpe
        base: { model: convnet4, pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 1, lr: 1e-3, seed: 0 } }
        target: { dataset: fashion-mnist, classes: [5,6,7,8,9] }
        train: { epochs: 2, batch_size: 64, optimizer: adam }
        sweep:
          method: tpe
          trials: 20
          parameters:
            learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }
            dropout: { distribution: uniform, min: 0, max: 0.5 }
            freeze_depth: [0, 2, 4]
          seeds: [1, 2]
        """;

    const string Tune = """
        name: tune
        base: { model: convnet4, pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 1, lr: 1e-3, seed: 0 } }
        target: { dataset: fashion-mnist, classes: [5,6,7,8,9] }
        train: { epochs: 2, batch_size: 64, optimizer: adam }
        sweep:
          method: tpe
          parameters:
            freeze_depth: [0, 2, 4]
            dataset_size: [10, 100]
          tune:
            per: [freeze_depth, dataset_size]
            budget: 12
            params:
              learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }
              weight_decay: [0, 1e-4]
            seeds_after: [1, 2, 3]
          seeds: [0]
        """;

    [Fact]
    public void A_tpe_sweep_has_no_trials_up_front_but_a_search_over_every_axis_with_its_budget()
    {
        var d = SweepText.Parse(Tpe);
        Assert.Empty(SweepExpander.Expand(d));
        var plan = SweepExpander.SearchOf(d)!;
        Assert.Equal(("tpe", 20, SearchPlan.DefaultParallelism, 10), (plan.Method, plan.Budget, plan.Parallelism, plan.StartupTrials));
        Assert.Equal(3, SweepExpander.SearchOf(SweepText.Parse(Tpe.Replace("trials: 20", "trials: 20\n  startup_trials: 3")))!.StartupTrials);
        Assert.Equal(new[] { "learning_rate:log_uniform(1E-05,0.1)", "dropout:uniform(0,0.5)", "freeze_depth:[0,2,4]" }, plan.Space.Select(a => a.Canonical()));
        Assert.Equal(new[] { 1, 2 }, plan.Studies.Single().Seeds);
        Assert.Equal(40, plan.MaxTrials);
        // The search is part of the sweep's id: another budget is another sweep.
        Assert.NotEqual(SweepRequest.From(d).Id, SweepRequest.From(SweepText.Parse(Tpe.Replace("trials: 20", "trials: 21"))).Id);
        Assert.Equal(SweepRequest.From(d).Id, SweepRequest.From(SweepText.Parse(Tpe)).Id);
    }

    [Fact]
    public void Proposals_resolve_like_grid_trials_so_equal_settings_have_equal_ids()
    {
        var grid = SweepText.Parse(Tpe.Replace("method: tpe\n  trials: 20", "method: grid").Replace(
            "learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }", "learning_rate: [0.01]").Replace(
            "dropout: { distribution: uniform, min: 0, max: 0.5 }", "dropout: [0.25]"));
        var plan = SweepExpander.SearchOf(SweepText.Parse(Tpe))!;
        var proposed = plan.TrialsOf(0, new Dictionary<string, object> { ["learning_rate"] = 0.01, ["dropout"] = 0.25, ["freeze_depth"] = 2 }, new[] { 1, 2 });
        var gridTrials = SweepExpander.Expand(grid).Where(t => t.FreezeDepth == 2).ToList();
        Assert.Equal(gridTrials.Select(t => t.Id), proposed.Select(t => t.Id));
    }

    [Fact]
    public void Tune_makes_a_study_per_cell_searching_on_the_first_seed_with_the_winners_seeds_after()
    {
        var plan = SweepExpander.SearchOf(SweepText.Parse(Tune))!;
        Assert.Equal(6, plan.Studies.Length);
        Assert.Equal("freeze_depth=2, dataset_size=100", plan.Studies[3].Label);
        Assert.All(plan.Studies, s => Assert.Equal(new[] { 0 }, s.Seeds));
        Assert.All(plan.Studies, s => Assert.Equal(new[] { 1, 2, 3 }, s.SeedsAfter));
        Assert.Equal(12, plan.Budget);
        Assert.Equal("tpe, 12 trials", plan.Describe());
        Assert.Equal(6 * (12 + 3), plan.MaxTrials);
    }

    [Fact]
    public void Bad_search_spaces_are_errors_at_their_positions()
    {
        string Message(string yaml, int line) => string.Join(" | ", SweepText.Errors(yaml).Where(e => e.Line == line).Select(e => $"{e.Column}: {e.Message}"));

        Assert.Equal("14: sweep.parameters.dropout: the range 0.5..0.5 is empty (min must be below max; to fix a value, give it as a single value)",
            Message(Tpe.Replace("min: 0, max: 0.5", "min: 0.5, max: 0.5"), 10));
        Assert.Equal("20: sweep.parameters.learning_rate: log_uniform needs min > 0 (it samples the logarithm), got 0",
            Message(Tpe.Replace("min: 1e-5", "min: 0"), 9));
        Assert.Equal("11: sweep.trials must be >= 1, got 0", Message(Tpe.Replace("trials: 20", "trials: 0"), 7));
        Assert.Equal("3: sweep.method tpe needs sweep.trials (how many configurations the sampler proposes)", Message(Tpe.Replace("  trials: 20\n", ""), 6));
        Assert.StartsWith("11: sweep.method must be one of grid, random, tpe", Message(Tpe.Replace("method: tpe", "method: bayes"), 6));
        Assert.Equal("16: sweep.parallelism must be >= 1, got 0", Message(Tpe.Replace("trials: 20", "trials: 20\n  parallelism: 0"), 8));
        Assert.Equal("16: sweep.parallelism applies to a search (method: tpe, or sweep.tune)",
            Message(SweepText.Example.Replace("method: grid", "method: grid\n  parallelism: 2"), 7));
        Assert.Equal("19: sweep.startup_trials applies to method: tpe (its random configurations before the model)",
            Message(SweepText.Example.Replace("method: grid", "method: grid\n  startup_trials: 2"), 7));
        Assert.Equal("14: sweep.parameters.dropout: dropout must be in [0, 1), got 1",
            Message(Tpe.Replace("min: 0, max: 0.5", "min: 0, max: 1"), 10));

        Assert.Equal("13: sweep.tune.budget must be >= 1, got 0", Message(Tune.Replace("budget: 12", "budget: 0"), 12));
        Assert.Equal("39: sweep.tune.per names 'seed', which is not an axis of sweep.parameters (axes: freeze_depth, dataset_size)",
            Message(Tune.Replace("per: [freeze_depth, dataset_size]", "per: [freeze_depth, dataset_size, seed]"), 11));
        Assert.Equal("10: sweep.parameters.dataset_size is not in sweep.tune.per: every axis of sweep.parameters is a cell of the tuning (move a parameter to tune over into sweep.tune.params)",
            Message(Tune.Replace("per: [freeze_depth, dataset_size]", "per: [freeze_depth]"), 11));
        Assert.Equal("19: sweep.parameters.freeze_depth: with sweep.tune, sweep.parameters are the cells (lists of values); put ranges in sweep.tune.params",
            Message(Tune.Replace("freeze_depth: [0, 2, 4]", "freeze_depth: { distribution: int_uniform, min: 0, max: 4 }"), 8));
        Assert.Equal("7: sweep.tune.params.freeze_depth is also an axis of sweep.parameters: a parameter is a cell or tuned, not both",
            Message(Tune.Replace("weight_decay: [0, 1e-4]", "freeze_depth: [0, 1]"), 15));
        Assert.Equal("5: sweep.tune searches each cell with a sampler: set sweep.method to tpe or random", Message(Tune.Replace("method: tpe", "method: grid"), 11));
        Assert.Equal("13: sweep.tune.params is empty: name at least one parameter to tune",
            Message(Tune.Replace("""
                    params:
                      learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }
                      weight_decay: [0, 1e-4]
                """, "    params: {}"), 13));
    }

    [Fact]
    public void The_api_refuses_a_bad_search_that_arrives_already_expanded()
    {
        var request = SweepRequest.From(SweepText.Parse(Tpe));
        Assert.Empty(SubmittedSweepRules.Problems(request));
        var bad = request with { Search = request.Search! with { Budget = 0, Space = new[] { new SearchAxis("learning_rate", "log_uniform", 0, 0.1) } } };
        Assert.Equal(new[] { "the search budget must be >= 1 trial, got 0", "learning_rate: log_uniform needs min > 0 (it samples the logarithm), got 0" },
            SubmittedSweepRules.Problems(bad));
        Assert.Equal(new[] { "search.method must be tpe or random, got 'bayes'" }, SubmittedSweepRules.Problems(request with { Search = request.Search! with { Method = "bayes" } }));
        var space = request.Search!.Space;
        Assert.Equal(new[] { "dropout must be in [0, 1), got 1.5", "freeze_depth: a choice is not a valid value (integer)" },
            SubmittedSweepRules.Problems(request with { Search = request.Search with { Space = new[] { space[0], space[1] with { Max = 1.5 }, space[2] with { Choices = new[] { "0", "two" } } } } }));
    }
}
