using Runner.Sweeps.Search;

namespace Runner.Sweeps.Tests;

public class ParameterImportanceTests
{
    [Fact]
    public void A_parameter_that_drives_the_objective_ranks_first_and_one_that_does_not_explains_almost_nothing()
    {
        var rng = new Random(11);
        var trials = Enumerable.Range(0, 300).Select(_ =>
        {
            double lr = Math.Exp(Math.Log(1e-5) + rng.NextDouble() * Math.Log(1e5));
            double dropout = rng.NextDouble() * 0.9;
            string optimizer = new[] { "adam", "sgd" }[rng.Next(2)];
            // The learning rate matters most, the optimizer a little, dropout not at all; plus noise.
            double score = -Math.Pow(Math.Log10(lr) + 2, 2) + (optimizer == "sgd" ? 2.0 : 0) + 0.1 * rng.NextDouble();
            return ((IReadOnlyDictionary<string, object>)new Dictionary<string, object> { ["learning_rate"] = lr, ["dropout"] = dropout, ["optimizer"] = optimizer }, score);
        }).ToList();

        var ranked = ParameterImportance.Of(trials);

        Assert.Equal(new[] { "learning_rate", "optimizer", "dropout" }, ranked.Select(r => r.Parameter));
        Assert.True(ranked[0].Importance > 0.7, $"learning_rate {ranked[0].Importance:G3}");
        Assert.True(ranked[2].Importance < 0.05, $"dropout {ranked[2].Importance:G3}");
        Assert.Equal(1.0, ranked.Sum(r => r.Importance), 9);
    }

    [Fact]
    public void Constant_scores_or_a_single_value_explain_nothing()
    {
        var same = Enumerable.Range(0, 5).Select(i => ((IReadOnlyDictionary<string, object>)new Dictionary<string, object> { ["seedless"] = i }, 0.5)).ToList();
        Assert.Empty(ParameterImportance.Of(same));
        var fixedValue = Enumerable.Range(0, 5).Select(i => ((IReadOnlyDictionary<string, object>)new Dictionary<string, object> { ["optimizer"] = "adam" }, (double)i)).ToList();
        Assert.Empty(ParameterImportance.Of(fixedValue));
    }
}
