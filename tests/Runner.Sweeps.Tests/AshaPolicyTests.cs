namespace Runner.Sweeps.Tests;

public class AshaPolicyTests
{
    static AshaPolicy Asha(int grace = 1, int factor = 3, int max = 10) => new(new EarlyStopSpec("asha", grace, factor, max));

    [Fact]
    public void Rungs_sit_at_grace_times_powers_of_the_reduction_factor_below_max_epochs()
    {
        Assert.Equal(new[] { 1, 3, 9 }, Asha().RungEpochs);
        Assert.Equal(new[] { 2, 4, 8, 16 }, Asha(grace: 2, factor: 2, max: 20).RungEpochs);
    }

    [Fact]
    public void About_the_top_third_goes_on_at_each_rung_in_the_order_reports_arrive()
    {
        var asha = Asha();
        // The first trial at a rung always continues (nothing to compare with).
        Assert.False(asha.ShouldStop("a", 1, 0.50));
        // Better than everything so far: continue. Worse than the 2/3 quantile of what was recorded: stop.
        Assert.False(asha.ShouldStop("b", 1, 0.70));
        Assert.True(asha.ShouldStop("c", 1, 0.55));
        Assert.True(asha.ShouldStop("d", 1, 0.40));
        Assert.False(asha.ShouldStop("e", 1, 0.90));
        // Epochs between rungs never stop a trial.
        Assert.False(asha.ShouldStop("d", 2, 0.10));
    }

    [Fact]
    public void Decisions_are_deterministic_given_the_order_of_reports_and_a_repeated_report_changes_nothing()
    {
        var reports = new[] { ("a", 0.6), ("b", 0.8), ("c", 0.7), ("d", 0.5), ("e", 0.85), ("f", 0.65) };
        var first = reports.Select(r => Asha().ShouldStop(r.Item1, 1, r.Item2)).ToList();
        var one = Asha();
        var decisions = reports.Select(r => one.ShouldStop(r.Item1, 1, r.Item2)).ToList();
        var again = Asha();
        Assert.Equal(decisions, reports.Select(r => again.ShouldStop(r.Item1, 1, r.Item2)).ToList());
        Assert.False(one.ShouldStop("d", 1, 0.5)); // the same report twice is not counted twice
        Assert.Equal(new[] { false, false, true, true, false, true }, decisions);
        Assert.All(first, d => Assert.False(d));   // alone at its rung, every trial goes on
    }

    [Fact]
    public void A_diverged_trial_with_nan_accuracy_stops_at_its_rung()
    {
        var asha = Asha();
        asha.ShouldStop("a", 1, 0.5);
        Assert.True(asha.ShouldStop("b", 1, double.NaN));
    }

    [Fact]
    public void The_sweep_file_takes_an_asha_early_stop_block_and_checks_it()
    {
        var d = SweepText.Parse(SweepText.Example.Replace("  seeds: [1, 2, 3]", "  seeds: [1, 2, 3]\n  early_stop: { type: asha, grace_epochs: 1, reduction_factor: 3 }"));
        Assert.Equal(new EarlyStopSpec("asha", 1, 3, 5), d.Sweep.EarlyStop);
        var errors = SweepText.Errors(SweepText.Example.Replace("  seeds: [1, 2, 3]", "  seeds: [1, 2, 3]\n  early_stop: { type: hyperband, grace_epochs: 5 }"));
        Assert.Contains(errors, e => e.Message.Contains("sweep.early_stop.type must be one of asha"));
        Assert.Contains(errors, e => e.Message.Contains("grace_epochs 5 leaves no rung below max_epochs 5"));
    }
}
