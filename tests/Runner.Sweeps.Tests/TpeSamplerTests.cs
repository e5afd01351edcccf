using Runner.Sweeps.Search;

namespace Runner.Sweeps.Tests;

/// <summary>The TPE sampler on synthetic objectives: deterministic, random at first, then drawn to where scores are good.</summary>
public class TpeSamplerTests
{
    static readonly ParameterAxis[] Space =
    {
        new("learning_rate", null, new Distribution("log_uniform", 1e-5, 1)),
        new("dropout", null, new Distribution("uniform", 0, 0.9)),
        new("batch_size", null, new Distribution("int_uniform", 8, 256)),
        new("optimizer", new object[] { "adam", "adamw", "sgd" }, null),
    };

    /// <summary>Best (0) at learning rate 1e-2 and dropout 0.3; batch size and optimizer do not matter.</summary>
    static double Score(IReadOnlyDictionary<string, object> v) =>
        -Math.Pow(Math.Log10((double)v["learning_rate"]) + 2, 2) - 4 * Math.Pow((double)v["dropout"] - 0.3, 2);

    static List<Observation> Run(int trials, int seed, Func<IReadOnlyList<Observation>, int, IReadOnlyDictionary<string, object>> propose)
    {
        var history = new List<Observation>();
        for (int k = 0; k < trials; k++)
        {
            var values = propose(history, k);
            history.Add(new Observation(values, Score(values)));
        }
        return history;
    }

    [Fact]
    public void The_same_history_gives_the_same_proposals_and_values_stay_in_their_ranges()
    {
        var a = Run(40, 7, (h, k) => TpeSampler.Propose(Space, h, k, 7));
        var b = Run(40, 7, (h, k) => TpeSampler.Propose(Space, h, k, 7));
        Assert.Equal(a.Select(o => string.Join(",", o.Values.Values)), b.Select(o => string.Join(",", o.Values.Values)));
        Assert.NotEqual(a.Select(o => o.Values["learning_rate"]), Run(40, 8, (h, k) => TpeSampler.Propose(Space, h, k, 8)).Select(o => o.Values["learning_rate"]));
        foreach (var o in a)
        {
            Assert.InRange((double)o.Values["learning_rate"], 1e-5, 1);
            Assert.InRange((double)o.Values["dropout"], 0, 0.9);
            Assert.InRange((int)o.Values["batch_size"], 8, 256);
            Assert.Contains(o.Values["optimizer"], new object[] { "adam", "adamw", "sgd" });
        }
    }

    [Fact]
    public void After_its_random_start_it_finds_good_regions_faster_than_random_search()
    {
        // Over 20 sweeps of 40 trials: how close the best found comes to the optimum (score 0).
        double Gap(Func<IReadOnlyList<Observation>, int, int, IReadOnlyDictionary<string, object>> sampler) =>
            Enumerable.Range(0, 20).Select(seed => -Run(40, seed, (h, k) => sampler(h, k, seed)).Max(o => o.Score!.Value)).Average();
        double tpe = Gap((h, k, seed) => TpeSampler.Propose(Space, h, k, seed));
        double random = Gap((h, k, seed) =>
        {
            var rng = new Random(seed * 7919 + k);
            return Space.ToDictionary(a => a.Name, a => a.Values is { } v ? v[rng.Next(v.Count)] : a.Distribution!.Sample(rng));
        });
        Assert.True(tpe < random / 2, $"mean gap to the optimum: TPE {tpe:G3}, random {random:G3}");
    }

    [Fact]
    public void Proposals_in_flight_at_once_are_not_the_same_point()
    {
        var history = Run(20, 3, (h, k) => TpeSampler.Propose(Space, h, k, 3));
        var inFlight = new List<Observation>(history);
        var proposed = new List<double>();
        for (int k = 20; k < 24; k++)
        {
            var values = TpeSampler.Propose(Space, inFlight, k, 3);
            proposed.Add((double)values["learning_rate"]);
            inFlight.Add(new Observation(values, null));   // running: no score yet
        }
        Assert.Equal(4, proposed.Distinct().Count());
    }
}
